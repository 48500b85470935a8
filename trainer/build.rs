//! Compiles the C++ autograd node for the scan against the libtorch that torch-sys links, and gives every
//! binary and test of this crate an rpath to it (so they run with no LD_LIBRARY_PATH). With the `cuda`
//! feature it also compiles the CUDA kernel with nvcc (from PyPI, see scripts/setup.sh) and links
//! libtorch's CUDA libraries.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let lib = PathBuf::from(env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys exports DEP_TCH_LIBTORCH_LIB"));
    let root = lib.parent().expect("libtorch lib dir has a parent").to_path_buf();
    let abi = env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".into());
    let cuda = env::var("CARGO_FEATURE_CUDA").is_ok();
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("csrc/scan_autograd.cpp")
        .file("csrc/checkpoint.cpp")
        .file("csrc/autocast.cpp")
        .file("csrc/cuda_memory.cpp")
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-w")
        .define("_GLIBCXX_USE_CXX11_ABI", abi.as_str())
        .opt_level(2);
    let toolkit = cuda.then(CudaToolkit::find);
    if let Some(tk) = &toolkit {
        build.define("SEQ2EXP_CUDA", None).file("csrc/scan_node_cuda.cpp").include(&tk.include);
    }
    build.compile("seq2exp_scan_autograd");
    if let Some(tk) = &toolkit {
        tk.compile_kernel(&abi);
        tk.link(&lib);
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    // Dependents' build scripts read DEP_SEQ2EXP_TORCH_LIBTORCH_LIB to set their own rpath.
    println!("cargo:libtorch_lib={}", lib.display());
}

/// nvcc and the CUDA headers/libraries next to it (the PyPI wheels' `nvidia/cu13` tree, or a CUDA_HOME).
struct CudaToolkit {
    nvcc: PathBuf,
    include: PathBuf,
    lib: PathBuf,
}

const MISSING: &str = "the `cuda` feature needs nvcc: run `SEQ2EXP_NVCC=1 scripts/setup.sh` (installs it from PyPI \
                       and sets SEQ2EXP_NVCC in .cargo/config.toml), or set SEQ2EXP_NVCC / CUDA_HOME";

impl CudaToolkit {
    fn find() -> Self {
        for var in ["SEQ2EXP_NVCC", "SEQ2EXP_CUDA_INCLUDE", "SEQ2EXP_CUDA_LIB", "CUDA_HOME"] {
            println!("cargo:rerun-if-env-changed={var}");
        }
        let nvcc = env::var_os("SEQ2EXP_NVCC")
            .map(PathBuf::from)
            .or_else(|| env::var_os("CUDA_HOME").map(|h| Path::new(&h).join("bin/nvcc")))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| panic!("{MISSING}"));
        // Both layouts (wheel tree and CUDA_HOME) are <root>/bin/nvcc, <root>/include, <root>/lib[64].
        let home = nvcc.parent().and_then(Path::parent).expect("nvcc lives in <root>/bin").to_path_buf();
        let include = env::var_os("SEQ2EXP_CUDA_INCLUDE").map_or_else(|| home.join("include"), PathBuf::from);
        let lib = env::var_os("SEQ2EXP_CUDA_LIB").map(PathBuf::from).unwrap_or_else(|| {
            let lib64 = home.join("lib64");
            if lib64.is_dir() {
                lib64
            } else {
                home.join("lib")
            }
        });
        Self { nvcc, include, lib }
    }

    /// scan_cuda.cu → a static library, for Ampere (sm_80) and Hopper (sm_90).
    fn compile_kernel(&self, abi: &str) {
        let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
        let obj = out.join("scan_cuda.o");
        let status = Command::new(&self.nvcc)
            .args(["-c", "csrc/scan_cuda.cu", "-o"])
            .arg(&obj)
            .args(["-O3", "--std=c++17", "-Xcompiler", "-fPIC"])
            .arg(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
            .args(["-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90"])
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}. {MISSING}", self.nvcc.display()));
        assert!(status.success(), "nvcc failed on csrc/scan_cuda.cu ({status})");
        let archive = out.join("libseq2exp_scan_cuda.a");
        let _ = std::fs::remove_file(&archive);
        let status = Command::new(env::var("AR").unwrap_or_else(|_| "ar".into()))
            .arg("crs")
            .arg(&archive)
            .arg(&obj)
            .status()
            .expect("cannot run ar");
        assert!(status.success(), "ar failed ({status})");
        println!("cargo:rustc-link-search=native={}", out.display());
        println!("cargo:rustc-link-lib=static=seq2exp_scan_cuda");
    }

    /// The CUDA runtime (the wheel ships only libcudart.so.13, no unversioned link) and libtorch's CUDA
    /// libraries. rustc links with --as-needed, which would drop libtorch_cuda (nothing references it
    /// directly, yet loading it registers libtorch's CUDA backend), hence --no-as-needed around it; that is a
    /// link argument, which only this package's own binaries, tests and benches get.
    fn link(&self, torch_lib: &Path) {
        let cudart = ["libcudart.so.13", "libcudart.so"]
            .into_iter()
            .find(|f| self.lib.join(f).exists())
            .unwrap_or_else(|| panic!("no libcudart.so* in {}. {MISSING}", self.lib.display()));
        println!("cargo:rustc-link-search=native={}", self.lib.display());
        println!("cargo:rustc-link-lib=dylib:+verbatim={cudart}");
        println!("cargo:rustc-link-lib=dylib=c10_cuda");
        println!("cargo:rustc-link-arg=-L{}", torch_lib.display());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", self.lib.display());
    }
}
