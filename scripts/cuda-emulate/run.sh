#!/usr/bin/env bash
# Runs the CUDA scan kernels (trainer/csrc/scan_cuda*.cu*) on the CPU, one OS thread per GPU thread with
# barriers for warp shuffles and __syncthreads (emu.h), against a naive f64 reference (driver.cpp): values
# and every gradient, full and low-rank δ, chunk and segment boundaries, two 32-channel blocks. It checks the
# kernels' arithmetic and indexing where no GPU exists; not CUDA itself (memory model, launch limits, speed).
# Slow (minutes: thousands of threads synchronising on few cores). Needs g++ ≥ 11 (C++20 <barrier>).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CSRC=$HERE/../../trainer/csrc
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/inc"
for h in cuda_runtime.h cuda_runtime_api.h cuda_bf16.h; do printf '#pragma once\n#include "emu.h"\n' > "$OUT/inc/$h"; done
cp "$HERE/emu.h" "$OUT/inc/"
# kernel<<<grid, block, shmem, stream>>>(args); → emu_launch(grid, block, shmem, stream, [&] { kernel(args); });
python3 - "$CSRC/scan_cuda.cu" "$OUT/scan_emu.cpp" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s, n = re.subn(r'([A-Za-z_][\w:]*(?:<[^<>;]*>)?)<<<(.*?)>>>\((.*?)\);',
               lambda m: f'emu_launch({m.group(2)}, [&] {{ {m.group(1)}({m.group(3)}); }});', s, flags=re.S)
assert n >= 9 and '<<<' not in s, f"rewrote {n} launches"
open(sys.argv[2], 'w').write(s)
PY
g++ -std=c++20 -O1 -w -pthread -I"$OUT/inc" -I"$CSRC" -include emu.h "$OUT/scan_emu.cpp" "$HERE/driver.cpp" -o "$OUT/emu"
"$OUT/emu"
