// Shared by the modules' build scripts (`include!`d, since a build script cannot depend on a
// workspace crate's library without building it twice): generates Rust from the protobuf
// files under `proto/`.

use std::path::PathBuf;

/// Generates message types (no gRPC code) for `protos`, given relative to `proto/`.
#[allow(dead_code)]
fn compile_messages(protos: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    generate(protos, None)
}

/// Generates messages, tonic servers and clients for `protos`, and writes their descriptor set
/// to `$OUT_DIR/<descriptor_set>.bin` for server reflection.
#[allow(dead_code)]
fn compile_services(
    protos: &[&str],
    descriptor_set: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    generate(protos, Some(descriptor_set))
}

fn generate(
    protos: &[&str],
    descriptor_set: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
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

    let mut builder = tonic_prost_build::configure()
        .build_client(descriptor_set.is_some())
        .build_server(descriptor_set.is_some());
    if let Some(name) = descriptor_set {
        let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
        builder = builder.file_descriptor_set_path(out_dir.join(format!("{name}.bin")));
    }
    let files: Vec<PathBuf> = protos.iter().map(|proto| proto_root.join(proto)).collect();
    builder.compile_with_config(config, &files, &includes)?;
    Ok(())
}
