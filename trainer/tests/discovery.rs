//! The discovery variant's options (docs/model.md, "The discovery variant"): a generator that reads DNA
//! alone (the signals then reach the mask only through the prior), and the signal readout: no predictor
//! stack, a linear term over the mask-weighted per-base signal terms, a task gradient on every distal
//! base's mask.

mod common;

use seq2exp_models::config::{MaskConfig, Preset, Readout, Seq2ExpConfig};
use seq2exp_trainer::model::{ModelInput, Pass, Seq2Exp};
use tch::{Device, Kind, Tensor};

const L: usize = 128;
const B: usize = 2;

fn config(mask: MaskConfig) -> Seq2ExpConfig {
    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.window = L;
    c.head.pool_width = 16;
    c.mask = mask;
    c.mask.promoter_half_width = 8;
    if let Some(d) = c.mask.discovery.as_mut() {
        d.smooth = 5;
        d.sum_scale = 50.0;
    }
    c
}

fn signal_readout() -> Seq2ExpConfig {
    let mut c = config(MaskConfig::discovery());
    c.mask.discovery.as_mut().unwrap().readout = Readout::Signals;
    c
}

fn input(signal_seed: usize) -> ModelInput {
    common::toy_input(B, L, 0, signal_seed)
}

fn max_abs(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

fn dna_only() -> MaskConfig {
    let mut m = MaskConfig::discovery();
    m.discovery.as_mut().unwrap().generator_signals = false;
    m
}

/// With the prior made negligible (scale 1e-9) the mask is the generator's alone: other signals must leave
/// a DNA-only discovery mask (and a soft one) unchanged, and move the default discovery mask, whose
/// generator reads the signal embedding. At the usual prior scale the signals move every mask.
#[test]
fn a_dna_only_generator_reads_no_signal() {
    assert!(MaskConfig::hard().generator_reads_signals());
    assert!(MaskConfig::discovery().generator_reads_signals());
    for (mask, reads) in [(dna_only(), false), (MaskConfig::soft(), false), (MaskConfig::discovery(), true)] {
        assert_eq!(mask.generator_reads_signals(), reads);
        for scale in [1e-9, 1.0] {
            let mut cfg = config(mask.clone());
            cfg.mask.prior_scale = scale;
            cfg.validate().unwrap();
            tch::manual_seed(5);
            let net = Seq2Exp::new(&cfg, Device::Cpu);
            let eval = |x: &ModelInput| net.forward(x, Pass::Eval).mask.unwrap();
            let d = max_abs(&eval(&input(0)), &eval(&input(5)));
            if reads || scale == 1.0 {
                assert!(d > 1e-4, "{:?} (prior scale {scale}): the signals do not reach the mask", cfg.mask.mode);
            } else {
                assert!(d < 1e-6, "{:?}: the generator reads the signals (mask moved by {d:e})", cfg.mask.mode);
            }
        }
    }
}

#[test]
fn the_signal_readout_has_no_predictor_and_one_linear_distal_term() {
    let cfg = signal_readout();
    cfg.validate().unwrap();
    let shapes = cfg.weight_shapes();
    assert!(!shapes.iter().any(|(n, _)| n.starts_with("predictor.")));
    let terms = Readout::signal_terms(3);
    assert_eq!(terms, 6, "three signals and their three pairwise products");
    assert!(shapes.contains(&("head.distal.weight".to_string(), vec![1, terms])));
    assert!(shapes.contains(&("head.distal.bias".to_string(), vec![1])));
    // The head's MLP reads one centre value per signal beside the features.
    let first = shapes.iter().find(|(n, _)| n == "head.mlp.0.weight").unwrap();
    assert_eq!(first.1[1], 3 + cfg.head.n_features);
    // The configuration's list is exactly the network's variables (tied twins are aliases, not variables).
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    let vars = net.vs.variables();
    let tied: Vec<String> = cfg.generator.tied_names().into_iter().map(|(rev, _)| format!("generator.{rev}")).collect();
    let mut listed: Vec<(String, Vec<i64>)> = shapes
        .into_iter()
        .filter(|(n, _)| !tied.contains(n))
        .map(|(n, s)| (n, s.into_iter().map(|v| v as i64).collect()))
        .collect();
    let mut built: Vec<(String, Vec<i64>)> = vars.iter().map(|(n, t)| (n.clone(), t.size())).collect();
    listed.sort();
    built.sort();
    assert_eq!(listed, built);
}

/// The readout gives each distal base's mask a task gradient of its own: the loss's gradient with respect
/// to the mask is w·φ_l / sum_scale (zero inside the promoter, which is forced to 1).
#[test]
fn the_signal_readout_reaches_every_distal_mask() {
    let cfg = signal_readout();
    tch::manual_seed(2);
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    // The distal weights start at zero; give them values so the path is visible.
    tch::no_grad(|| {
        let vars = net.vs.variables();
        let w = &vars["head.distal.weight"];
        w.shallow_clone().copy_(&Tensor::from_slice(&[0.5f32, -0.25, 0.125, 1.0, 0.75, -0.5]).reshape([1, 6]));
    });
    let x = input(0);
    let out = net.forward(&x, Pass::Eval);
    let mask = out.mask.unwrap();
    let grad = Tensor::run_backward(&[out.pred.sum(Kind::Float)], &[&mask], false, false).remove(0);
    let s = x.signals.to_kind(Kind::Float);
    let terms = seq2exp_trainer::model::signal_terms(&s);
    let w = net.vs.variables()["head.distal.weight"].reshape([6]);
    let expected = terms.matmul(&w) / 50.0;
    let _ = expected.narrow(1, (L / 2 - 8) as i64, 16).fill_(0.0);
    let d = max_abs(&grad, &expected);
    assert!(d < 1e-5, "∂pred/∂mask differs from w·φ/sum_scale by {d:e}");
    let distal = grad.narrow(1, 0, (L / 2 - 8) as i64);
    assert!(distal.abs().min().double_value(&[]) > 0.0, "a distal base without a task gradient");
}

/// `generator_hidden` (what masked-base pretraining trains) is the generator's output for DNA alone:
/// `[B, L, d]`, moved by the DNA, absent without a generator.
#[test]
fn generator_hidden_reads_the_dna() {
    tch::manual_seed(3);
    let model = Seq2Exp::new(&config(dna_only()), Device::Cpu);
    let (a, b) = (common::toy_input(B, L, 0, 0), common::toy_input(B, L, 1, 0));
    let ha = model.generator_hidden(&a.dna).unwrap();
    assert_eq!(ha.size(), [B as i64, L as i64, model.cfg.d_model() as i64]);
    assert!(max_abs(&ha, &model.generator_hidden(&b.dna).unwrap()) > 1e-3);
    let mut nomask = config(MaskConfig::soft());
    nomask.mask.mode = seq2exp_models::config::MaskMode::Nomask;
    assert!(Seq2Exp::new(&nomask, Device::Cpu).generator_hidden(&a.dna).is_none());
}
