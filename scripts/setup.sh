#!/usr/bin/env bash
# One-time, idempotent setup for seq2exp. Everything heavy lives in a cache outside the clone
# (default ~/.cache/seq2exp, override with SEQ2EXP_CACHE) so CI and later builds reuse it.
#
#   - Debian packages: HDF5 headers/library (hdf5-metno builds against them), pkg-config, a C++ compiler,
#     and chromium (headless, for the report's browser test; no browser is ever downloaded).
#   - A Python venv with torch==2.13.0 (the libtorch tch 0.26 expects; slim CPU install unless a GPU is
#     present) and onnxruntime==1.31.1 (its libonnxruntime.so.1.31.1 is loaded by ort's `load-dynamic`),
#     plus the independent readers our tests compare against (h5py, pyBigWig, pyfaidx, onnx, pyarrow).
#   - With a GPU, or SEQ2EXP_NVCC=1: nvcc 13.0 from PyPI (nvidia-cuda-nvcc and the wheels it splits into),
#     for the trainer's `cuda` feature; no GPU is needed to compile (see `make cuda-check`).
#   - A git-ignored .cargo/config.toml whose [env] points cargo at both libraries, so plain
#     `cargo build/test/run` need no extra environment.
# Nothing is downloaded from outside the package registries.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SEQ2EXP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seq2exp}
TORCH_VERSION=2.13.0
ORT_VERSION=1.31.1
# nvcc and the pieces it runs with (CUDA 13.0, as torch 2.13.0+cu130). Pinned with --no-deps: the
# nvcc wheel's own requirements are unpinned and would pull the newest release of each.
NVCC_WHEELS=(nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-cccl==13.0.85
  nvidia-cuda-runtime==13.0.96)
# snakemake runs the scale-out workflow (workflow/Snakefile) and its test; pyarrow reads vep.parquet in its test.
PY_TOOLS=(numpy h5py pyBigWig==0.3.24 pyfaidx onnx snakemake==9.27.1 pyarrow==26.0.1)

log() { printf '[setup] %s\n' "$*" >&2; }

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  FLAVOUR=cuda
else
  FLAVOUR=cpu
fi
FLAVOUR=${SEQ2EXP_TORCH_FLAVOUR:-$FLAVOUR}
VENV=$CACHE/venv-$FLAVOUR
STAMP=$VENV/.seq2exp-setup-v3

# --- Debian packages -------------------------------------------------------------------------
need_apt=()
for pkg in libhdf5-dev pkg-config g++ chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- Python venv with libtorch and onnxruntime --------------------------------------------------
if [ ! -f "$STAMP" ]; then
  log "creating $VENV ($FLAVOUR torch $TORCH_VERSION, onnxruntime $ORT_VERSION)"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input)
  if [ "$FLAVOUR" = cuda ]; then
    "${PIP[@]}" "torch==$TORCH_VERSION"
  else
    # Slim CPU install: libtorch without its CUDA dependency tree, plus the two CUDA libraries (runtime,
    # CUPTI) that the CPU wheel's shared objects still link against; nothing else of CUDA is loaded.
    "${PIP[@]}" --no-deps "torch==$TORCH_VERSION" nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
  fi
  "${PIP[@]}" "onnxruntime==$ORT_VERSION" "${PY_TOOLS[@]}"
  touch "$STAMP"
else
  log "venv ready: $VENV"
fi

SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
LIBTORCH=$SITE/torch

# --- nvcc (CUDA builds; no GPU needed to compile) ----------------------------------------------
# All these wheels unpack into one CUDA-like tree: nvidia/cu13/{bin,include,lib,nvvm}; cccl brings
# the libcu++ headers (<nv/target>) that cuda_fp16.h/cuda_bf16.h include.
CUDA_ENV=
if [ "$FLAVOUR" = cuda ] || [ "${SEQ2EXP_NVCC:-0}" = 1 ]; then
  NVCC_STAMP=$VENV/.seq2exp-nvcc-v2
  if [ ! -f "$NVCC_STAMP" ]; then
    log "installing nvcc: ${NVCC_WHEELS[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input --no-deps "${NVCC_WHEELS[@]}"
    touch "$NVCC_STAMP"
  fi
  CUDA_ROOT=$SITE/nvidia/cu13
  [ -x "$CUDA_ROOT/bin/nvcc" ] || { echo "setup: nvcc missing under $CUDA_ROOT" >&2; exit 1; }
  CUDA_ENV="
SEQ2EXP_NVCC = \"$CUDA_ROOT/bin/nvcc\"
SEQ2EXP_CUDA_INCLUDE = \"$CUDA_ROOT/include\"
SEQ2EXP_CUDA_LIB = \"$CUDA_ROOT/lib\""
fi
ORT_DYLIB=$SITE/onnxruntime/capi/libonnxruntime.so.$ORT_VERSION
[ -f "$LIBTORCH/lib/libtorch_cpu.so" ] || { echo "setup: libtorch missing under $LIBTORCH" >&2; exit 1; }
[ -f "$ORT_DYLIB" ] || { echo "setup: $ORT_DYLIB missing" >&2; exit 1; }

# --- cargo environment (git-ignored) ----------------------------------------------------------
mkdir -p "$ROOT/.cargo"
cat > "$ROOT/.cargo/config.toml.tmp" <<TOML
# Written by scripts/setup.sh; do not commit. Points the build at the cached libtorch and onnxruntime.
[env]
LIBTORCH = "$LIBTORCH"
LIBTORCH_CXX11_ABI = "1"
ORT_DYLIB_PATH = "$ORT_DYLIB"
SEQ2EXP_VENV = "$VENV"
SEQ2EXP_FLAVOUR = "$FLAVOUR"$CUDA_ENV
TOML
if ! cmp -s "$ROOT/.cargo/config.toml.tmp" "$ROOT/.cargo/config.toml" 2>/dev/null; then
  mv "$ROOT/.cargo/config.toml.tmp" "$ROOT/.cargo/config.toml"
  log "wrote .cargo/config.toml"
else
  rm "$ROOT/.cargo/config.toml.tmp"
fi
echo "$VENV"
