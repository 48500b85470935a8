# The two commands a user needs (README): `make demo` runs the main job, `make test` runs every test.
# Both run scripts/setup.sh first (idempotent; cached outside the clone).
.PHONY: demo test setup bench

setup:
	@bash scripts/setup.sh >/dev/null

demo: setup
	@bash scripts/demo.sh

test: setup
	cargo test --workspace --no-fail-fast

bench: setup
	cargo bench --workspace
