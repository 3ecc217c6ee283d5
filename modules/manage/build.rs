//! Generates the module's protobuf types from `proto/manage/events.proto`.

include!("../../proto/codegen.rs");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    compile_messages(&["manage/events.proto"])
}
