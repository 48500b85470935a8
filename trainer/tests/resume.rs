//! kill -9 in the middle of training, rerun → the same final weights as an uninterrupted run, bit for bit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seq2exp_data_prep::build::{build_store, BuildConfig};
use seq2exp_data_prep::simulate::{simulate, SimConfig};
use seq2exp_trainer::checkpoint::read_weights;

const WINDOW: u64 = 4_000;

fn store(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    simulate(&SimConfig::small(31), &sim).unwrap();
    let mut cfg = BuildConfig::new(sim.join("genome.fa"), sim.join("genes.gtf"), sim.join("expression.csv"), dir.join("store.h5"));
    cfg.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    cfg.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    cfg.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    cfg.window = WINDOW;
    cfg.progress = false;
    build_store(&cfg).unwrap().out
}

/// A tiny model on 4 kb windows; fold 1 (the small genome has chr1–chr3: valid chr1, test chr2).
fn config(dir: &Path) -> PathBuf {
    use seq2exp_models::config::{Preset, Seq2ExpConfig, TrainConfig};
    let mut model = Seq2ExpConfig::preset(Preset::Tiny);
    model.window = WINDOW as usize;
    model.head.pool_width = 1000;
    model.mask.promoter_half_width = 500;
    let mut train = TrainConfig::preset(Preset::Tiny);
    (train.steps, train.batch_size, train.validate_every, train.fold, train.warmup_steps) = (16, 2, 4, 1, 4);
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::json!({ "model": model, "train": train }).to_string()).unwrap();
    path
}

fn train_cmd(store: &Path, cfg: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainer"));
    c.args(["train", "--preset", "tiny", "--device", "cpu", "--checkpoint-every", "2"])
        .arg("--store").arg(store).arg("--config").arg(cfg).arg("--out").arg(out)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn steps_logged(out: &Path) -> usize {
    std::fs::read_to_string(out.join("metrics.jsonl")).map(|t| t.lines().filter(|l| l.contains("\"loss\"")).count()).unwrap_or(0)
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
    assert!(err.trim_end().lines().last().unwrap().starts_with("error:") && err.contains("another configuration"), "{err}");
}
