//! Issue 4's acceptance experiment: on a simulated genome, tiny preset, CPU, fixed seeds, Seq2Exp-soft
//! must (1) beat the `nomask` baseline on test MSE and (2) recover the planted causal elements with a
//! higher per-base AUPRC than the peak mask and raw DNase.
//!
//! It does NOT hold yet, so the test is ignored (run it with `cargo test -p seq2exp-trainer --test
//! acceptance -- --ignored --nocapture`). Measured so far (see the issue 4 notes): (1) holds on this
//! genome (soft 0.093 vs nomask 0.116, the latter trained at lr 1e-2), (2) does not — the learned mask ranks causal elements and
//! accessible decoys alike (mean mask 0.17 vs 0.18), i.e. the generator has not learned the motif in
//! 300 steps, and the mask's AUPRC (0.25) stays below peaks (0.51) and DNase (0.56). At 1000 steps
//! prediction improves (soft 0.075 vs nomask 0.096) but the mask still does not tell causal elements from
//! decoys (0.113 vs 0.116; AUPRC 0.24). Why (session 4, from AdamW's second moments): the generator's
//! gradients are 10³–10⁵ below the predictor's (layer-0 in_proj RMS 4e-9 vs 2e-4 without the KL) — the
//! pooled centre is the forced promoter, so the loss reaches the mask only through the predictor's
//! long-range mixing. Pooling the whole window, dropping the KL, or ε = 1e-16 (so Adam rescales those
//! gradients) did not make it learn the motif within 1000 steps either; the signal-only baseline scores
//! as well as every sequence model here (test R² 0.28). Session 5: the predictor's first RMSNorm undoes
//! a per-base scale, so a soft mask reaches the predictor only through the residual stream; gating the
//! first mixer's input by the mask as well (an experiment, not kept) changed nothing (AUPRC 0.25 at 300
//! and 1000 steps, 0.28 on a 3× genome). The limit is upstream: no model here learns more than counting
//! accessible elements (least squares on the truth: counting reaches R² 0.53, the motif 0.68–0.91; the
//! models reach ≤ 0.37), and even a perfect counter would give the generator a per-element gradient gap
//! of 0.04 between causal elements and open decoys against an s.d. of 0.16. Why no model counts: at
//! init the centre pool depends on a base 100 bp outside it ~10⁴× more weakly than on its own bases, and
//! ~10⁵× at 1 kb (`cargo run --release -p seq2exp-trainer --example receptive_field`); on a 6 kb genome
//! with 994 genes the signal-only head reaches test R² 0.60, `nomask` 0.29 with centre pooling and 0.48
//! pooling the whole window, and the soft mask's AUPRC stays 0.37 against DNase 0.61 either way. The bar stays.

use std::path::Path;
use std::process::Command;

use seq2exp_data_prep::build::{build_store, BuildConfig};
use seq2exp_data_prep::simulate::{simulate, SimConfig};

const WINDOW: u64 = 8_000;

/// 23 chromosomes × 16 genes, elements within ±4 kb, 1–2 causal elements (8-mer × 6) and one decoy of
/// each kind per gene.
fn genome(dir: &Path) -> std::path::PathBuf {
    let sim = dir.join("sim");
    let cfg = SimConfig {
        seed: 11,
        genes_per_chrom: 16,
        gene_spacing: 20_000,
        design_window: WINDOW,
        effect_range: WINDOW / 2,
        causal_per_gene: (1, 2),
        open_decoys_per_gene: 1,
        motif_decoys_per_gene: 1,
        motif_length: 8,
        motif_copies: 6,
        ..SimConfig::default()
    };
    simulate(&cfg, &sim).unwrap();
    let mut b = BuildConfig::new(sim.join("genome.fa"), sim.join("genes.gtf"), sim.join("expression.csv"), dir.join("store.h5"));
    b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    b.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    b.features = Some(sim.join("features.csv"));
    b.blacklist = Some(sim.join("blacklist.bed"));
    b.window = WINDOW;
    b.progress = false;
    build_store(&b).unwrap().out
}

fn train_and_eval(dir: &Path, store: &Path, mode: &str) -> serde_json::Value {
    let cfg = dir.join("config.json");
    let json = serde_json::json!({
        "model": { "window": WINDOW, "mask": { "prior_scale": 1.0 } },
        "train": { "lr": 0.005, "min_lr": 0.0005, "steps": 300, "validate_every": 100 },
    });
    std::fs::write(&cfg, json.to_string()).unwrap();
    let run = dir.join(format!("run-{mode}"));
    let st = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["train", "--preset", "tiny", "--device", "cpu", "--mode", mode])
        .arg("--store").arg(store).arg("--config").arg(&cfg).arg("--out").arg(&run)
        .status()
        .unwrap();
    assert!(st.success(), "{mode} training failed");
    let sim = dir.join("sim");
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["eval", "--json", "--device", "cpu"])
        .arg("--run").arg(&run).arg("--store").arg(store)
        .arg("--truth").arg(sim.join("truth.bed"))
        .arg("--peaks").arg(sim.join("dnase_peaks.narrowPeak"))
        .arg("--elements").arg(sim.join("elements.bed"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{mode}: {report}");
    report
}

#[test]
#[ignore = "the acceptance bar does not hold yet at tiny scale (issue 4): run with --ignored"]
fn soft_mask_beats_nomask_and_recovers_elements_better_than_peaks_and_dnase() {
    let dir = tempfile::tempdir().unwrap();
    let store = genome(dir.path());
    let soft = train_and_eval(dir.path(), &store, "soft");
    let nomask = train_and_eval(dir.path(), &store, "nomask");
    let mse = |r: &serde_json::Value| r["metrics"]["mse"].as_f64().unwrap();
    assert!(mse(&soft) < mse(&nomask), "soft test MSE {} ≥ nomask {}", mse(&soft), mse(&nomask));
    let rec = &soft["recovery"];
    let (mask, peaks, dnase) = (rec["model_mask"].as_f64().unwrap(), rec["peak_mask"].as_f64().unwrap(), rec["dnase"].as_f64().unwrap());
    assert!(mask > peaks && mask > dnase, "mask AUPRC {mask} vs peaks {peaks}, DNase {dnase}");
}
