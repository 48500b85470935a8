//! The reference-named state dict of the paper preset equals, key by key and shape by shape, the state
//! dict the reference PyTorch model (`GeneBiMambaMIRNP`, d_model 128, 4 + 4 Caduceus layers, 3 signals,
//! 9 RNA features) publishes — listed here from its module names, independently of the rename table.

use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig};
use seq2exp_models::reference::reference_shapes;

/// `<scope>layers.{0..3}.mixer.mamba_{fwd,rev}.*`, `layers.{i}.norm.weight`, `norm_f.weight` of a
/// Caduceus backbone at the paper's sizes (d_inner 256, d_state 16, d_conv 4, dt_rank 8).
fn caduceus(scope: &str) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for i in 0..4 {
        for dir in ["mamba_fwd", "mamba_rev"] {
            let p = format!("{scope}layers.{i}.mixer.{dir}.");
            for (n, s) in [
                ("in_proj.weight", vec![512, 128]),
                ("conv1d.weight", vec![256, 1, 4]),
                ("conv1d.bias", vec![256]),
                ("x_proj.weight", vec![40, 256]),
                ("dt_proj.weight", vec![256, 8]),
                ("dt_proj.bias", vec![256]),
                ("A_log", vec![256, 16]),
                ("D", vec![256]),
                ("out_proj.weight", vec![128, 256]),
            ] {
                out.push((format!("{p}{n}"), s));
            }
        }
        out.push((format!("{scope}layers.{i}.norm.weight"), vec![128]));
    }
    out.push((format!("{scope}norm_f.weight"), vec![128]));
    out
}

fn inputs(scope: &str) -> Vec<(String, Vec<usize>)> {
    vec![
        (format!("{scope}seq_input_layer.weight"), vec![128, 4]),
        (format!("{scope}seq_input_layer.bias"), vec![128]),
        (format!("{scope}signal_input_layer.weight"), vec![128, 3]),
        (format!("{scope}signal_input_layer.bias"), vec![128]),
    ]
}

fn mask_module(scope: &str) -> Vec<(String, Vec<usize>)> {
    let mut out = caduceus(&format!("{scope}generator.backbone."));
    out.extend([
        (format!("{scope}prior_weights"), vec![3]),
        (format!("{scope}signal_betas"), vec![3]),
        (format!("{scope}mask_output.weight"), vec![2, 128]),
        (format!("{scope}mask_output.bias"), vec![2]),
    ]);
    out
}

fn p_to_expr() -> Vec<(String, Vec<usize>)> {
    vec![
        ("pToExpr.0.weight".into(), vec![128, 137]),
        ("pToExpr.0.bias".into(), vec![128]),
        ("pToExpr.2.weight".into(), vec![128, 128]),
        ("pToExpr.2.bias".into(), vec![128]),
        ("pToExpr.4.weight".into(), vec![1, 128]),
        ("pToExpr.4.bias".into(), vec![1]),
    ]
}

fn sorted(mut v: Vec<(String, Vec<usize>)>) -> Vec<(String, Vec<usize>)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn paper(mode: MaskMode) -> Seq2ExpConfig {
    let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
    cfg.mask = MaskConfig::for_mode(mode);
    cfg
}

#[test]
fn soft_matches_the_reference_state_dict() {
    let mut want = inputs("");
    want.extend(mask_module(""));
    want.extend(caduceus("encoder.backbone."));
    want.extend(p_to_expr());
    let got = reference_shapes(&paper(MaskMode::Soft)).unwrap();
    assert_eq!(got.len(), 2 * (4 * 19 + 1) + 4 + 4 + 6);
    assert_eq!(got, sorted(want));
}

#[test]
fn hard_lists_the_shared_stack_twice_and_the_position_embedding() {
    let mut want = inputs("");
    want.push(("pos_emb".into(), vec![1, 200_000, 128]));
    want.extend(mask_module(""));
    want.extend(caduceus("encoder.backbone."));
    want.extend(p_to_expr());
    assert_eq!(reference_shapes(&paper(MaskMode::Hard)).unwrap(), sorted(want));
}

#[test]
fn retrain_holds_the_frozen_mask_model_and_its_own_predictor() {
    let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
    cfg.mask = MaskConfig::retrain(&paper(MaskMode::Soft), 0.1);
    let mut want = inputs("mask_model.");
    want.extend(mask_module("mask_model."));
    want.extend(inputs(""));
    want.extend(caduceus("encoder.backbone."));
    want.extend(p_to_expr());
    assert_eq!(reference_shapes(&cfg).unwrap(), sorted(want));
}

#[test]
fn peak_mask_has_no_mask_model() {
    let mut want = inputs("");
    want.extend(caduceus("encoder.backbone."));
    want.extend(p_to_expr());
    assert_eq!(reference_shapes(&paper(MaskMode::Peakmask)).unwrap(), sorted(want));
}
