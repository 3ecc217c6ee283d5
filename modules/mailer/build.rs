//! Generates the module's protobuf types from `proto/mailer/mailer.proto`.

include!("../../proto/codegen.rs");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    compile_messages(&["mailer/mailer.proto"])
}
