//! The mask experiment: on a simulated genome with planted elements (fixed seeds, tiny preset, CPU), the
//! discovery variant and the `nomask` baseline are trained side by side. Asserted: the discovery mask's
//! element-recovery AUPRC is above raw DNase's and the peak mask's; its mean mask on causal elements is
//! above open decoys by more than 3 standard errors; its test MSE is below `nomask`'s.
//!
//! It does not hold yet (docs/model.md, "What the mask learns", has the figures): at this budget the
//! discovery variant beats `nomask` on test MSE but its mask ranks causal elements and open decoys alike.
//! A generator pretrained on masked bases (`train.pretrain`, docs/model.md, "Pretraining the generator")
//! does separate them, but only after about 2,500 pretraining steps at 8 kb, which is more than this
//! test's CPU budget. So the test is ignored; run it with
//! `cargo test -p seq2exp-trainer --test acceptance -- --ignored --nocapture` (about 7 minutes on 2 cores).

use std::path::Path;
use std::process::Command;

mod common;

use common::{benchmark_store, BENCHMARK_WINDOW as WINDOW};

/// Starts one training run (single-threaded, so two run side by side on 2 cores).
fn train(dir: &Path, store: &Path, mode: &str) -> std::process::Child {
    let cfg = dir.join(format!("config-{mode}.json"));
    let json = serde_json::json!({
        "model": { "window": WINDOW },
        "train": { "lr": 0.005, "min_lr": 0.0005, "steps": 300, "validate_every": 100 },
    });
    std::fs::write(&cfg, json.to_string()).unwrap();
    let run = dir.join(format!("run-{mode}"));
    Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["train", "--preset", "tiny", "--device", "cpu", "--mode", mode])
        .arg("--store")
        .arg(store)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .env("OMP_NUM_THREADS", "1")
        .env("RAYON_NUM_THREADS", "1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn eval(dir: &Path, store: &Path, mode: &str) -> serde_json::Value {
    let run = dir.join(format!("run-{mode}"));
    let sim = dir.join("sim");
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["eval", "--json", "--device", "cpu"])
        .arg("--run")
        .arg(&run)
        .arg("--store")
        .arg(store)
        .arg("--truth")
        .arg(sim.join("truth.bed"))
        .arg("--peaks")
        .arg(sim.join("dnase_peaks.narrowPeak"))
        .arg("--elements")
        .arg(sim.join("elements.bed"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{mode}: {report}");
    report
}

#[test]
#[ignore = "does not hold yet at tiny scale (docs/model.md): run with --ignored"]
fn discovery_mask_recovers_planted_elements_and_beats_nomask() {
    let dir = tempfile::tempdir().unwrap();
    let store = benchmark_store(dir.path());
    let mut runs: Vec<_> = ["discovery", "nomask"].iter().map(|m| (*m, train(dir.path(), &store, m))).collect();
    for (mode, child) in &mut runs {
        assert!(child.wait().unwrap().success(), "{mode} training failed");
    }
    let disc = eval(dir.path(), &store, "discovery");
    let nomask = eval(dir.path(), &store, "nomask");
    let mse = |r: &serde_json::Value| r["metrics"]["mse"].as_f64().unwrap();
    let rec = &disc["recovery"];
    let (mask, peaks, dnase) =
        (rec["model_mask"].as_f64().unwrap(), rec["peak_mask"].as_f64().unwrap(), rec["dnase"].as_f64().unwrap());
    let kind = |k: &str, f: &str| disc["element_mask"][k][f].as_f64().unwrap();
    let gap = kind("causal", "mean") - kind("open_decoy", "mean");
    let se = kind("causal", "se").hypot(kind("open_decoy", "se"));
    assert!(mask > peaks && mask > dnase, "mask AUPRC {mask} vs peaks {peaks}, DNase {dnase}");
    assert!(gap > 3.0 * se, "causal − open decoy mean mask {gap} is not above 3 standard errors ({se})");
    assert!(mse(&disc) < mse(&nomask), "discovery test MSE {} ≥ nomask {}", mse(&disc), mse(&nomask));
}
