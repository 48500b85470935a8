#!/usr/bin/env bash
# The variant table (README "Results"): every mask mode trained on one simulated benchmark and scored
# on the test genes of fold 11 against the simulator's truth.
#   genome: 23 chromosomes × 16 genes, elements within ±4 kb of the TSS, 1–2 causal elements per gene
#           (an 8-mer × 6), one open decoy (accessible, no motif) and one motif decoy (motif, closed) each;
#   model:  tiny preset at an 8 kb window, 300 steps (lr 5e-3 → 5e-4), CPU, single-threaded per run,
#           two runs at a time. Retrain keeps the top 35% of the soft run's mask: at an 8 kb window the
#           forced 2 kb promoter alone is 25%, so 35% keeps the promoter plus ~10% of the window, as the
#           paper's 10% of 200 kb keeps its promoter plus 9%.
# Writes OUT/results.md (the table) and OUT/<mode>.json (each `trainer eval --json` report).
# About an hour on 2 cores. Rerunning reuses finished stages (training resumes).
# Usage: scripts/results.sh [OUT]   (default results/)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/results}" && cd "${1:-$ROOT/results}" && pwd)
WINDOW=8000
cd "$ROOT"
cargo build --release -q -p seq2exp-data-prep --bin data-prep -p seq2exp-trainer --bin trainer
BIN=$ROOT/target/release
export OMP_NUM_THREADS=1 RAYON_NUM_THREADS=1

S=$OUT/sim
source "$ROOT/scripts/benchmark.sh"
benchmark
echo "{\"model\": {\"window\": $WINDOW}, \"train\": {\"lr\": 0.005, \"min_lr\": 0.0005, \"steps\": 300, \"validate_every\": 100}}" \
  >"$OUT/config.json"

train() { # mode [extra args]
  local mode=$1
  shift
  "$BIN/trainer" train --store "$OUT/store.h5" --out "$OUT/run-$mode" --preset tiny --config "$OUT/config.json" \
    --device cpu --mode "${mode%%-*}" "$@" 2>"$OUT/run-$mode.log"
}
score() {
  "$BIN/trainer" eval --json --device cpu --run "$OUT/run-$1" --store "$OUT/store.h5" --truth "$S/truth.bed" \
    --peaks "$S/dnase_peaks.narrowPeak" --elements "$S/elements.bed" >"$OUT/$1.json" 2>>"$OUT/run-$1.log"
}
# Two at a time on 2 cores; retrain waits for soft.
pair() {
  train "$1" & local a=$!
  if [ -n "${2:-}" ]; then train "$2" & local b=$!; wait "$b"; fi
  wait "$a"
}
pair soft nomask
pair hard discovery
pair peakmask signal
train retrain --mask-from "$OUT/run-soft" --top 0.35
for m in soft hard retrain discovery nomask peakmask signal; do score "$m"; done

python3 - "$OUT" >"$OUT/results.md.tmp" <<'EOF'
import json, sys
out = sys.argv[1]
rows = ["soft", "hard", "retrain", "discovery", "nomask", "peakmask", "signal"]
print("| mode | MSE | MAE | Pearson | R² | mask ratio | element AUPRC | causal | open decoy | motif decoy |")
print("|---|---|---|---|---|---|---|---|---|---|")
dnase = peaks = None
for m in rows:
    r = json.load(open(f"{out}/{m}.json"))
    k, rec, e = r["metrics"], r.get("recovery") or {}, r.get("element_mask") or {}
    dnase, peaks = rec.get("dnase") or dnase, rec.get("peak_mask") or peaks
    el = lambda kind: f"{e[kind]['mean']:.3f} ± {e[kind]['se']:.3f}" if e.get(kind) else "–"
    auprc = f"{rec['model_mask']:.3f}" if rec.get("model_mask") is not None else "–"
    ratio = f"{r['mask_ratio']:.3f}" if r.get("mask_ratio") is not None else "–"
    print(f"| {m} | {k['mse']:.4f} | {k['mae']:.4f} | {k['pearson']:.3f} | {k['r2']:.3f} | {ratio} | {auprc} "
          f"| {el('causal')} | {el('open_decoy')} | {el('motif_decoy')} |")
print()
print(f"Element AUPRC of the signals themselves: raw DNase {dnase:.3f}, DNase peak mask {peaks:.3f} "
      f"(test genes: {k['n']}).")
EOF
mv "$OUT/results.md.tmp" "$OUT/results.md"
cat "$OUT/results.md"
