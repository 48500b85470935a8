//! Compiles the C++ autograd node for the scan against the libtorch that torch-sys links, and gives every
//! binary and test of this crate an rpath to it (so they run with no LD_LIBRARY_PATH).

use std::path::PathBuf;

fn main() {
    let lib = PathBuf::from(std::env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys exports DEP_TCH_LIBTORCH_LIB"));
    let root = lib.parent().expect("libtorch lib dir has a parent").to_path_buf();
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".into());
    println!("cargo:rerun-if-changed=csrc/scan_autograd.cpp");
    println!("cargo:rerun-if-changed=csrc/checkpoint.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("csrc/scan_autograd.cpp")
        .file("csrc/checkpoint.cpp")
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-w")
        .define("_GLIBCXX_USE_CXX11_ABI", abi.as_str())
        .opt_level(2);
    if std::env::var("CARGO_FEATURE_CUDA").is_ok() {
        build.define("SEQ2EXP_CUDA", None);
    }
    build.compile("seq2exp_scan_autograd");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    // Dependents' build scripts read DEP_SEQ2EXP_TORCH_LIBTORCH_LIB to set their own rpath.
    println!("cargo:libtorch_lib={}", lib.display());
}
