//! Embeds the kernel programs object into the `sonde` binary.
//!
//! `cargo xtask build` compiles the probes (they need their own toolchain, see
//! xtask/src/ebpf_toolchain.rs) and passes the object's path in
//! `SONDE_PROBES_OBJECT`. Without it the default output path is used, and when
//! no object exists an empty one is embedded so host-only jobs (clippy, unit
//! tests) still build; such a binary refuses to load probes with a clear error.

use std::{env, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=SONDE_PROBES_OBJECT");
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let default_object =
        manifest_dir.join("../target/ebpf/bpfel-unknown-none/release/sonde-probes");
    let object = env::var_os("SONDE_PROBES_OBJECT")
        .map(PathBuf::from)
        .unwrap_or(default_object);
    println!("cargo:rerun-if-changed={}", object.display());

    let embedded = if object.is_file() {
        object
    } else {
        println!(
            "cargo:warning=no eBPF object at {}; building sonde without probes (run `cargo xtask build`)",
            object.display()
        );
        let empty = PathBuf::from(env::var("OUT_DIR").unwrap()).join("sonde-probes.empty");
        std::fs::write(&empty, b"").unwrap();
        empty
    };
    println!("cargo:rustc-env=SONDE_PROBES_OBJECT={}", embedded.display());
}
