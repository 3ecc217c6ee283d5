//! Generates the module's protobuf types and its gRPC services from `proto/manage/`.
//!
//! The two files share the package `helium.manage.v1`, so they are compiled in one call (each
//! call rewrites the package's output file); the descriptor set feeds server reflection.

include!("../../proto/codegen.rs");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    compile_services(
        &["manage/events.proto", "manage/admin.proto"],
        "helium.manage.v1",
    )
}
