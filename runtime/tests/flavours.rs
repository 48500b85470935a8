//! Both flavours of a tiny random model give the same outputs through `Model`, and the metadata and
//! mask overrides come out as documented; the signal-only baseline matches its forward computed by hand. (Parity with the tch forward is checked by the trainer's
//! export test.)

mod common;

use seq2exp_models::config::MaskMode;
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::{Flavour, GraphError, InputBatch, LoadOptions, Model};

fn export(dir: &std::path::Path, mode: MaskMode, flavour: Flavour) -> Model {
    let cfg = common::config(mode);
    let w = common::weights(&cfg, 7);
    let proto = build_model(&cfg, &w, flavour, &[("seq2exp.provenance".into(), "{}".into())]).unwrap();
    let path = dir.join(format!("{mode:?}-{flavour}.onnx"));
    std::fs::write(&path, to_bytes(&proto).unwrap()).unwrap();
    Model::load(&path, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap()
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn fast_and_portable_agree_for_every_exportable_mode() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [MaskMode::Soft, MaskMode::Hard, MaskMode::Discovery, MaskMode::Nomask, MaskMode::Signal] {
        let cfg = common::config(mode);
        let (dna, signals, features, blacklist) = common::inputs(&cfg, 3, 11);
        let batch = InputBatch {
            batch: 3,
            window: cfg.window,
            dna: &dna,
            signals: &signals,
            features: &features,
            blacklist: Some(&blacklist),
        };
        let fast = export(dir.path(), mode, Flavour::Fast);
        let portable = export(dir.path(), mode, Flavour::Portable);
        assert_eq!(fast.info().flavour, Flavour::Fast);
        assert_eq!(portable.info().flavour, Flavour::Portable);
        assert_eq!(fast.info().window, cfg.window);
        assert_eq!(fast.info().signal_names, cfg.signals);
        let maskless = matches!(mode, MaskMode::Nomask | MaskMode::Signal);
        assert_eq!(fast.info().has_mask, !maskless);
        assert_eq!(fast.info().mask_mode, seq2exp_runtime::onnx::meta::mask_mode_name(mode));
        let a = fast.predict(&batch).unwrap();
        let b = portable.predict(&batch).unwrap();
        assert_eq!(a.expression.len(), 3);
        assert!(a.expression.iter().all(|v| v.is_finite()));
        let d = max_abs(&a.expression, &b.expression);
        eprintln!("{mode:?}: fast vs portable, expression max |Δ| = {d:e}");
        assert!(d <= 1e-5, "{mode:?}: expression differs by {d}: {:?} vs {:?}", a.expression, b.expression);
        match (&a.mask, &b.mask) {
            (Some(ma), Some(mb)) => {
                assert!(max_abs(ma, mb) <= 1e-5, "{mode:?}: masks differ");
                let (l, hw) = (cfg.window, cfg.mask.promoter_half_width);
                for (i, &v) in ma.iter().enumerate() {
                    let p = i % l;
                    if (l / 2 - hw..l / 2 + hw).contains(&p) {
                        assert_eq!(v, 1.0, "promoter base {i} must be 1");
                    } else if blacklist[i] == 1 {
                        assert_eq!(v, 0.0, "blacklisted base {i} must be 0");
                    } else {
                        assert!(
                            v > 0.0 && v < 1.0 || mode == MaskMode::Hard && (v == 0.0 || v == 1.0),
                            "base {i}: {v}"
                        );
                    }
                }
            }
            (None, None) => assert!(maskless, "{mode:?} has no mask"),
            _ => panic!("{mode:?}: one flavour has a mask, the other not"),
        }
        // Without a blacklist: same as an all-zero one.
        let none = InputBatch { blacklist: None, ..batch };
        let zeros = vec![0u8; blacklist.len()];
        let zero = InputBatch { blacklist: Some(&zeros), ..batch };
        assert_eq!(fast.predict(&none).unwrap(), fast.predict(&zero).unwrap());
    }
}

#[test]
fn peakmask_models_are_refused() {
    let cfg = common::config(MaskMode::Peakmask);
    let w = common::weights(&cfg, 1);
    let e = build_model(&cfg, &w, Flavour::Fast, &[]).unwrap_err();
    assert!(matches!(e, GraphError::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("'peakmask'") && e.to_string().contains("signal models can be exported"), "{e}");
}

/// The signal-only baseline reads `signals` and `features` only: the same four inputs are declared, and
/// `dna` and `blacklist` change nothing; its output is the head MLP on the two per-channel means, computed
/// here by hand.
#[test]
fn signal_models_read_the_signal_means_only() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(MaskMode::Signal);
    let w = common::weights(&cfg, 7); // the seed `export` builds with
    let (dna, signals, features, blacklist) = common::inputs(&cfg, 2, 13);
    let batch = InputBatch {
        batch: 2,
        window: cfg.window,
        dna: &dna,
        signals: &signals,
        features: &features,
        blacklist: Some(&blacklist),
    };
    for flavour in [Flavour::Fast, Flavour::Portable] {
        let m = export(dir.path(), MaskMode::Signal, flavour);
        let names: Vec<&str> = m.info().inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["dna", "signals", "features", "blacklist"]);
        let outputs: Vec<&str> = m.info().outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(outputs, ["expression"]);
        let p = m.predict(&batch).unwrap();
        assert!(p.mask.is_none());
        let other_dna: Vec<u8> = dna.iter().map(|&b| (b + 1) % 5).collect();
        let ones = vec![1u8; blacklist.len()];
        let other = InputBatch { dna: &other_dna, blacklist: Some(&ones), ..batch };
        assert_eq!(m.predict(&other).unwrap(), p, "{flavour}: dna or blacklist changed the prediction");
        let want = signal_reference(&cfg, &w, &signals, &features, 2);
        let d = max_abs(&p.expression, &want);
        eprintln!("Signal {flavour}: vs hand-computed head, expression max |Δ| = {d:e}");
        assert!(d <= 1e-5, "{flavour}: {:?} vs {:?}", p.expression, want);
    }
}

/// The signal baseline's forward in plain Rust: [centre means, window means, standardised features]
/// through Linear–ReLU–Linear–ReLU–Linear.
fn signal_reference(
    cfg: &seq2exp_models::config::Seq2ExpConfig,
    w: &seq2exp_runtime::onnx::Weights,
    signals: &[f32],
    features: &[f32],
    n: usize,
) -> Vec<f32> {
    let (l, c, nf) = (cfg.window, cfg.signals.len(), cfg.head.n_features);
    let pw = cfg.head.pool_width.min(l);
    let start = (l - pw) / 2;
    let get = |name: &str, shape: &[usize]| w.get(name, shape).unwrap().data.clone();
    let (mean, std) = (get("head.feature_mean", &[nf]), get("head.feature_std", &[nf]));
    let h = cfg.head.hidden;
    let layers: Vec<(Vec<f32>, Vec<f32>)> = [(2 * c + nf, h), (h, h), (h, 1)]
        .iter()
        .enumerate()
        .map(|(i, &(inp, out))| {
            (get(&format!("head.mlp.{}.weight", 2 * i), &[out, inp]), get(&format!("head.mlp.{}.bias", 2 * i), &[out]))
        })
        .collect();
    (0..n)
        .map(|b| {
            let s = |p: usize, k: usize| signals[(b * l + p) * c + k] as f64;
            let mut x: Vec<f64> =
                (0..c).map(|k| (start..start + pw).map(|p| s(p, k)).sum::<f64>() / pw as f64).collect();
            x.extend((0..c).map(|k| (0..l).map(|p| s(p, k)).sum::<f64>() / l as f64));
            x.extend((0..nf).map(|k| (features[b * nf + k] as f64 - mean[k] as f64) / std[k] as f64));
            for (i, (wt, bias)) in layers.iter().enumerate() {
                let inp = x.len();
                x = (0..bias.len())
                    .map(|o| {
                        let v = bias[o] as f64 + (0..inp).map(|j| wt[o * inp + j] as f64 * x[j]).sum::<f64>();
                        if i + 1 < layers.len() {
                            v.max(0.0)
                        } else {
                            v
                        }
                    })
                    .collect();
            }
            x[0] as f32
        })
        .collect()
}

#[test]
fn missing_or_misshapen_weights_are_named() {
    let cfg = common::config(MaskMode::Soft);
    let mut w = common::weights(&cfg, 1);
    w.insert("predictor.norm_f.weight", vec![3], vec![1.0; 3]);
    let e = build_model(&cfg, &w, Flavour::Fast, &[]).unwrap_err().to_string();
    assert!(e.contains("predictor.norm_f.weight"), "{e}");
}

#[test]
fn wrong_input_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = export(dir.path(), MaskMode::Soft, Flavour::Fast);
    let cfg = common::config(MaskMode::Soft);
    let (dna, signals, features, _) = common::inputs(&cfg, 2, 3);
    let batch = InputBatch {
        batch: 2,
        window: cfg.window,
        dna: &dna,
        signals: &signals[1..],
        features: &features,
        blacklist: None,
    };
    let e = m.predict(&batch).unwrap_err().to_string();
    assert!(e.contains("signals"), "{e}");
}

/// Stock onnx + onnxruntime (the project's venv): the portable file passes the full checker and runs
/// to the same numbers; the fast file passes the structural check.
#[test]
fn stock_onnxruntime_runs_the_portable_file() {
    let python = common::venv_python();
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(MaskMode::Soft);
    let (dna, signals, features, blacklist) = common::inputs(&cfg, 2, 5);
    let batch = InputBatch {
        batch: 2,
        window: cfg.window,
        dna: &dna,
        signals: &signals,
        features: &features,
        blacklist: Some(&blacklist),
    };
    let ours = export(dir.path(), MaskMode::Soft, Flavour::Portable).predict(&batch).unwrap();
    let _ = export(dir.path(), MaskMode::Soft, Flavour::Fast);
    let theirs = common::run_python(&python, &dir.path().join("Soft-portable.onnx"), dir.path(), &batch, 3, 9)
        .expect("python run");
    assert!(max_abs(&ours.expression, &theirs.expression) <= 1e-5, "{:?} vs {:?}", ours.expression, theirs.expression);
    assert!(max_abs(ours.mask.as_ref().unwrap(), theirs.mask.as_ref().unwrap()) <= 1e-5);
    common::check_structural(&python, &dir.path().join("Soft-fast.onnx"));
}

/// ONNX Runtime registers a custom domain in a process-global map without a lock; `Model::load`
/// must serialise that, or concurrent loads fail with "domain is already exist".
#[test]
fn fast_models_load_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(MaskMode::Soft);
    let proto = build_model(&cfg, &common::weights(&cfg, 3), Flavour::Fast, &[]).unwrap();
    let path = dir.path().join("fast.onnx");
    std::fs::write(&path, to_bytes(&proto).unwrap()).unwrap();
    let barrier = std::sync::Barrier::new(8);
    std::thread::scope(|s| {
        let loads: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    (0..4)
                        .map(|_| {
                            Model::load(&path, &LoadOptions { threads: Some(1), ..Default::default() }).map(|_| ())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for load in loads {
            for result in load.join().unwrap() {
                result.unwrap_or_else(|e| panic!("concurrent load failed: {e}"));
            }
        }
    });
}
