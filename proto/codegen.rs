// Shared by the modules' build scripts (`include!`d, since a build script cannot depend on a
// workspace crate's library without building it twice): generates Rust from the protobuf
// files under `proto/`.

use std::path::PathBuf;

/// Generates message types (no gRPC code) for `protos`, given relative to `proto/`.
fn compile_messages(protos: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from("../../proto");
    for proto in protos {
        println!("cargo:rerun-if-changed=../../proto/{proto}");
    }
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

    let files: Vec<PathBuf> = protos.iter().map(|proto| proto_root.join(proto)).collect();
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .compile_with_config(config, &files, &includes)?;
    Ok(())
}
