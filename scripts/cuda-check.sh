#!/usr/bin/env bash
# Compiles the CUDA selective scan (trainer/csrc/scan_cuda.cu) alone with nvcc for Ampere (sm_80) and
# Hopper (sm_90), as the trainer's build.rs does under the `cuda` feature. Needs no GPU: run it on any
# machine after `SEQ2EXP_NVCC=1 scripts/setup.sh`. nvcc: $SEQ2EXP_NVCC, else the one setup installed.
# Extra arguments go to nvcc (e.g. -Xptxas -warn-spills).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NVCC=${SEQ2EXP_NVCC:-$(sed -n 's/^SEQ2EXP_NVCC = "\(.*\)"$/\1/p' "$ROOT/.cargo/config.toml" 2>/dev/null || true)}
[ -n "$NVCC" ] && [ -x "$NVCC" ] || { echo "cuda-check: no nvcc; run SEQ2EXP_NVCC=1 scripts/setup.sh" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$NVCC" --version | tail -2
"$NVCC" -c "$ROOT/trainer/csrc/scan_cuda.cu" -o "$OUT/scan_cuda.o" -O3 --std=c++17 -Xcompiler -fPIC \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 "$@"
CUOBJDUMP=$(dirname "$NVCC")/cuobjdump
if [ -x "$CUOBJDUMP" ]; then "$CUOBJDUMP" --list-elf "$OUT/scan_cuda.o"; fi
echo "cuda-check: scan_cuda.cu compiles for sm_80 and sm_90 ($(stat -c %s "$OUT/scan_cuda.o") bytes)"
