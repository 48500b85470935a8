//! The training loop proper.

use std::io::Write;

use anyhow::Context;
use seq2exp_store::{BatchStream, Split, StoreReader, N_FEATURES};
use tch::{Kind, Tensor};

use super::autocast::bf16_autocast;
use super::data::{step_indices, PeakSource};
use super::evaluate::{model_input, mse, predict};
use super::optim::AdamW;
use super::run_dir::{load, restore_weights, save, RunConfig, RunDir, TrainState};
use super::{split_genes, TrainOptions};
use crate::model::{loss, LossParts, ModelInput, ModelOutput, Pass, Seq2Exp};

/// The RNG seed of one step: makes mask sampling a function of (seed, step), hence resumable.
fn step_seed(seed: u64, step: usize) -> i64 {
    (seed.wrapping_mul(1_000_003).wrapping_add(step as u64) & 0x7fff_ffff_ffff) as i64
}

/// Standardisation of the features from the training genes (identity unless configured).
fn set_feature_scaling(model: &Seq2Exp, reader: &StoreReader, train: &[usize]) {
    if !model.cfg.head.standardize_features {
        return;
    }
    let n = train.len() as f64;
    let mut mean = [0f64; N_FEATURES];
    let mut sq = [0f64; N_FEATURES];
    for &i in train {
        for (k, v) in reader.features(i).iter().enumerate() {
            mean[k] += *v as f64 / n;
            sq[k] += (*v as f64).powi(2) / n;
        }
    }
    let std: Vec<f32> = (0..N_FEATURES).map(|k| (sq[k] - mean[k].powi(2)).max(0.0).sqrt().max(1e-6) as f32).collect();
    let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    tch::no_grad(|| {
        model.head.feature_mean.shallow_clone().copy_(&Tensor::from_slice(&mean));
        model.head.feature_std.shallow_clone().copy_(&Tensor::from_slice(&std));
    });
}

/// One optimisation step on one batch: forward (sampled mask), loss, backward, clip, AdamW; with
/// `train.bf16` on CUDA, forward and loss run under bf16 autocast (backward outside it, as torch.autocast
/// advises). `step`
/// (0-based) decides the mask's parameters' learning rate (`mask_warmup_steps`, `mask_lr_scale`).
/// Returns the forward's output, the loss parts and the gradient norm before clipping.
pub fn optimise(
    cfg: &RunConfig,
    model: &Seq2Exp,
    opt: &mut AdamW,
    input: &ModelInput,
    y: &Tensor,
    lr: f64,
    step: usize,
) -> (ModelOutput, LossParts, f64) {
    let amp = cfg.train.bf16 && model.vs.device().is_cuda();
    let (out, parts) = bf16_autocast(amp, || {
        let out = model.forward(input, Pass::Train);
        let parts = loss(&cfg.model, &out, y);
        (out, parts)
    });
    opt.zero_grad();
    parts.total.backward();
    let grad_norm = opt.clip_grad_norm(cfg.train.grad_clip);
    let t = &cfg.train;
    let mask_scale = if step < t.mask_warmup_steps { 0.0 } else { t.mask_lr_scale };
    opt.step_scaled(lr, |name| if model.is_mask_parameter(name) { mask_scale } else { 1.0 });
    (out, parts, grad_norm)
}

pub fn trainable(model: &Seq2Exp) -> Vec<(String, Tensor)> {
    model.vs.variables().into_iter().filter(|(_, t)| t.requires_grad()).collect()
}

/// Keeps only the metrics lines of steps ≤ `step` (a killed run may have logged past its checkpoint).
fn truncate_metrics(path: &std::path::Path, step: usize) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let kept: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["step"].as_u64())
                .is_some_and(|s| s as usize <= step)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    seq2exp_store::output::write_file(path, kept)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), seq2exp_store::output::plain_io(&e)))
}

/// Builds (or restores) the model and optimiser of a run.
fn prepare(
    cfg: &RunConfig,
    opts: &TrainOptions,
    run: &RunDir,
    reader: &StoreReader,
    train: &[usize],
) -> anyhow::Result<(Seq2Exp, AdamW, TrainState)> {
    tch::manual_seed(cfg.train.seed as i64);
    let model = Seq2Exp::new(&cfg.model, opts.device);
    set_feature_scaling(&model, reader, train);
    if model.frozen_mask().is_some() && !run.last().exists() {
        load_frozen_mask(cfg, &model)?;
    }
    if let (Some(p), false) = (&cfg.train.pretrain, run.last().exists()) {
        super::pretrain::pretrain(cfg, p, opts, run, reader, train, &model)?;
    }
    let mut opt = AdamW::new(trainable(&model), cfg.train.betas, cfg.train.adam_eps, cfg.train.weight_decay);
    let mut state = TrainState::default();
    if run.last().exists() {
        let ck = load(&run.last())?;
        restore_weights(&model, &ck.tensors, &run.last())?;
        opt.load_state(ck.state.adam_t, |k| ck.tensors.get(k).map(|t| t.to_device(opts.device)))
            .map_err(|e| anyhow::anyhow!("{}: {e}", run.last().display()))?;
        state = ck.state;
        truncate_metrics(&run.metrics(), state.step)?;
        tracing::info!(step = state.step, "resuming {}", run.path.display());
    }
    Ok((model, opt, state))
}

/// Fills a retrain model's frozen mask from the source checkpoint named in the run configuration, which
/// must still hold the model the configuration describes.
fn load_frozen_mask(cfg: &RunConfig, model: &Seq2Exp) -> anyhow::Result<()> {
    let path = cfg.mask_from.as_deref().context("a retrain run needs the checkpoint of its mask (--mask-from)")?;
    let path = std::path::Path::new(path);
    let source = load(path)?;
    let expected = &cfg.model.mask.retrain.as_ref().expect("validated").source;
    if &source.config.model != expected.as_ref() {
        anyhow::bail!(
            "{}: this checkpoint holds another model than the one the run was configured with",
            path.display()
        );
    }
    crate::model::FrozenMask::load(&model.vs, &source.tensors).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn train_loop(
    cfg: &RunConfig,
    opts: &TrainOptions,
    run: &RunDir,
    reader: &StoreReader,
    peaks: Option<&PeakSource>,
) -> anyhow::Result<TrainState> {
    let t = &cfg.train;
    let target = cfg.model.target_index;
    let train = split_genes(reader, t.fold, Split::Train, target)?;
    let valid = split_genes(reader, t.fold, Split::Valid, target)?;
    let (model, mut opt, mut state) = prepare(cfg, opts, run, reader, &train)?;
    if state.step >= t.steps {
        return Ok(state);
    }
    tracing::info!(
        train = train.len(),
        valid = valid.len(),
        from = state.step,
        steps = t.steps,
        "training {}",
        run.path.display()
    );
    let order = step_indices(&train, t.batch_size, t.seed, state.step, t.steps);
    let stream = BatchStream::spawn(&opts.store, order, t.batch_size, cfg.model.signals.clone(), 2)?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run.metrics())
        .with_context(|| run.metrics().display().to_string())?;
    let bar = &opts.progress;
    bar.set_length(t.steps as u64);
    bar.set_position(state.step as u64);
    let every = opts.checkpoint_every.unwrap_or(t.validate_every).max(1);
    for batch in stream {
        let batch = batch?;
        let started = std::time::Instant::now();
        tch::manual_seed(step_seed(t.seed, state.step));
        let input = model_input(&batch, reader, peaks, opts.device);
        let targets: Vec<f32> = (0..batch.len()).map(|k| batch.targets[k * batch.n_targets + target]).collect();
        let y = Tensor::from_slice(&targets).to_device(opts.device);
        let lr = t.lr_at(state.step);
        let (out, parts, grad_norm) = optimise(cfg, &model, &mut opt, &input, &y, lr, state.step);
        state.step += 1;
        state.adam_t = opt.t;
        let mask_mean = out.mask.as_ref().map(|m| m.mean(Kind::Float).double_value(&[]));
        let rec = serde_json::json!({
            "step": state.step, "loss": parts.total.double_value(&[]), "regression": parts.regression.double_value(&[]),
            "kl": parts.kl.double_value(&[]), "lr": lr, "grad_norm": grad_norm, "mask_mean": mask_mean, "seconds": started.elapsed().as_secs_f64(),
        });
        writeln!(log, "{rec}")?;
        bar.set_message(format!("loss {:.4} lr {lr:.2e}", parts.total.double_value(&[])));
        bar.inc(1);
        if state.step % t.validate_every == 0 || state.step == t.steps {
            validate(cfg, opts, run, &model, &valid, peaks, &mut state, &mut log)?;
        }
        if state.step % every == 0 || state.step == t.steps {
            save(&run.last(), &model, opt.state(), cfg, &state)?;
        }
    }
    bar.finish_and_clear();
    Ok(state)
}

// The run's whole context, passed as is: bundling it into a struct would only move the list.
#[allow(clippy::too_many_arguments)]
fn validate(
    cfg: &RunConfig,
    opts: &TrainOptions,
    run: &RunDir,
    model: &Seq2Exp,
    valid: &[usize],
    peaks: Option<&PeakSource>,
    state: &mut TrainState,
    log: &mut std::fs::File,
) -> anyhow::Result<()> {
    let p = predict(model, &opts.store, valid, cfg.train.batch_size, peaks, opts.device, |_, _| {})?;
    let valid_mse = mse(&p);
    let improved = state.best_valid_mse.is_none_or(|b| valid_mse < b);
    if improved {
        state.best_valid_mse = Some(valid_mse);
        state.best_step = Some(state.step);
        save(&run.best(), model, Vec::new(), cfg, state)?;
    }
    writeln!(log, "{}", serde_json::json!({ "step": state.step, "valid_mse": valid_mse, "best": improved }))?;
    tracing::info!(step = state.step, valid_mse, best = improved, "validation");
    Ok(())
}
