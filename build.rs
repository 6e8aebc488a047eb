//! Compiles the protocol definitions in `proto/` into Rust with a pure-Rust
//! protobuf compiler (protox), so building needs no system `protoc`.

use std::error::Error;

const PROTOS: &[&str] = &[
    "tfplugin6.proto",
    "tfplugin5.proto",
    "grpc_controller.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=proto/{proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        .compile_fds(descriptors)?;
    Ok(())
}
