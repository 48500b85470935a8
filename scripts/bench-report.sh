#!/usr/bin/env bash
# make bench-report: runs the benchmarks whose figures the README quotes and writes docs/benchmarks.md
# (atomically: a temporary file renamed into place) with the machine, the commit and, for each figure, the
# command that produced it and what it printed in this run.
#
# Time on the 2-core development machine: SEQ2EXP_BENCH=quick (default) about 6 minutes once the
# release binaries are built; SEQ2EXP_BENCH=full about 2-3 hours (paper-preset training steps, 200 kb
# windows, the portable flavour, the Caduceus peak-RSS bench). Entries of the other tier are listed as
# "not run in this revision" with the README's figure, never with an invented one.
# Run it on an otherwise idle machine; threads are fixed per entry as the README's figures were measured.
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${SEQ2EXP_BENCH:-quick}"
out=docs/benchmarks.md
tmp="docs/.benchmarks.md.tmp-$$"
trap 'rm -f "$tmp"' EXIT
per_cmd_timeout="${SEQ2EXP_BENCH_TIMEOUT:-1800}"

# SEQ2EXP_BENCH_NO_BUILD=1 uses the release binaries as they are (the report then gives their build time).
if [ -z "${SEQ2EXP_BENCH_NO_BUILD:-}" ]; then
  cargo build --release -q -p seq2exp-data-prep -p seq2exp-trainer -p seq2exp-runtime
fi
bin=target/release

# tier | what the README quotes (figure, machine and date as quoted there) | command
entries=(
"quick|data-prep build, L = 200,000, LZF: 119 windows/s at 400 genes, 3.0x the Python pipeline; peak RSS 71-126 MB (50-400 genes); compression table of docs/store.md|$bin/data-prep bench --genes 50,100"
"full|(same, the README's gene counts)|$bin/data-prep bench --genes 50,100,200,400"
"quick|Selective scan, d_inner 256, N 16, L = 200,000, one thread: forward 0.43 ns/state update (AVX-512), ~540k tokens/s; fwd+bwd ~140k tokens/s|cargo bench -q -p seq2exp-models --bench scan"
"full|Caduceus stack fwd+bwd at L = 200,000, B = 1: peak RSS 2.66 GB; flat RSS over 3,000 iterations|cargo bench -q -p seq2exp-trainer --bench caduceus"
"quick|trainer bench tiny preset, B = 4 x 20,000 bp: 1.57 s/step, peak RSS 476 MB|$bin/trainer bench --preset tiny --batch 4"
"full|trainer bench paper preset, B = 1 x 200,000 bp: 101 s/step, peak RSS 3.41 GB|$bin/trainer bench --preset paper --batch 1 --steps 1"
"quick|runtime bench fast, L = 200,000, 2 threads: 8.20 s/gene, 99.4 GFLOP/s (53% of SGEMM 186.3 GFLOP/s), peak RSS 2.94 GB|$bin/runtime bench --preset paper --threads 2"
"full|trainer bench --forward (tch eager), L = 200,000: 29.9 s/gene, peak RSS 2.19 GB|$bin/trainer bench --preset paper --forward --steps 1"
"full|runtime bench portable, one session, L = 200,000: 30.3 s/gene, peak RSS 5.96 GB|$bin/runtime bench --preset paper --flavour portable --threads 2"
"quick|runtime bench L = 20,000, one session: fast 0.78-0.85 s/gene|$bin/runtime bench --preset paper --window 20000 --threads 2 --repeats 2"
"quick|runtime bench L = 20,000, one session: portable 2.61-2.68 s/gene|$bin/runtime bench --preset paper --flavour portable --window 20000 --threads 2 --repeats 2"
"quick|runtime bench --workers 2, L = 20,000: fast 0.74 s/gene|$bin/runtime bench --preset paper --window 20000 --threads 2 --workers 2 --batch 1 --repeats 2"
"quick|runtime bench --workers 2, L = 20,000: portable 1.67 s/gene (2.2x)|$bin/runtime bench --preset paper --flavour portable --window 20000 --threads 2 --workers 2 --repeats 2"
"quick|runtime bench --workers 2, L = 200,000: fast 8.05 s/gene (0.124 genes/s, 101.2 GFLOP/s, peak RSS 5.75 GB)|$bin/runtime bench --preset paper --threads 2 --workers 2"
"full|runtime bench --workers 2, L = 200,000: portable 20.06 s/gene (peak RSS 11.9 GB), 2.5x|$bin/runtime bench --preset paper --flavour portable --threads 2 --workers 2"
"full|runtime bench --vep 20, batch 4, one thread, L = 200,000: 0.050 variant-gene pairs/s (18.9 s per window)|$bin/runtime bench --preset paper --batch 4 --vep 20 --threads 1"
"quick|runtime bench --mode hard, L = 50,000, 2 threads: r = 0.07: 1.11 s/gene|$bin/runtime bench --preset paper --mode hard --mask-ratio 0.07 --window 50000 --threads 2"
"quick|runtime bench --mode hard, L = 50,000: r = 0.25: 1.28, 0.5: 1.53, 1.0: 2.10 s/gene; soft 1.96|for r in 0.25 0.5 1.0; do $bin/runtime bench --preset paper --mode hard --mask-ratio \$r --window 50000 --threads 2; done; $bin/runtime bench --preset paper --window 50000 --threads 2"
)

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench-report\` (\`scripts/bench-report.sh\`, tier \`$tier\`) on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Each entry gives the figure the README quotes (measured earlier, as dated there), the command that"
  echo "produces it, and what that command printed in this run — or \"not run in this revision\"."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores available)"
  echo "- RAM: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- OS: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- binaries: target/release, built $(date -u -r target/release/runtime '+%Y-%m-%d %H:%M UTC')${SEQ2EXP_BENCH_NO_BUILD:+ (not rebuilt for this report: SEQ2EXP_BENCH_NO_BUILD)}"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## Figures"
  echo
} > "$tmp"

for e in "${entries[@]}"; do
  IFS='|' read -r t figure cmd <<<"$e"
  {
    echo "### $figure"
    echo
    echo '```bash'
    echo "$cmd"
    echo '```'
    echo
  } >> "$tmp"
  if [ "$t" = quick ] || [ "$tier" = full ]; then
    echo "bench-report: $cmd" >&2
    start=$(date +%s)
    if log=$(NO_COLOR=1 RUST_LOG=warn timeout "$per_cmd_timeout" bash -c "$cmd" 2>&1); then status=ok; else status="failed (exit $?)"; fi
    secs=$(( $(date +%s) - start ))
    {
      echo "This run ($status, ${secs} s wall):"
      echo
      echo '```text'
      printf '%s\n' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -v -E '^\s*$|Compiling|Finished|Running| WARN ' | tail -n 25 || true
      echo '```'
      echo
    } >> "$tmp"
  else
    echo "Not run in this revision (tier \`full\`: \`SEQ2EXP_BENCH=full make bench-report\`)." >> "$tmp"
    echo >> "$tmp"
  fi
done
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
