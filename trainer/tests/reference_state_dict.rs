//! Reference checkpoints (docs/model.md, "Reference checkpoints"): a run exported to the reference
//! PyTorch model's naming and imported back predicts what the original predicts (1e-6, through ONNX and
//! the runtime), for the soft, hard and retrain variants; what the reference cannot express, or a file
//! that is not the model asked for, fails with one clear error and writes nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{config, export_cli, no_temporary_file, store, train_cmd};
use seq2exp_runtime::{InputBatch, LoadOptions, Model, Prediction};
use seq2exp_store::BatchStream;
use seq2exp_trainer::checkpoint::{read_weights, write_weights};

fn trainer(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainer"));
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.env("RUST_LOG", "warn").output().unwrap()
}

fn ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what}: {}", String::from_utf8_lossy(&o.stderr));
}

/// The test configuration with the head's width equal to d_model (the reference's pToExpr).
fn reference_config(dir: &Path) -> PathBuf {
    let path = config(dir);
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let d = v["model"]["predictor"]["mamba"]["d_model"].clone();
    v["model"]["head"]["hidden"] = d;
    let out = dir.join("reference-config.json");
    std::fs::write(&out, v.to_string()).unwrap();
    out
}

fn predict(onnx: &Path, store: &Path) -> Prediction {
    let m = Model::load(onnx, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let signals = m.info().signal_names.clone();
    let b = BatchStream::spawn(store, (0..4).collect(), 4, signals, 1).unwrap().next().unwrap().unwrap();
    m.predict(&InputBatch::from_store_batch(&b)).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// export → reference names → import → export: the same predictions and masks.
fn round_trip(dir: &Path, store: &Path, run: &Path, name: &str, import_flags: &[&str]) {
    let file = dir.join(format!("{name}.safetensors"));
    let o = trainer(&["export", "--format", "reference-state-dict", "--run"], &[run]);
    assert!(!o.status.success(), "export without --out must fail");
    ok(&trainer(&["export", "--format", "reference-state-dict", "--run"], &[run, "--out".as_ref(), &file]), "export");
    assert!(no_temporary_file(&file));
    let (tensors, _) = read_weights(&file).unwrap();
    assert!(tensors.iter().all(|(n, _)| !n.starts_with("seq_embed") && !n.starts_with("head.")), "{name}: our names");
    assert!(tensors.iter().any(|(n, _)| n.starts_with("pToExpr.0.")));

    let imported = dir.join(format!("{name}-imported"));
    let mut args = vec!["import"];
    args.extend(import_flags);
    args.extend(["--weights"]);
    ok(&trainer(&args, &[&file, "--out".as_ref(), &imported]), "import");
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(imported.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["model"]["head"]["standardize_features"], false, "the import reads raw features");

    let (a, b) = (dir.join(format!("{name}.onnx")), dir.join(format!("{name}-imported.onnx")));
    export_cli(run, &a, "fast", store);
    export_cli(&imported, &b, "fast", store);
    let (pa, pb) = (predict(&a, store), predict(&b, store));
    let d = max_diff(&pa.expression, &pb.expression);
    assert!(d <= 1e-6, "{name}: predictions differ by {d}");
    if let (Some(ma), Some(mb)) = (&pa.mask, &pb.mask) {
        let d = max_diff(ma, mb);
        assert!(d <= 1e-6, "{name}: masks differ by {d}");
    } else {
        assert!(pa.mask.is_none() && pb.mask.is_none());
    }
    eprintln!("{name}: {} tensors, max |Δ| expression {d:.1e}", tensors.len());
}

#[test]
fn soft_hard_and_retrain_round_trip_through_reference_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = store(d);
    let cfg = reference_config(d);
    let cfg_s = cfg.to_str().unwrap();
    for mode in ["soft", "hard"] {
        let run = d.join(mode);
        let o = train_cmd(&store, &cfg, &run).args(["--steps", "4", "--mode", mode]).output().unwrap();
        ok(&o, mode);
        // As a reference user would: the sizes and the mode given, not read from the file.
        round_trip(d, &store, &run, mode, &["--preset", "tiny", "--config", cfg_s, "--mode", mode]);
    }
    let soft = d.join("soft");
    let run = d.join("retrain");
    let o = train_cmd(&store, &cfg, &run)
        .args(["--steps", "4", "--mode", "retrain", "--top", "0.3", "--mask-from"])
        .arg(&soft)
        .output()
        .unwrap();
    ok(&o, "retrain");
    round_trip(
        d,
        &store,
        &run,
        "retrain",
        &["--preset", "tiny", "--config", cfg_s, "--mode", "retrain", "--top", "0.3"],
    );
    // A file written by export carries its configuration: no flags needed.
    round_trip(d, &store, &run, "retrain-meta", &[]);
}

#[test]
fn what_the_reference_cannot_hold_fails_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = store(d);
    // The tiny preset's head is wider than d_model; discovery is not the reference's.
    let cfg = config(d);
    for (mode, expect) in [("soft", "head.hidden"), ("discovery", "mask.mode")] {
        let run = d.join(mode);
        ok(&train_cmd(&store, &cfg, &run).args(["--steps", "2", "--mode", mode]).output().unwrap(), mode);
        let out = d.join(format!("{mode}.safetensors"));
        let o = trainer(&["export", "--format", "reference-state-dict", "--run"], &[&run, "--out".as_ref(), &out]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect) && err.contains("cannot express"), "{mode}: {err}");
        assert!(!out.exists() && no_temporary_file(&out));
    }

    // A soft file imported as hard (no pos_emb), a file with a foreign tensor, a wrong shape.
    let rcfg = reference_config(d);
    let run = d.join("ref-soft");
    ok(&train_cmd(&store, &rcfg, &run).args(["--steps", "2", "--mode", "soft"]).output().unwrap(), "soft");
    let file = d.join("ref-soft.safetensors");
    ok(&trainer(&["export", "--format", "reference-state-dict", "--run"], &[&run, "--out".as_ref(), &file]), "export");
    let (tensors, meta) = read_weights(&file).unwrap();
    let extra = d.join("extra.safetensors");
    let mut with_extra = tensors.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect::<Vec<_>>();
    with_extra.push(("encoder.backbone.layers.9.norm.weight".into(), tch::Tensor::ones([16], tch::kind::FLOAT_CPU)));
    write_weights(&extra, &with_extra, &meta).unwrap();
    let reshaped = d.join("reshaped.safetensors");
    let bad: Vec<_> = tensors
        .iter()
        .map(|(n, t)| {
            (
                n.clone(),
                if n == "mask_output.bias" { tch::Tensor::zeros([3], tch::kind::FLOAT_CPU) } else { t.shallow_clone() },
            )
        })
        .collect();
    write_weights(&reshaped, &bad, &meta).unwrap();
    let rcfg_s = rcfg.to_str().unwrap();
    for (file, mode, expect) in [
        (&file, "hard", "pos_emb is missing"),
        (&extra, "soft", "unexpected tensor encoder.backbone.layers.9.norm.weight"),
        (&reshaped, "soft", "mask_output.bias has shape [3]"),
    ] {
        let out = d.join(format!("imported-{mode}"));
        let o = trainer(
            &["import", "--preset", "tiny", "--config", rcfg_s, "--mode", mode, "--weights"],
            &[file, "--out".as_ref(), &out],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect), "{mode}: {err}");
        assert!(err.contains(&file.display().to_string()), "the error names the file: {err}");
        assert!(!out.exists(), "{} was created", out.display());
    }
}
