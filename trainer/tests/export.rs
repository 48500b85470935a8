//! `trainer export`: a trained tiny run exported in both flavours; the files reproduce the tch forward
//! (Pass::Eval) on store genes through the runtime and through stock onnxruntime, and pass the onnx
//! checker. Hard, discovery, nomask and signal models export too (a trained signal run through the CLI,
//! then `runtime predict`); peakmask is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{config, export_cli, no_temporary_file, store, train_cmd};
use seq2exp_models::config::{MaskConfig, MaskMode, Readout};
use seq2exp_runtime::{Flavour, InputBatch, LoadOptions, Model, Prediction};
use seq2exp_store::{Batch, BatchStream};
use seq2exp_trainer::export::{export, ExportOptions, Parity};
use seq2exp_trainer::model::{ModelInput, Pass, Seq2Exp};
use seq2exp_trainer::train::run_dir::{save, RunConfig, RunDir, TrainState};
use tch::{Device, Kind};

const TOL: f32 = 1e-4;

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn batch(store: &Path, genes: usize, signals: &[String]) -> Batch {
    BatchStream::spawn(store, (0..genes).collect(), genes, signals.to_vec(), 1).unwrap().next().unwrap().unwrap()
}

fn tch_forward(run: &Path, b: &Batch) -> Prediction {
    let (net, _) = seq2exp_trainer::eval::load_run(run, Device::Cpu).unwrap();
    let o = tch::no_grad(|| net.forward(&ModelInput::from_batch(b, Device::Cpu), Pass::Eval));
    let mask = o.mask.map(|m| Vec::<f32>::try_from(m.to_kind(Kind::Float).flatten(0, -1)).unwrap());
    Prediction { expression: Vec::try_from(o.pred).unwrap(), mask }
}

fn assert_close(what: &str, a: &Prediction, b: &Prediction) {
    let d = max_abs(&a.expression, &b.expression);
    assert!(d <= TOL, "{what}: expression |Δ| {d}: {:?} vs {:?}", a.expression, b.expression);
    match (&a.mask, &b.mask) {
        (Some(x), Some(y)) => {
            let d = max_abs(x, y);
            assert!(d <= TOL, "{what}: mask |Δ| {d}");
        }
        (None, None) => {}
        _ => panic!("{what}: mask present on one side only"),
    }
    eprintln!("{what}: expression {:?}", b.expression);
}

/// The project's venv Python (scripts/setup.sh); missing, the test fails instead of skipping the check.
fn python() -> PathBuf {
    let v = std::env::var_os("SEQ2EXP_VENV")
        .or_else(|| option_env!("SEQ2EXP_VENV").map(Into::into))
        .expect("SEQ2EXP_VENV is not set: run scripts/setup.sh (it installs the venv for the onnxruntime check)");
    let p = Path::new(&v).join("bin/python");
    assert!(p.exists(), "{} does not exist: run scripts/setup.sh", p.display());
    p
}

/// Stock onnxruntime on `model` (the runtime crate's script: full onnx check, then a run).
fn run_python(py: &Path, model: &Path, dir: &Path, b: &Batch, structural: bool) -> Option<Prediction> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/python/run_portable.py");
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(dir.join("dna.bin"), &b.dna).unwrap();
    std::fs::write(dir.join("signals.bin"), f32s(&b.signals)).unwrap();
    std::fs::write(dir.join("features.bin"), f32s(&b.features)).unwrap();
    std::fs::write(dir.join("blacklist.bin"), &b.blacklist).unwrap();
    let mut c = Command::new(py);
    c.arg(script)
        .arg(model)
        .arg(dir)
        .args([b.len(), b.window, b.channels, b.features.len() / b.len()].map(|v| v.to_string()));
    if structural {
        c.arg("--structural-only");
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "python: {}", String::from_utf8_lossy(&o.stderr));
    if structural {
        return None;
    }
    let read = |n: &str| {
        std::fs::read(dir.join(n))
            .ok()
            .map(|v| v.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    };
    Some(Prediction { expression: read("expression.bin")?, mask: read("mask.bin") })
}

#[test]
fn trained_run_exports_in_both_flavours_and_matches_the_trainer() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path());
    let run = dir.path().join("run");
    let out = train_cmd(&store, &cfg, &run).args(["--steps", "4"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (fast, portable) = (dir.path().join("fast.onnx"), dir.path().join("portable.onnx"));
    export_cli(&run, &fast, "fast", &store);
    export_cli(&run, &portable, "portable", &store);

    let fm = Model::load(&fast, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let pm = Model::load(&portable, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    assert_eq!((fm.info().flavour, pm.info().flavour), (Flavour::Fast, Flavour::Portable));
    assert_eq!(fm.info().mask_mode, "soft");
    let prov: serde_json::Value = serde_json::from_str(&fm.info().metadata["seq2exp.provenance"]).unwrap();
    assert_eq!(prov["checkpoint_sha256"].as_str().unwrap().len(), 64);
    let b = batch(&store, 4, &fm.info().signal_names);
    let reference = tch_forward(&run, &b);
    let input = InputBatch::from_store_batch(&b);
    assert_close("runtime fast", &reference, &fm.predict(&input).unwrap());
    assert_close("runtime portable", &reference, &pm.predict(&input).unwrap());
    // A mask that is not trivially constant: the soft mask varies between bases.
    let m = reference.mask.as_ref().unwrap();
    assert!(m.iter().any(|&v| v < 0.99), "mask is all ones");
    let py = python();
    let theirs = run_python(&py, &portable, dir.path(), &b, false).unwrap();
    assert_close("stock onnxruntime portable", &reference, &theirs);
    run_python(&py, &fast, dir.path(), &b, true);
}

/// Exports `run` to `out` (the export's own parity check on two store genes must pass), then predicts two
/// genes through the runtime and compares them with the trainer's forward. Returns the parity report and
/// the runtime's prediction.
fn export_and_compare(run: &Path, out: &Path, flavour: Flavour, store: &Path, what: &str) -> (Parity, Prediction) {
    let opts = ExportOptions {
        run: run.to_path_buf(),
        out: out.to_path_buf(),
        flavour,
        store: Some(store.to_path_buf()),
        genes: 2,
        tolerance: TOL,
        threads: Some(2),
    };
    let r = export(&opts).unwrap();
    assert!(r.parity.max_abs_expression <= TOL);
    eprintln!("{what} {flavour}: export parity, expression max |Δ| {:e}", r.parity.max_abs_expression);
    let m = Model::load(out, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let b = batch(store, 2, &m.info().signal_names);
    let pred = m.predict(&InputBatch::from_store_batch(&b)).unwrap();
    assert_close(&format!("{what} {flavour}"), &tch_forward(run, &b), &pred);
    (r.parity, pred)
}

/// A run directory holding a freshly initialised model of `mode` (no training needed for parity).
fn init_run(dir: &Path, mode: MaskMode, store: &Path) -> PathBuf {
    init_run_with(dir, MaskConfig::for_mode(mode), &format!("{mode:?}"), store)
}

/// As [`init_run`], for any mask configuration; the run directory is `run-NAME`.
fn init_run_with(dir: &Path, mask: MaskConfig, name: &str, store: &Path) -> PathBuf {
    let cfg_path = config(dir);
    let mut text: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cfg_path).unwrap()).unwrap();
    text["model"]["mask"]["mode"] = serde_json::json!("soft");
    let mut rc: RunConfig =
        serde_json::from_value(serde_json::json!({ "model": text["model"], "train": text["train"] })).unwrap();
    let hw = rc.model.mask.promoter_half_width;
    rc.model.mask = mask;
    rc.model.mask.promoter_half_width = hw;
    let run = dir.join(format!("run-{name}"));
    RunDir::new(&run).init(&rc).unwrap();
    tch::manual_seed(3);
    let model = Seq2Exp::new(&rc.model, Device::Cpu);
    // Standardise the features as training would (raw simulated features would push outputs to ~1e3).
    let reader = seq2exp_store::StoreReader::open(store).unwrap();
    let f: Vec<[f32; 9]> = (0..reader.len()).map(|i| reader.features(i)).collect();
    let n = f.len() as f32;
    let mean: Vec<f32> = (0..9).map(|k| f.iter().map(|r| r[k]).sum::<f32>() / n).collect();
    let std: Vec<f32> =
        (0..9).map(|k| (f.iter().map(|r| (r[k] - mean[k]).powi(2)).sum::<f32>() / n).sqrt().max(1e-6)).collect();
    tch::no_grad(|| {
        model.head.feature_mean.shallow_clone().copy_(&tch::Tensor::from_slice(&mean));
        model.head.feature_std.shallow_clone().copy_(&tch::Tensor::from_slice(&std));
    });
    if rc.model.shares_stack() {
        // A trained position embedding is not zero: give the parity check one that matters.
        tch::no_grad(|| {
            let pos = &model.vs.variables()["pos_emb"];
            pos.shallow_clone().copy_(&(tch::Tensor::randn_like(pos) * 0.3));
        });
    }
    if rc.model.signal_readout() {
        // The distal term starts at zero; give it weights so the parity check reads it.
        tch::no_grad(|| {
            let w = &model.vs.variables()["head.distal.weight"];
            w.shallow_clone().copy_(&(tch::Tensor::randn_like(w) * 0.5));
        });
    }
    save(&RunDir::new(&run).best(), &model, vec![], &rc, &TrainState::default()).unwrap();
    run
}

#[test]
fn hard_discovery_nomask_and_signal_export_and_peakmask_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    for mode in [MaskMode::Hard, MaskMode::Discovery, MaskMode::Nomask, MaskMode::Signal] {
        let run = init_run(dir.path(), mode, &store);
        // Hard models run a Loop of their own in each flavour, signal models are cheap: check both.
        let flavours: &[Flavour] = if matches!(mode, MaskMode::Hard | MaskMode::Signal) {
            &[Flavour::Portable, Flavour::Fast]
        } else {
            &[Flavour::Fast]
        };
        let mut p = None;
        for &flavour in flavours {
            let out = dir.path().join(format!("{mode:?}-{flavour}.onnx"));
            let (parity, pred) = export_and_compare(&run, &out, flavour, &store, &format!("{mode:?}"));
            assert_eq!(parity.max_abs_mask.is_some(), !matches!(mode, MaskMode::Nomask | MaskMode::Signal));
            p = Some(pred);
        }
        let p = p.unwrap();
        match (&p.mask, mode) {
            (Some(mask), MaskMode::Hard) => {
                assert!(mask.iter().all(|&v| v == 0.0 || v == 1.0), "hard mask is not binary")
            }
            (Some(mask), _) => assert!(
                mask.iter().any(|&v| v > 0.0 && v < 1.0),
                "{mode:?}: a soft mask with no value strictly inside (0, 1)"
            ),
            (None, _) => assert!(matches!(mode, MaskMode::Nomask | MaskMode::Signal), "{mode:?} has no mask"),
        }
    }
    let run = init_run(dir.path(), MaskMode::Peakmask, &store);
    let out = dir.path().join("peak.onnx");
    let opts = ExportOptions {
        run,
        out: out.clone(),
        flavour: Flavour::Fast,
        store: None,
        genes: 2,
        tolerance: TOL,
        threads: Some(2),
    };
    let e = format!("{:#}", export(&opts).unwrap_err());
    assert!(e.contains("peakmask"), "{e}");
    assert!(!out.exists() && no_temporary_file(&out));

    // Written, then failing the parity check (no tolerance is met): the file and its temporary are gone.
    let run = init_run(dir.path(), MaskMode::Nomask, &store);
    let out = dir.path().join("strict.onnx");
    let opts = ExportOptions {
        run,
        out: out.clone(),
        flavour: Flavour::Fast,
        store: None,
        genes: 2,
        tolerance: -1.0,
        threads: Some(2),
    };
    let e = format!("{:#}", export(&opts).unwrap_err());
    assert!(e.contains("does not reproduce the trainer"), "{e}");
    assert!(!out.exists() && no_temporary_file(&out));
}

/// Discovery with the signal readout (no predictor; a mask-weighted sum of per-base signal terms), its
/// generator reading the signals or DNA alone, exports in both flavours and matches the trainer's forward,
/// mask included.
#[test]
fn discovery_signal_readout_exports_in_both_flavours() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut last = None;
    for generator_signals in [true, false] {
        let mut mask = MaskConfig::discovery();
        let d = mask.discovery.as_mut().unwrap();
        d.readout = Readout::Signals;
        d.generator_signals = generator_signals;
        let run = init_run_with(dir.path(), mask, &format!("signal-readout-{generator_signals}"), &store);
        for flavour in [Flavour::Portable, Flavour::Fast] {
            let out = dir.path().join(format!("readout-{generator_signals}-{flavour}.onnx"));
            let what = format!("signal readout (generator signals {generator_signals})");
            let (parity, _) = export_and_compare(&run, &out, flavour, &store, &what);
            assert!(parity.max_abs_mask.is_some_and(|m| m <= TOL));
        }
        last = Some(run);
    }
    // The parity covers the distal term: without it the trainer's own prediction moves.
    let run = last.unwrap();
    let b = batch(&store, 2, &RunDir::new(&run).read_config().unwrap().model.signals);
    let full = tch_forward(&run, &b);
    let (net, _) = seq2exp_trainer::eval::load_run(&run, Device::Cpu).unwrap();
    tch::no_grad(|| {
        let _ = net.vs.variables()["head.distal.weight"].shallow_clone().zero_();
    });
    let o = tch::no_grad(|| net.forward(&ModelInput::from_batch(&b, Device::Cpu), Pass::Eval));
    let without: Vec<f32> = Vec::try_from(o.pred).unwrap();
    assert!(max_abs(&full.expression, &without) > 1e-3, "the distal term does not reach the prediction");
}

/// `runtime predict` (the library driver) on the store gives, gene by gene, the tch forward (Pass::Eval)
/// of the exported run, to 1e-4.
#[test]
fn runtime_predict_matches_the_trainer_forward_on_every_gene() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let run = init_run(dir.path(), MaskMode::Soft, &store);
    let onnx = dir.path().join("soft.onnx");
    let opts = ExportOptions {
        run: run.clone(),
        out: onnx.clone(),
        flavour: Flavour::Fast,
        store: Some(store.clone()),
        genes: 2,
        tolerance: TOL,
        threads: Some(2),
    };
    export(&opts).unwrap();
    predict_matches_the_trainer(&run, &onnx, &store, &dir.path().join("predict"));
}

/// Runs `runtime predict` (the library driver, no masks) with `onnx` on every gene of `store` into `out`
/// and checks predictions.tsv, gene by gene, against the tch forward of `run`; returns the max |Δ|.
fn predict_matches_the_trainer(run: &Path, onnx: &Path, store: &Path, out: &Path) -> f32 {
    use seq2exp_runtime::predict::{predict_store, PredictOptions};
    use seq2exp_runtime::select::GeneFilter;
    let model = Model::load(onnx, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let p = PredictOptions {
        store: store.to_path_buf(),
        out: out.to_path_buf(),
        filter: GeneFilter::All,
        shard: None,
        batch: 3,
        masks: None,
        progress: false,
    };
    let summary = predict_store(&model, onnx, &p).unwrap();
    let reader = seq2exp_store::StoreReader::open(store).unwrap();
    let n = reader.len();
    assert_eq!((summary.genes, summary.predicted), (n, n));
    let text = std::fs::read_to_string(out.join("predictions.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let (gi, pi) =
        (header.iter().position(|h| *h == "gene_id").unwrap(), header.iter().position(|h| *h == "prediction").unwrap());
    let rows: Vec<(String, f32)> =
        lines.map(|l| l.split('\t').collect::<Vec<_>>()).map(|c| (c[gi].to_string(), c[pi].parse().unwrap())).collect();
    let ids: Vec<String> = reader.genes().iter().map(|g| g.id.clone()).collect();
    assert_eq!(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), ids);
    let reference = tch_forward(run, &batch(store, n, &model.info().signal_names));
    let mut worst = 0f32;
    for ((id, got), want) in rows.iter().zip(&reference.expression) {
        assert!((got - want).abs() <= TOL, "gene {id}: runtime predict {got}, tch forward {want}");
        worst = worst.max((got - want).abs());
    }
    assert!(
        reference.expression.iter().any(|&v| (v - reference.expression[0]).abs() > 1e-3),
        "constant predictions: the comparison is vacuous"
    );
    worst
}

/// A run trained with `--mode signal` exports through the CLI in both flavours (the built-in check on
/// store genes passes); both files, and stock onnxruntime on the portable one, reproduce the tch
/// forward; `runtime predict` writes its predictions, and refuses `--masks` as for any maskless model.
#[test]
fn trained_signal_run_exports_in_both_flavours_and_predicts_without_masks() {
    use seq2exp_runtime::predict::{predict_store, MaskOutputs, PredictOptions};
    use seq2exp_runtime::select::GeneFilter;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path());
    let run = dir.path().join("signal");
    let out = train_cmd(&store, &cfg, &run).args(["--mode", "signal", "--steps", "4"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (fast, portable) = (dir.path().join("signal-fast.onnx"), dir.path().join("signal-portable.onnx"));
    export_cli(&run, &fast, "fast", &store);
    export_cli(&run, &portable, "portable", &store);
    let b = batch(&store, 4, &RunDir::new(&run).read_config().unwrap().model.signals);
    let reference = tch_forward(&run, &b);
    assert!(reference.mask.is_none());
    let input = InputBatch::from_store_batch(&b);
    for (path, flavour) in [(&fast, Flavour::Fast), (&portable, Flavour::Portable)] {
        let m = Model::load(path, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
        assert_eq!((m.info().flavour, m.info().mask_mode.as_str(), m.info().has_mask), (flavour, "signal", false));
        let pred = m.predict(&input).unwrap();
        eprintln!("signal {flavour}: expression max |Δ| vs tch {:e}", max_abs(&reference.expression, &pred.expression));
        assert_close(&format!("runtime signal {flavour}"), &reference, &pred);
    }
    let py = python();
    let theirs = run_python(&py, &portable, dir.path(), &b, false).unwrap();
    assert_close("stock onnxruntime signal portable", &reference, &theirs);
    run_python(&py, &fast, dir.path(), &b, true);

    let worst = predict_matches_the_trainer(&run, &fast, &store, &dir.path().join("predict"));
    eprintln!("signal fast: runtime predict vs tch on every gene, max |Δ| {worst:e}");
    let masks = dir.path().join("masks");
    let model = Model::load(&fast, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap();
    let p = PredictOptions {
        store: store.clone(),
        out: masks.clone(),
        filter: GeneFilter::All,
        shard: None,
        batch: 3,
        masks: Some(MaskOutputs::default()),
        progress: false,
    };
    let e = predict_store(&model, &fast, &p).unwrap_err().to_string();
    assert!(e.contains("--masks: this model (signal mode) has no mask output"), "{e}");
    assert!(!masks.join("predictions.tsv").exists() && !masks.join("masks.h5").exists());
}
