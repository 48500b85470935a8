#!/usr/bin/env bash
# The main job on the built-in default: simulate a planted-truth genome → build a window store → inspect it.
# Each stage reuses its result when rerun (delete demo/ to start over).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${SEQ2EXP_DEMO_DIR:-$ROOT/demo}
cd "$ROOT"
cargo build --release -q -p seq2exp-data-prep --bin data-prep
BIN=$ROOT/target/release
mkdir -p "$OUT"

if [ ! -f "$OUT/sim/manifest.json" ]; then
  "$BIN/data-prep" simulate --out "$OUT/sim" --seed 2222
fi
if [ ! -f "$OUT/store.h5" ]; then
  S=$OUT/sim
  "$BIN/data-prep" build --fasta "$S/genome.fa" --genes "$S/genes.gtf" \
    --bigwig "h3k27ac=$S/h3k27ac.bw" --bigwig "dnase=$S/dnase.bw" --hic "$S/contacts.mcool::resolutions/5000" \
    --expression "$S/expression.csv" --id-col ENSID --value-col 'K562_CAGE_128*3_sum' \
    --features "$S/features.csv" --blacklist "$S/blacklist.bed" --window 20000 --genome-build sim \
    --out "$OUT/store.h5"
fi
"$BIN/data-prep" inspect "$OUT/store.h5"
