//! Generates the module's protobuf types and its gRPC services from `proto/manage/`.
//!
//! The shared `proto/codegen.rs` builds messages only. The two files here share the package
//! `helium.manage.v1`, so they must be compiled in one call (each call rewrites the package's
//! output file); that call also builds the servers and clients of `admin.proto` and the
//! descriptor set that server reflection serves.

use std::path::PathBuf;

const PROTOS: [&str; 2] = ["manage/events.proto", "manage/admin.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from("../../proto");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=../../proto/{proto}");
    }
    println!("cargo:rerun-if-env-changed=PROTOC");

    // As in `proto/codegen.rs`: the vendored compiler unless `PROTOC` names another, and type
    // names so the outbox can record what each event payload is.
    let mut config = prost_build::Config::new();
    let mut includes = vec![proto_root.clone()];
    if std::env::var_os("PROTOC").is_none() {
        config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
        includes.push(protoc_bin_vendored::include_path()?);
    }
    config.enable_type_names();

    let descriptor_set = PathBuf::from(std::env::var("OUT_DIR")?).join("helium.manage.v1.bin");
    let files: Vec<PathBuf> = PROTOS.iter().map(|proto| proto_root.join(proto)).collect();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .file_descriptor_set_path(descriptor_set)
        .compile_with_config(config, &files, &includes)?;
    Ok(())
}
