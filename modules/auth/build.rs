//! Generates the auth gRPC API from `proto/auth`.

include!("../../proto/codegen.rs");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    compile_services(&["auth/auth.proto"], "helium_auth_descriptor")
}
