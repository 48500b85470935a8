//! Shared helpers for the fixture tests: where the public fixture files live and their expected values.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `<workspace>/../shared/fixtures` (override with `SEQ2EXP_FIXTURES`). Fails loudly when missing:
/// these tests must never pass by skipping.
pub fn fixtures() -> PathBuf {
    let dir = std::env::var_os("SEQ2EXP_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"));
    assert!(
        dir.join("expected.json").is_file(),
        "fixture directory not found at {} (expected <workspace>/../shared/fixtures with expected.json; \
         set SEQ2EXP_FIXTURES to point elsewhere)",
        dir.display()
    );
    dir
}

/// A fixture file by its key in expected.json (e.g. `bigwig/ENCFF826FLP.bw`).
pub fn fixture(key: &str) -> PathBuf {
    let p = fixtures().join(key);
    assert!(p.is_file(), "fixture file missing: {}", p.display());
    p
}

/// The expected.json entry for a fixture.
pub fn expected(key: &str) -> serde_json::Value {
    let path = fixtures().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let all: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    all.get(key).cloned().unwrap_or_else(|| panic!("expected.json has no entry {key}"))
}

pub fn as_u64(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

pub fn as_f64(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn as_str(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Asserts an error message names the file and contains each of `parts`.
pub fn assert_names(err: &impl std::fmt::Display, file: &Path, parts: &[&str]) {
    let msg = err.to_string();
    if std::env::var_os("SHOW_ERRORS").is_some() {
        eprintln!("ERROR MESSAGE: {msg}");
    }
    assert!(msg.contains(&file.display().to_string()), "error does not name the file {}: {msg}", file.display());
    for p in parts {
        assert!(msg.contains(p), "error does not mention '{p}': {msg}");
    }
}
