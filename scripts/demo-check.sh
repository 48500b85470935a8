#!/usr/bin/env bash
# Checks the demo's report in a real headless browser (Debian's chromium, installed by setup): the page
# loads, has every section, draws one figure per model's scatter, the recovery curves and three track
# panels, and logs no console or page error. With SEQ2EXP_DEMO_MAX_S, also that the demo took at most
# that many seconds after the build (a fresh run's figure: rerun stages are reused and faster).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${SEQ2EXP_DEMO_DIR:-$ROOT/demo}
CACHE=${SEQ2EXP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seq2exp}
PY=$(ls "$CACHE"/venv-*/bin/python | head -1)
CHROMIUM=${SEQ2EXP_CHROMIUM:-/usr/bin/chromium}
[ -f "$OUT/report.html" ] || { echo "error: $OUT/report.html is missing: run make demo first" >&2; exit 1; }
models=$(find "$OUT" -maxdepth 1 -name 'predict-*' -type d | wc -l)
"$PY" "$ROOT/report/tests/python/check_page.py" "$CHROMIUM" "$OUT/report.html" \
  --sections metrics,scatter,recovery,tracks,links --svgs $((models + 1 + 3))
if [ -n "${SEQ2EXP_DEMO_MAX_S:-}" ]; then
  s=$(cat "$OUT/demo-seconds")
  [ "$s" -le "$SEQ2EXP_DEMO_MAX_S" ] || { echo "error: the demo took $s s, over $SEQ2EXP_DEMO_MAX_S s" >&2; exit 1; }
  echo "demo took $s s after the build (limit $SEQ2EXP_DEMO_MAX_S s)"
fi
