//! Masked-base pretraining of a DNA-only generator (`train.pretrain`, ours; docs/model.md, "Pretraining
//! the generator"). The task's gradient can select among the features a generator has but is too weak to
//! build a motif detector from random weights; predicting hidden bases builds one, because a motif that
//! recurs across the genome makes its own bases predictable from their neighbours.
//!
//! Runs before the first task step of a fresh run and writes `pretrained.safetensors` (the generator's and
//! the sequence embedding's weights, and the prediction layer, which the task does not use). A run killed
//! while pretraining starts it again from the beginning; as every step is a function of the seed, the
//! result is the same.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context;
use seq2exp_models::config::PretrainConfig;
use seq2exp_store::{BatchStream, StoreReader};
use tch::{Kind, Tensor};

use super::data::step_indices;
use super::evaluate::model_input;
use super::optim::AdamW;
use super::run_dir::{RunConfig, RunDir};
use super::TrainOptions;
use crate::checkpoint::{read_weights, write_weights};
use crate::model::Seq2Exp;

/// What pretraining trains: the generator stack and the sequence embedding it reads.
fn pretrained(name: &str) -> bool {
    name.starts_with("generator.") || name.starts_with("seq_embed.")
}

/// Pretrains `model`'s generator, or loads the result of an earlier pretraining of this run.
pub fn pretrain(
    cfg: &RunConfig,
    p: &PretrainConfig,
    opts: &TrainOptions,
    run: &RunDir,
    reader: &StoreReader,
    train: &[usize],
    model: &Seq2Exp,
) -> anyhow::Result<()> {
    let path = run.pretrained();
    if path.exists() {
        let (tensors, _) = read_weights(&path)?;
        let tensors: HashMap<String, Tensor> = tensors.into_iter().collect();
        for (name, mut var) in model.vs.variables().into_iter().filter(|(n, _)| pretrained(n)) {
            let t = tensors.get(&name).with_context(|| format!("{}: no tensor {name}", path.display()))?;
            tch::no_grad(|| var.copy_(&t.to_device(var.device())));
        }
        tracing::info!("generator weights from {}", path.display());
        return Ok(());
    }
    let device = opts.device;
    let vs = tch::nn::VarStore::new(device);
    let out = tch::nn::linear(vs.root() / "pretrain_head", cfg.model.d_model() as i64, 4, Default::default());
    let mut params: Vec<(String, Tensor)> =
        model.vs.variables().into_iter().filter(|(n, v)| v.requires_grad() && pretrained(n)).collect();
    params.extend(vs.variables());
    // torch's Adam defaults, as measured (docs/model.md), not the task's β2 of 0.95.
    let t = &cfg.train;
    let mut opt = AdamW::new(params, (0.9, 0.999), 1e-8, 0.0);
    let seed = t.seed ^ 0x5EED_0F4D_4C4D;
    let order = step_indices(train, t.batch_size, seed, 0, p.steps);
    let stream = BatchStream::spawn(&opts.store, order, t.batch_size, cfg.model.signals.clone(), 2)?;
    // Recreated: a pretraining that was killed starts again from its first step.
    let mut log =
        std::fs::File::create(run.pretrain_log()).with_context(|| run.pretrain_log().display().to_string())?;
    let bar = &opts.progress;
    bar.set_length(p.steps as u64);
    bar.set_position(0);
    tracing::info!(steps = p.steps, "pretraining the generator (masked bases)");
    for (step, batch) in stream.enumerate() {
        tch::manual_seed((seed as i64 ^ step as i64) & 0x7fff_ffff_ffff);
        let dna = model_input(&batch?, reader, None, device).dna;
        let loss = masked_base_loss(model, &out, &dna, p.mask_rate);
        opt.zero_grad();
        loss.backward();
        opt.step(p.lr);
        let value = loss.double_value(&[]);
        writeln!(log, "{}", serde_json::json!({ "step": step + 1, "loss": value }))?;
        bar.set_message(format!("pretrain loss {value:.4}"));
        bar.inc(1);
    }
    bar.set_position(0);
    let mut tensors: Vec<(String, Tensor)> = model.vs.variables().into_iter().filter(|(n, _)| pretrained(n)).collect();
    tensors.extend(vs.variables());
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let meta = HashMap::from([("format".to_string(), "seq2exp-pretrained-generator".to_string())]);
    write_weights(&path, &tensors, &meta)?;
    Ok(())
}

/// Cross-entropy of the hidden bases: `rate` of the real bases (codes 0–3) of `dna: [B, L]` become N
/// and are predicted from the generator's output through `out`.
pub fn masked_base_loss(model: &Seq2Exp, out: &tch::nn::Linear, dna: &Tensor, rate: f64) -> Tensor {
    let (per_base, _) = hidden_base_losses(model, out, dna, rate);
    if per_base.size()[0] == 0 {
        // Nothing hidden (a window of N): a zero loss that still reaches every parameter.
        let hidden = model.generator_hidden(dna).expect("pretraining needs a generator");
        return hidden.apply(out).sum(Kind::Float) * 0.0;
    }
    per_base.mean(Kind::Float)
}

/// The per-base cross-entropy `[n]` of the hidden bases and which bases were hidden (`[B, L]`, bool).
pub fn hidden_base_losses(model: &Seq2Exp, out: &tch::nn::Linear, dna: &Tensor, rate: f64) -> (Tensor, Tensor) {
    let pick = Tensor::rand(dna.size(), (Kind::Float, dna.device())).lt(rate).logical_and(&dna.lt(4));
    let hidden = model.generator_hidden(&dna.masked_fill(&pick, 4)).expect("pretraining needs a generator");
    let logits = hidden.apply(out).masked_select(&pick.unsqueeze(-1)).view([-1, 4]);
    let truth = dna.masked_select(&pick).unsqueeze(1);
    (logits.log_softmax(-1, Kind::Float).gather(1, &truth, false).neg().squeeze_dim(1), pick)
}
