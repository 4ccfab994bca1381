//! The protobuf code of the Sparkplug B codec is checked in (generated programs build the
//! runtime's source and should need neither protoc nor a build script), so this test
//! regenerates it from `runtime/proto/sparkplug_b.proto` with prost-build, the proto compiled
//! by protox (pure Rust), and fails when the checked-in file differs.
//! `FDI_UPDATE_PROTO=1 cargo test -p fdi-runtime --test sparkplug_proto` rewrites it.

use std::path::Path;

const GENERATED: &str = "org.eclipse.tahu.protobuf.rs";

#[test]
fn the_checked_in_protobuf_code_is_what_prost_build_generates_from_the_proto() {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let descriptors = protox::compile(["sparkplug_b.proto"], [runtime.join("proto")])
        .expect("runtime/proto/sparkplug_b.proto compiles");
    let out = tempfile::tempdir().expect("a temporary folder");
    prost_build::Config::new()
        .out_dir(out.path())
        .compile_fds(descriptors)
        .expect("prost-build generates Rust");
    let generated =
        std::fs::read_to_string(out.path().join(GENERATED)).expect("prost-build wrote the module");

    let checked_in_path = runtime.join("src/sparkplug/proto").join(GENERATED);
    if std::env::var_os("FDI_UPDATE_PROTO").is_some() {
        std::fs::write(&checked_in_path, &generated).expect("write the checked-in module");
    }
    let checked_in = std::fs::read_to_string(&checked_in_path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is not what prost-build generates from runtime/proto/sparkplug_b.proto; \
         regenerate it with `FDI_UPDATE_PROTO=1 cargo test -p fdi-runtime --test sparkplug_proto`",
        checked_in_path.display()
    );
}
