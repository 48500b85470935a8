//! Hard models compact at inference: the predictor reads only the selected bases, in order. With a mask
//! head that selects every base, the unselected bases are exactly the blacklisted ones, so neither their
//! content nor their position may change the expression (a zero-vector, uncompacted predictor fails
//! this: the zeros shift the conv, δ and the scan's decay). Soft models, for contrast, do change.

mod common;

use seq2exp_models::config::{MaskMode, Seq2ExpConfig};
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::{Flavour, GraphError, InputBatch, LoadOptions, Model, Prediction};

/// A model whose mask head selects every base (α logit +30, β logit −30, no generator term).
fn model(dir: &std::path::Path, cfg: &Seq2ExpConfig, flavour: Flavour) -> Model {
    let mut w = common::weights(cfg, 5);
    w.insert("mask_head.weight", vec![2, cfg.d_model()], vec![0.0; 2 * cfg.d_model()]);
    w.insert("mask_head.bias", vec![2], vec![-30.0, 30.0]);
    if cfg.shares_stack() {
        // The layouts put the same selected bases at different original positions, which a position
        // embedding would tell apart; this test is about the unselected bases only.
        w.insert("pos_emb", vec![1, cfg.window, cfg.d_model()], vec![0.0; cfg.window * cfg.d_model()]);
    }
    let path = dir.join(format!("{:?}-{}-{flavour}.onnx", cfg.mask.mode, cfg.head.pool_width));
    std::fs::write(&path, to_bytes(&build_model(cfg, &w, flavour, &[]).unwrap()).unwrap()).unwrap();
    Model::load(&path, &LoadOptions { threads: Some(2), ..Default::default() }).unwrap()
}

/// Blacklisted runs of each row. Both layouts have 6 blacklisted bases before position 28, 6 in 28..40,
/// none in the promoter (40..56) and 4 after 68, so the selected bases of either pooled window (16:
/// 40..56; 40: 28..68) sit at the same compacted positions.
const LAYOUTS: [[std::ops::Range<usize>; 3]; 3] =
    [[5..11, 30..36, 70..74], [20..26, 28..34, 88..92], [5..11, 30..36, 70..74]];
const LISTED: usize = 16;

/// Three genes holding the same selected bases (same DNA and signals, same order) and different junk
/// at different blacklisted positions (rows 0 and 2: same layout, different junk).
fn batch(cfg: &Seq2ExpConfig) -> (Vec<u8>, Vec<f32>, Vec<f32>, Vec<u8>) {
    let (l, c) = (cfg.window, cfg.signals.len());
    let mut rng = common::Rng::new(23);
    let kept = l - LISTED;
    let kept_dna: Vec<u8> = (0..kept).map(|_| (((rng.next() + 1.0) * 2.5) as u8).min(4)).collect();
    let kept_sig: Vec<f32> = (0..kept * c).map(|_| (rng.next() + 1.0) * 2.0).collect();
    let (mut dna, mut signals, mut blacklist) = (Vec::new(), Vec::new(), Vec::new());
    for runs in &LAYOUTS {
        let mut k = 0;
        for p in 0..l {
            let listed = runs.iter().any(|r| r.contains(&p));
            blacklist.push(u8::from(listed));
            if listed {
                dna.push((((rng.next() + 1.0) * 2.5) as u8).min(4));
                signals.extend((0..c).map(|_| 50.0 * (rng.next() + 1.0)));
            } else {
                dna.push(kept_dna[k]);
                signals.extend_from_slice(&kept_sig[k * c..(k + 1) * c]);
                k += 1;
            }
        }
    }
    let features = (0..cfg.head.n_features).map(|i| 0.1 * i as f32).collect::<Vec<_>>().repeat(3);
    (dna, signals, features, blacklist)
}

fn spread(p: &Prediction) -> f32 {
    let e = &p.expression;
    e.iter().map(|v| (v - e[0]).abs()).fold(0.0, f32::max)
}

fn predict(m: &Model, cfg: &Seq2ExpConfig) -> (Prediction, Vec<u8>) {
    let (dna, signals, features, blacklist) = batch(cfg);
    let b = InputBatch {
        batch: 3,
        window: cfg.window,
        dna: &dna,
        signals: &signals,
        features: &features,
        blacklist: Some(&blacklist),
    };
    (m.predict(&b).unwrap(), blacklist)
}

#[test]
fn hard_expression_ignores_the_content_and_position_of_unselected_bases() {
    let dir = tempfile::tempdir().unwrap();
    // Pool width 16 = the promoter; 40 = a window that holds blacklisted bases.
    for pool in [16, 40] {
        let mut cfg = common::config(MaskMode::Hard);
        cfg.head.pool_width = pool;
        let mut outs = Vec::new();
        for flavour in [Flavour::Fast, Flavour::Portable] {
            let (p, blacklist) = predict(&model(dir.path(), &cfg, flavour), &cfg);
            let mask = p.mask.as_ref().unwrap();
            assert!(
                mask.iter().zip(&blacklist).all(|(&m, &b)| m == 1.0 - b as f32),
                "the mask must select exactly the non-blacklisted bases"
            );
            assert!(spread(&p) <= 1e-5, "pool {pool}, {flavour}: {:?}", p.expression);
            outs.push(p.expression);
        }
        let d = outs[0].iter().zip(&outs[1]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(d <= 1e-5, "pool {pool}: fast {:?} vs portable {:?}", outs[0], outs[1]);
        stock_onnxruntime(dir.path(), &cfg, &outs[1]);
    }
}

/// The portable hard file (Loop with a nested Scan) passes the full onnx check and runs in stock
/// onnxruntime to the same numbers; the fast one passes the structural check.
fn stock_onnxruntime(dir: &std::path::Path, cfg: &Seq2ExpConfig, ours: &[f32]) {
    let python = common::venv_python();
    let (dna, signals, features, blacklist) = batch(cfg);
    let b = InputBatch {
        batch: 3,
        window: cfg.window,
        dna: &dna,
        signals: &signals,
        features: &features,
        blacklist: Some(&blacklist),
    };
    let stem = format!("{:?}-{}", cfg.mask.mode, cfg.head.pool_width);
    let theirs = common::run_python(
        &python,
        &dir.join(format!("{stem}-portable.onnx")),
        dir,
        &b,
        cfg.signals.len(),
        cfg.head.n_features,
    )
    .expect("python run");
    let d = ours.iter().zip(&theirs.expression).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(d <= 1e-5, "stock onnxruntime: {:?} vs {ours:?}", theirs.expression);
    common::check_structural(&python, &dir.join(format!("{stem}-fast.onnx")));
}

#[test]
fn soft_expression_sees_the_unselected_bases() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(MaskMode::Soft);
    let (p, _) = predict(&model(dir.path(), &cfg, Flavour::Fast), &cfg);
    assert!(spread(&p) > 1e-4, "soft rows should differ: {:?}", p.expression);
}

#[test]
fn hard_model_without_a_promoter_is_refused() {
    let mut cfg = common::config(MaskMode::Hard);
    cfg.mask.promoter_half_width = 0;
    match build_model(&cfg, &common::weights(&cfg, 1), Flavour::Fast, &[]) {
        Err(GraphError::Unsupported(m)) => assert!(m.contains("promoter_half_width"), "{m}"),
        other => panic!("expected Unsupported, got {:?}", other.map(|_| "a model")),
    }
}
