//! Generates the module's protobuf types from `proto/manage`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from("../../proto");
    println!("cargo:rerun-if-changed=../../proto/manage");
    println!("cargo:rerun-if-env-changed=PROTOC");

    // The vendored compiler and its well-known types need no system package; a `PROTOC`
    // in the environment still wins, for packagers who insist on their own.
    let mut config = prost_build::Config::new();
    let mut includes = vec![proto_root.clone()];
    if std::env::var_os("PROTOC").is_none() {
        config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
        includes.push(protoc_bin_vendored::include_path()?);
    }
    // Type names let the outbox record what each payload is.
    config.enable_type_names();

    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .compile_with_config(config, &[proto_root.join("manage/events.proto")], &includes)?;
    Ok(())
}
