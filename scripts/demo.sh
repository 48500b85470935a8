#!/usr/bin/env bash
# The main job on the built-in default, end to end:
#   simulate a planted-truth genome → build a window store → train a tiny soft-mask model on CPU →
#   export it to ONNX (fast flavour) → score the test genes of fold 11 with `runtime` (no libtorch),
#   writing masks, a mask bigWig and element calls → print the test metrics.
# Each stage reuses its result when rerun (delete demo/ to start over); training and prediction also
# resume where an interrupted run stopped.
# Environment: SEQ2EXP_DEMO_DIR (default demo/), SEQ2EXP_DEMO_STEPS (training steps, default 300 = the
# tiny preset's).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${SEQ2EXP_DEMO_DIR:-$ROOT/demo}
STEPS=${SEQ2EXP_DEMO_STEPS:-300}
FOLD=11
cd "$ROOT"
stage() { printf '\n== %s\n' "$*" >&2; }
t0=$(date +%s)

stage "build (release): data-prep, trainer, runtime"
cargo build --release -q -p seq2exp-data-prep --bin data-prep -p seq2exp-trainer --bin trainer -p seq2exp-runtime --bin runtime
BIN=$ROOT/target/release
mkdir -p "$OUT"

stage "simulate → $OUT/sim"
if [ ! -f "$OUT/sim/manifest.json" ]; then
  "$BIN/data-prep" simulate --out "$OUT/sim" --seed 2222
else
  echo "reusing $OUT/sim" >&2
fi

stage "build the window store → $OUT/store.h5"
if [ ! -f "$OUT/store.h5" ]; then
  S=$OUT/sim
  "$BIN/data-prep" build --fasta "$S/genome.fa" --genes "$S/genes.gtf" \
    --bigwig "h3k27ac=$S/h3k27ac.bw" --bigwig "dnase=$S/dnase.bw" --hic "$S/contacts.mcool::resolutions/5000" \
    --expression "$S/expression.csv" --id-col ENSID --value-col 'K562_CAGE_128*3_sum' \
    --features "$S/features.csv" --blacklist "$S/blacklist.bed" --window 20000 --genome-build sim \
    --out "$OUT/store.h5"
else
  echo "reusing $OUT/store.h5" >&2
fi
"$BIN/data-prep" inspect "$OUT/store.h5"

stage "train (tiny preset, soft mask, CPU, $STEPS steps, fold $FOLD) → $OUT/run"
if [ ! -f "$OUT/model.onnx" ]; then
  # Rerunning resumes from run/last.safetensors; a finished run returns at once.
  "$BIN/trainer" train --store "$OUT/store.h5" --out "$OUT/run" --preset tiny --mode soft --device cpu \
    --fold "$FOLD" --steps "$STEPS"
else
  echo "reusing $OUT/run (model exported)" >&2
fi

stage "export (fast flavour) → $OUT/model.onnx"
if [ ! -f "$OUT/model.onnx" ]; then
  "$BIN/trainer" export --run "$OUT/run" --out "$OUT/model.onnx" --flavour fast --store "$OUT/store.h5"
else
  echo "reusing $OUT/model.onnx" >&2
fi
"$BIN/runtime" info "$OUT/model.onnx" | head -6

stage "runtime predict --masks, test genes of fold $FOLD → $OUT/predict"
if [ ! -f "$OUT/predict/predictions.tsv" ]; then
  "$BIN/runtime" predict --model "$OUT/model.onnx" --store "$OUT/store.h5" --out "$OUT/predict" \
    --masks --split test --fold "$FOLD"
else
  echo "reusing $OUT/predict" >&2
fi

stage "runtime eval, test genes of fold $FOLD"
"$BIN/runtime" eval --predictions "$OUT/predict/predictions.tsv" --store "$OUT/store.h5" --split test --fold "$FOLD"
echo "demo finished in $(( $(date +%s) - t0 )) s; outputs in $OUT" >&2
