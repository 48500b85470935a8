# The two commands a user needs (README): `make demo` runs the main job, `make test` runs every test.
# Both run scripts/setup.sh first (idempotent; cached outside the clone).
.PHONY: demo demo-check test setup bench cuda-check

setup:
	@bash scripts/setup.sh >/dev/null

demo: setup
	@bash scripts/demo.sh

# The demo's report in headless chromium (every section and figure, no console errors).
demo-check: setup
	@bash scripts/demo-check.sh

test: setup
	cargo test --workspace --no-fail-fast

bench: setup
	cargo bench --workspace

# Runs the benchmarks the README quotes and writes docs/benchmarks.md (SEQ2EXP_BENCH=full for all of them).
bench-report: setup
	@bash scripts/bench-report.sh

# Compiles the CUDA scan kernel with nvcc from PyPI for sm_80 and sm_90; needs no GPU.
cuda-check:
	@SEQ2EXP_NVCC=1 bash scripts/setup.sh >/dev/null
	@bash scripts/cuda-check.sh
