//! The retrain variant (docs/model.md, "Retrain"): a trained soft run's mask, frozen, keeps exactly the top
//! fraction of each gene's bases (ties by position, the promoter always), a fresh predictor trains on them;
//! the run exports in both flavours, the runtime predicts it, and both evals report its mask ratio.

mod common;

use std::path::Path;
use std::process::Command;

use common::{config, export_cli, store, train_cmd};
use seq2exp_runtime::{InputBatch, LoadOptions, Model};
use seq2exp_store::BatchStream;
use seq2exp_trainer::eval::load_run;
use seq2exp_trainer::model::retrain::top_k;
use seq2exp_trainer::model::{ModelInput, Pass};
use tch::{Device, Kind, Tensor};

const TOP: f64 = 0.3;

fn train(store: &Path, cfg: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    train_cmd(store, cfg, out).args(["--steps", "4"]).args(extra).output().unwrap()
}

/// The indices a stable descending ranking keeps: larger values first, the lower position among equals.
fn top_by_hand(row: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].partial_cmp(&row[a]).unwrap().then(a.cmp(&b)));
    let mut kept = idx[..k].to_vec();
    kept.sort();
    kept
}

#[test]
fn top_k_keeps_exactly_k_bases_and_breaks_ties_by_position() {
    // Two rows with a forced block of ones and many ties at 0.25 and at 0.
    let rows: [Vec<f32>; 2] = [
        (0..40)
            .map(|p| {
                if (16..24).contains(&p) {
                    1.0
                } else if p % 3 == 0 {
                    0.25
                } else {
                    0.0
                }
            })
            .collect(),
        (0..40)
            .map(|p| {
                if (16..24).contains(&p) {
                    1.0
                } else if p > 30 {
                    0.5
                } else {
                    0.25
                }
            })
            .collect(),
    ];
    let t = Tensor::from_slice(&rows.concat()).reshape([2, 40]);
    for k in [8, 11, 20] {
        let m: Vec<f32> = Vec::try_from(top_k(&t, k).flatten(0, -1)).unwrap();
        for (r, row) in rows.iter().enumerate() {
            let got: Vec<usize> = (0..40).filter(|&p| m[r * 40 + p] == 1.0).collect();
            assert_eq!(got, top_by_hand(row, k), "row {r}, k {k}");
            assert!((16..24).all(|p| got.contains(&p)), "the promoter block must be kept");
        }
    }
}

#[test]
fn retrain_trains_exports_and_predicts_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path());
    let soft = dir.path().join("soft");
    let o = train(&store, &cfg, &soft, &["--mode", "soft"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Bad requests fail with one clear error and leave no run directory.
    let nomask = dir.path().join("nomask");
    assert!(train(&store, &cfg, &nomask, &["--mode", "nomask"]).status.success());
    for (args, expect) in [
        (vec!["--mode", "retrain"], "--mask-from"),
        (vec!["--mode", "retrain", "--mask-from", nomask.to_str().unwrap()], "soft or discovery"),
        (
            vec!["--mode", "retrain", "--mask-from", soft.to_str().unwrap(), "--top", "0.1"],
            "fewer than the 1000-base promoter",
        ),
        (vec!["--mode", "soft", "--mask-from", soft.to_str().unwrap()], "--mask-from is for --mode retrain"),
    ] {
        let out = dir.path().join("refused");
        let o = train(&store, &cfg, &out, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }

    let run = dir.path().join("retrain");
    let top = TOP.to_string();
    let o = train(&store, &cfg, &run, &["--mode", "retrain", "--mask-from", soft.to_str().unwrap(), "--top", &top]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The frozen mask model is the soft run's, unchanged by training; the predictor did train.
    let (source, _) = load_run(&soft, Device::Cpu).unwrap();
    let (net, _) = load_run(&run, Device::Cpu).unwrap();
    let (src_vars, vars) = (source.vs.variables(), net.vs.variables());
    let mut frozen = 0;
    for (name, t) in &vars {
        if let Some(src) = name.strip_prefix("mask_model.") {
            assert!(t.equal(&src_vars[src]), "{name} differs from the soft run's {src}");
            frozen += 1;
        }
    }
    assert!(frozen > 10, "only {frozen} frozen tensors");
    assert!(!vars.keys().any(|n| n.starts_with("generator.")), "retrain has no generator of its own");

    // Per gene: exactly k bases, the promoter among them, and they are the soft mask's top k.
    let window = net.cfg.window;
    let k = (TOP * window as f64).floor() as usize;
    let b =
        BatchStream::spawn(&store, (0..3).collect(), 3, net.cfg.signals.clone(), 1).unwrap().next().unwrap().unwrap();
    let x = ModelInput::from_batch(&b, Device::Cpu);
    let soft_mask = tch::no_grad(|| source.forward(&x, Pass::Eval)).mask.unwrap();
    let out = tch::no_grad(|| net.forward(&x, Pass::Eval));
    let mask: Vec<f32> = Vec::try_from(out.mask.as_ref().unwrap().to_kind(Kind::Float).flatten(0, -1)).unwrap();
    let soft_v: Vec<f32> = Vec::try_from(soft_mask.flatten(0, -1)).unwrap();
    let hw = net.cfg.mask.promoter_half_width;
    for g in 0..3 {
        let row = &mask[g * window..(g + 1) * window];
        let kept: Vec<usize> = (0..window).filter(|&p| row[p] == 1.0).collect();
        assert!(row.iter().all(|&v| v == 0.0 || v == 1.0), "gene {g}: mask is not binary");
        assert_eq!(kept.len(), k, "gene {g}");
        assert!((window / 2 - hw..window / 2 + hw).all(|p| row[p] == 1.0), "gene {g}: the promoter was dropped");
        assert_eq!(kept, top_by_hand(&soft_v[g * window..(g + 1) * window], k), "gene {g}");
    }

    // Export in both flavours (each parity-checked against the trainer), then predict with the runtime.
    for flavour in ["fast", "portable"] {
        let onnx = dir.path().join(format!("retrain-{flavour}.onnx"));
        export_cli(&run, &onnx, flavour, &store);
        let m = Model::load(&onnx, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
        assert_eq!(m.info().mask_mode, "retrain");
        let p = m.predict(&InputBatch::from_store_batch(&b)).unwrap();
        assert_eq!(p.mask.as_ref().unwrap(), &mask, "{flavour}: the runtime's selection differs");
        let pred: Vec<f32> = Vec::try_from(&out.pred).unwrap();
        let d = p.expression.iter().zip(&pred).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(d <= 1e-4, "{flavour}: expression differs by {d}");
    }

    // Both evals report the mask ratio: k of L bases.
    let ratio = k as f64 / window as f64;
    let o = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["eval", "--json", "--device", "cpu", "--run"])
        .arg(&run)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got = report["mask_ratio"].as_f64().unwrap();
    assert!((got - ratio).abs() < 1e-9, "trainer eval mask ratio {got}, expected {ratio}");
    runtime_eval_reports(dir.path(), &store, ratio);
}

/// The runtime's predict driver with masks on the retrain export, then the mask ratio `runtime eval`
/// reports from its masks.h5: k / L.
fn runtime_eval_reports(dir: &Path, store: &Path, ratio: f64) {
    use seq2exp_runtime::output::masks::mask_ratio;
    use seq2exp_runtime::predict::{predict_store, MaskOutputs, PredictOptions};
    use seq2exp_runtime::select::GeneFilter;
    let onnx = dir.join("retrain-fast.onnx");
    let model = Model::load(&onnx, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let out = dir.join("predicted");
    let p = PredictOptions {
        store: store.to_path_buf(),
        out: out.clone(),
        filter: GeneFilter::All,
        shard: None,
        batch: 3,
        masks: Some(MaskOutputs::default()),
        progress: false,
    };
    predict_store(&model, &onnx, &p).unwrap();
    let reader = seq2exp_store::StoreReader::open(store).unwrap();
    let ids: Vec<&str> = reader.genes().iter().map(|g| g.id.as_str()).collect();
    let got = mask_ratio(&out.join("masks.h5"), &ids).unwrap();
    assert!((got - ratio).abs() < 1e-6, "runtime mask ratio {got}, expected {ratio}");
}
