//! The hard variant is the reference's Seq2Exp-hard (docs/model.md, "Hard"): one Caduceus stack shared by
//! generator and predictor, a trained position embedding, compaction in training as at inference (for a
//! fixed mask the predictor pass reads no unselected base, and no task gradient reaches the mask head),
//! and the KL target Beta(0.1, 0.1222…).

mod common;

use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig, TrainConfig};
use seq2exp_trainer::model::{ModelInput, Pass, Seq2Exp};
use seq2exp_trainer::train::{optimise, trainable, AdamW, RunConfig};
use tch::{Device, Kind, Tensor};

const L: usize = 128;
const B: usize = 2;

fn config() -> Seq2ExpConfig {
    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.window = L;
    c.head.pool_width = 16;
    c.mask = MaskConfig::hard();
    c.mask.promoter_half_width = 8;
    c
}

fn input(seed: i64) -> ModelInput {
    common::toy_input(B, L, seed, 0)
}

/// A binary mask selecting about a third of the bases of each gene, the promoter included.
fn fixed_mask() -> Tensor {
    let v: Vec<f32> = (0..B * L)
        .map(|i| {
            let p = i % L;
            f32::from((L / 2 - 8..L / 2 + 8).contains(&p) || (p * 5 + i / L).is_multiple_of(3))
        })
        .collect();
    Tensor::from_slice(&v).reshape([B as i64, L as i64])
}

#[test]
fn one_stack_is_shared_by_generator_and_predictor() {
    let cfg = config();
    cfg.validate().unwrap();
    let names: Vec<String> = cfg.weight_shapes().into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().any(|n| n.starts_with("generator.layers.")));
    assert!(!names.iter().any(|n| n.starts_with("predictor.")), "a hard model has no predictor stack of its own");
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    let vars = net.vs.variables();
    assert!(!vars.keys().any(|n| n.starts_with("predictor.")));
    // Exactly one stack's worth of Caduceus tensors (tied twins are aliases, not variables).
    let stack: usize = vars.keys().filter(|n| n.starts_with("generator.")).count();
    let expected = cfg.generator.parameter_shapes().len() - cfg.generator.tied_names().len();
    assert_eq!(stack, expected);
    // The predictor pass is the generator's stack: a different predictor size is refused.
    let mut other = cfg.clone();
    other.predictor.n_layer += 1;
    assert_eq!(other.validate().unwrap_err().field, "predictor");
}

#[test]
fn the_position_embedding_is_a_trained_parameter() {
    let cfg = config();
    assert!(cfg.weight_shapes().contains(&("pos_emb".to_string(), vec![1, L, cfg.d_model()])));
    tch::manual_seed(1);
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    let pos = net.vs.variables()["pos_emb"].shallow_clone();
    assert_eq!(pos.abs().sum(Kind::Float).double_value(&[]), 0.0, "zeros at initialisation");
    let params = trainable(&net);
    assert!(params.iter().any(|(n, _)| n == "pos_emb"), "pos_emb is not trained");
    let mut train = TrainConfig::preset(Preset::Tiny);
    train.batch_size = B;
    let rc = RunConfig { model: cfg.clone(), train, peaks: None, mask_from: None };
    let mut opt = AdamW::new(params, (0.9, 0.95), 1e-8, 1e-6);
    let y = Tensor::from_slice(&[1.0f32, 2.0]);
    tch::manual_seed(2);
    optimise(&rc, &net, &mut opt, &input(0), &y, 1e-3, 0);
    assert!(pos.abs().sum(Kind::Float).double_value(&[]) > 0.0, "one step left pos_emb at zero");
}

#[test]
fn for_a_fixed_mask_the_predictor_pass_reads_no_unselected_base() {
    let cfg = config();
    tch::manual_seed(4);
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    let x = input(0);
    let mask = fixed_mask();
    let (emb, _) = net.embeddings(&x);
    let emb = emb.detach().set_requires_grad(true);
    let pred = net.predict_from(&emb, Some(&mask), &x.features);
    pred.sum(Kind::Float).backward();
    // Per base, the largest gradient over the embedding's channels.
    let g = emb.grad().abs().amax([2].as_slice(), false);
    let on = mask.ge(0.5);
    let off_max = g.masked_select(&on.logical_not()).max().double_value(&[]);
    let on_min_count = g.masked_select(&on).gt(0.0).sum(Kind::Int64).int64_value(&[]);
    assert_eq!(off_max, 0.0, "an unselected base reaches the prediction");
    let selected = on.sum(Kind::Int64).int64_value(&[]);
    assert!(on_min_count > selected * 9 / 10, "only {on_min_count} of {selected} selected bases matter: vacuous");

    // The same in the full forward, in training (sampled, straight-through mask) as at inference: with a
    // mask head that selects every base, the unselected bases are the blacklisted ones, and their content
    // changes nothing.
    tch::no_grad(|| {
        let v = net.vs.variables();
        let _ = v["mask_head.weight"].shallow_clone().zero_();
        v["mask_head.bias"].shallow_clone().copy_(&Tensor::from_slice(&[-30.0f32, 30.0]));
    });
    let blacklist = Tensor::from_slice(
        &(0..B * L)
            .map(|i| f32::from(i % L % 9 == 2 && !(L / 2 - 8..L / 2 + 8).contains(&(i % L))))
            .collect::<Vec<_>>(),
    )
    .reshape([B as i64, L as i64]);
    let with = |dna_seed: i64, junk: f64| {
        let mut x = input(dna_seed);
        let listed = blacklist.unsqueeze(-1);
        x.signals = &x.signals * (1.0 - &listed) + &listed * junk;
        // Different DNA only where blacklisted.
        let base = input(0).dna;
        x.dna = base.where_self(&blacklist.eq(0.0), &x.dna);
        x.blacklist = Some(blacklist.shallow_clone());
        x
    };
    for pass in [Pass::Train, Pass::Eval] {
        let run = |x: &ModelInput| {
            tch::manual_seed(9);
            tch::no_grad(|| net.forward(x, pass))
        };
        let (a, b) = (run(&with(0, 0.0)), run(&with(3, 50.0)));
        let mask = a.mask.as_ref().unwrap();
        let off: f64 = (mask - (1.0f64 - &blacklist)).abs().max().double_value(&[]);
        assert!(off <= 1e-6, "{pass:?}: mask is not all but the blacklisted bases (off by {off})");
        let d = (&a.pred - &b.pred).abs().max().double_value(&[]);
        assert!(d <= 1e-6, "{pass:?}: blacklisted content changed the prediction by {d}");
    }
}

#[test]
fn no_task_gradient_reaches_the_mask_head_and_the_kl_does() {
    let cfg = config();
    tch::manual_seed(6);
    let net = Seq2Exp::new(&cfg, Device::Cpu);
    let out = net.forward(&input(0), Pass::Train);
    let head_w = net.vs.variables()["mask_head.weight"].shallow_clone();
    out.pred.sum(Kind::Float).backward();
    let task = head_w.grad();
    assert!(!task.defined() || task.abs().max().double_value(&[]) == 0.0, "the task loss reached the mask head");
    let out = net.forward(&input(0), Pass::Train);
    out.kl.backward();
    assert!(head_w.grad().abs().max().double_value(&[]) > 0.0, "the KL must train the mask head");
}

#[test]
fn the_kl_target_is_the_reference_marginal() {
    let m = MaskConfig::hard();
    assert_eq!(m.mode, MaskMode::Hard);
    assert_eq!(m.kl_alpha, 0.1);
    assert!((m.kl_beta - 0.122_222_222_2).abs() < 1e-9, "{}", m.kl_beta);
    assert_eq!((m.prior_scale, m.prior_shift, m.generator_offset, m.threshold), (1.0, 0.0, 0.0, 0.5));
    // The forward's KL is the closed form against that target: a posterior equal to it has KL 0, and the
    // model's (whatever its posterior) is positive.
    let a = Tensor::from_slice(&[m.kl_alpha as f32]);
    let b = Tensor::from_slice(&[m.kl_beta as f32]);
    let zero = seq2exp_trainer::model::kl_beta(&a, &b, m.kl_alpha, m.kl_beta).double_value(&[0]);
    assert!(zero.abs() < 1e-5, "{zero}");
    let net = Seq2Exp::new(&config(), Device::Cpu);
    let kl = tch::no_grad(|| net.forward(&input(0), Pass::Eval)).kl.double_value(&[]);
    assert!(kl > 0.0 && kl.is_finite(), "{kl}");
}
