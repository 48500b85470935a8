//! The report in a real browser: Debian's headless Chromium, driven over the DevTools protocol by
//! `tests/python/check_page.py`, loads the page with no console error, page error or failed load, fetches
//! nothing outside the file, and lays out every figure with a nonzero size. A missing Chromium or Python
//! fails these tests: a skipped check would read as a pass. `REPORT_SCREENSHOT=FILE.png` also saves a
//! full-page screenshot.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, ok, report, MODELS};

/// Chromium: `$SEQ2EXP_CHROMIUM`, else `chromium` on PATH (scripts/setup.sh installs Debian's).
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("SEQ2EXP_CHROMIUM") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file()));
    found.expect(
        "chromium not found on PATH (nor $SEQ2EXP_CHROMIUM): run scripts/setup.sh, which installs Debian's chromium",
    )
}

/// `$SEQ2EXP_VENV/bin/python` (scripts/setup.sh records it for cargo).
fn python() -> PathBuf {
    let v = std::env::var_os("SEQ2EXP_VENV")
        .or_else(|| option_env!("SEQ2EXP_VENV").map(Into::into))
        .expect("SEQ2EXP_VENV is not set: run scripts/setup.sh (it installs the Python this check runs in)");
    let p = Path::new(&v).join("bin/python");
    assert!(p.exists(), "{} does not exist: run scripts/setup.sh", p.display());
    p
}

/// Runs the page checker; returns (success, stdout + stderr).
fn check_page(page: &Path, extra: &[String]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_page.py");
    let out = Command::new(python()).arg(script).arg(chromium()).arg(page).args(extra).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn the_report_renders_in_headless_chromium_without_errors() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    ok(&report(&f.full_args(&page)));
    let mut extra = vec![
        "--sections".to_string(),
        "metrics,scatter,recovery,tracks,links".to_string(),
        "--svgs".to_string(),
        (MODELS.len() + 1 + 3).to_string(),
    ];
    if let Some(shot) = std::env::var_os("REPORT_SCREENSHOT") {
        extra.extend(["--screenshot".to_string(), shot.to_string_lossy().into_owned()]);
    }
    let (pass, text) = check_page(&page, &extra);
    assert!(pass, "the page does not render cleanly:\n{text}");
    assert!(text.contains("8 svg"), "{text}");
}

/// The checker is not vacuous: a broken image, a console error, an exception and an empty figure are
/// each reported.
#[test]
fn the_browser_check_catches_a_broken_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>bad</title></head><body><section id=\"a\"></section>\
         <img src=\"missing.png\"><svg width=\"0\" height=\"0\"></svg>\
         <script>console.error('from console'); throw new Error('boom');</script></body></html>",
    )
    .unwrap();
    let (pass, text) = check_page(&page, &["--sections".into(), "a".into(), "--svgs".into(), "1".into()]);
    assert!(!pass, "{text}");
    for want in ["missing.png", "console error: from console", "page error: Error: boom", "<svg> #1 does not render"] {
        assert!(text.contains(want), "{want:?} not reported:\n{text}");
    }
}
