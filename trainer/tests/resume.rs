//! kill -9 in the middle of training, rerun → the same final weights as an uninterrupted run, bit for bit.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{config, store, train_cmd};
use seq2exp_trainer::checkpoint::read_weights;

fn steps_logged(out: &Path) -> usize {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .map(|t| t.lines().filter(|l| l.contains("\"loss\"")).count())
        .unwrap_or(0)
}

#[test]
fn killed_and_resumed_run_ends_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path());
    let (whole, killed) = (dir.path().join("whole"), dir.path().join("killed"));
    let out = train_cmd(&store, &cfg, &whole).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Kill -9 once a few steps (and at least one checkpoint) are done, then rerun to completion.
    let mut child = train_cmd(&store, &cfg, &killed).spawn().unwrap();
    let t0 = Instant::now();
    while steps_logged(&killed) < 7 && t0.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = steps_logged(&killed);
    assert!((7..16).contains(&at_kill), "killed after {at_kill} steps: the test needs a kill mid-run");
    let out = train_cmd(&store, &cfg, &killed).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (a, meta_a) = read_weights(&whole.join("last.safetensors")).unwrap();
    let (b, meta_b) = read_weights(&killed.join("last.safetensors")).unwrap();
    assert_eq!(a.len(), b.len());
    for ((na, ta), (nb, tb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(ta.equal(tb), "{na} differs after resume");
    }
    assert_eq!(meta_a["state"], meta_b["state"], "step, best validation and optimiser step agree");
    // The resumed run's log has each step once.
    assert_eq!(steps_logged(&killed), 16);
}

#[test]
fn rerunning_a_finished_run_changes_nothing_and_other_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path());
    let out_dir = dir.path().join("run");
    let out = train_cmd(&store, &cfg, &out_dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = std::fs::read(out_dir.join("last.safetensors")).unwrap();
    assert!(train_cmd(&store, &cfg, &out_dir).output().unwrap().status.success());
    assert_eq!(before, std::fs::read(out_dir.join("last.safetensors")).unwrap());
    let out = train_cmd(&store, &cfg, &out_dir).args(["--seed", "5"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim_end().lines().last().unwrap().starts_with("error:") && err.contains("another configuration"),
        "{err}"
    );
}
