//! What can the discovery generator learn, and from what? Up to three phases on a fresh model, each
//! optional, printing the mean mask over the simulator's causal elements and open decoys on the test genes
//! every 50 steps (findings: docs/model.md, "What the generator can learn" and after):
//!
//! 1. `--mlm-steps`: the generator (DNA alone) pretrained as a masked-base language model, with its loss
//!    on the bases of the planted motif printed beside the mean.
//! 2. `--steps`: the mask trained *supervised*: per base, binary cross-entropy of the Beta-mean mask
//!    against 1 on causal elements and 0 on open decoys (or the reverse, `--labels reversed`).
//! 3. `--task-steps`: the task loss, the readout at `--lr`, the generator side at `--generator-lr` and
//!    frozen for the first `--freeze` steps.
//!
//! `cargo run --release -p seq2exp-trainer --example generator_probe -- --run RUN --store STORE
//! --elements elements.bed --steps 250`
use std::path::{Path, PathBuf};

use clap::Parser;
use seq2exp_store::{Batch, BatchStream, Split, StoreReader};
use seq2exp_trainer::eval::ElementsByChrom;
use seq2exp_trainer::model::{loss, ModelInput, Pass, Seq2Exp};
use seq2exp_trainer::train::evaluate::model_input;
use seq2exp_trainer::train::optim::AdamW;
use seq2exp_trainer::train::pretrain::hidden_base_losses;
use seq2exp_trainer::train::{split_genes, RunConfig, RunDir};
use tch::{Device, Kind, Tensor};

#[derive(Parser)]
struct Args {
    /// A run directory whose config.json defines the model (a discovery model).
    #[arg(long)]
    run: PathBuf,
    #[arg(long)]
    store: PathBuf,
    /// The simulator's elements.bed.
    #[arg(long)]
    elements: PathBuf,
    /// Supervised steps (phase 2).
    #[arg(long, default_value_t = 0)]
    steps: usize,
    /// Learning rate of the supervised phase and of the readout in the task phase.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// What the model reads as signals: raw, zero (DNA alone) or log (log(1 + signal)).
    #[arg(long, default_value = "raw")]
    signals: String,
    /// normal: causal = 1, open decoy = 0; reversed: the opposite.
    #[arg(long, default_value = "normal")]
    labels: String,
    #[arg(long, default_value_t = 0)]
    mlm_steps: usize,
    #[arg(long, default_value_t = 0.01)]
    mlm_lr: f64,
    #[arg(long, default_value_t = 0)]
    task_steps: usize,
    /// Task steps with the generator and mask head frozen (the readout alone learns).
    #[arg(long, default_value_t = 0)]
    freeze: usize,
    /// Learning rate of the generator and mask head in the task phase (default: --lr).
    #[arg(long)]
    generator_lr: Option<f64>,
    /// The mask the task phase trains through: sample (as the trainer does) or mean (the Beta mean).
    #[arg(long, default_value = "sample")]
    task_mask: String,
}

/// Per-base labels (1 causal, 0 open decoy) and weights (1 on either kind) of a batch, `[B, L]` each.
fn labels(reader: &StoreReader, by_chrom: &ElementsByChrom, idx: &[usize], window: usize) -> (Tensor, Tensor) {
    let mut y = vec![0f32; idx.len() * window];
    let mut w = vec![0f32; idx.len() * window];
    for (k, &i) in idx.iter().enumerate() {
        let gene = &reader.genes()[i];
        let start = gene.window_start(window as u64);
        for (s, e, kind) in by_chrom.get(&gene.chrom).map(Vec::as_slice).unwrap_or(&[]) {
            let a = (*s as i64 - start).clamp(0, window as i64) as usize;
            let b = (*e as i64 - start).clamp(0, window as i64) as usize;
            let v = match kind.as_str() {
                "causal" => 1.0,
                "open_decoy" => 0.0,
                _ => continue,
            };
            y[k * window + a..k * window + b].iter_mut().for_each(|x| *x = v);
            w[k * window + a..k * window + b].iter_mut().for_each(|x| *x = 1.0);
        }
    }
    let n = idx.len() as i64;
    (Tensor::from_slice(&y).reshape([n, window as i64]), Tensor::from_slice(&w).reshape([n, window as i64]))
}

/// 1.0 on the bases of every copy of the benchmark's motif AGTCCTTC (either strand), `[B, L]`.
fn motif_bases(dna: &[u8], window: usize) -> Tensor {
    const FWD: [u8; 8] = [0, 2, 3, 1, 1, 3, 3, 1];
    const REV: [u8; 8] = [2, 0, 0, 2, 2, 0, 1, 3];
    let mut out = vec![0f32; dna.len()];
    for (row, r) in dna.chunks(window).enumerate() {
        for i in 0..window.saturating_sub(8) {
            if r[i..i + 8] == FWD || r[i..i + 8] == REV {
                out[row * window + i..row * window + i + 8].iter_mut().for_each(|v| *v = 1.0);
            }
        }
    }
    Tensor::from_slice(&out).reshape([(dna.len() / window) as i64, window as i64])
}

struct Probe {
    args: Args,
    cfg: RunConfig,
    model: Seq2Exp,
    reader: StoreReader,
    by_chrom: ElementsByChrom,
    train: Vec<usize>,
    test: Vec<usize>,
    rng: u64,
}

impl Probe {
    fn input(&self, batch: &Batch) -> ModelInput {
        let mut input = model_input(batch, &self.reader, None, Device::Cpu);
        match self.args.signals.as_str() {
            "zero" => input.signals = input.signals.zeros_like(),
            "log" => input.signals = (input.signals.clamp_min(0.0) + 1.0).log(),
            _ => {}
        }
        input
    }

    /// Training batches in a fresh shuffled order, one epoch.
    fn epoch(&mut self) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Batch>>> {
        let mut order = self.train.clone();
        for i in (1..order.len()).rev() {
            self.rng = self.rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (self.rng >> 33) as usize % (i + 1));
        }
        let bs = self.cfg.train.batch_size;
        Ok(BatchStream::spawn(&self.args.store, order, bs, self.cfg.model.signals.clone(), 2)?
            .map(|b| b.map_err(anyhow::Error::from)))
    }

    /// Prints the test genes' mean mask over causal elements and open decoys.
    fn report(&self, phase: &str, step: usize) -> anyhow::Result<()> {
        let (mut c, mut o, mut nc, mut no) = (0f64, 0f64, 0f64, 0f64);
        let _g = tch::no_grad_guard();
        let signals = self.cfg.model.signals.clone();
        for batch in BatchStream::spawn(&self.args.store, self.test.clone(), 8, signals, 2)? {
            let batch = batch?;
            let m = self.model.forward(&self.input(&batch), Pass::Eval).mask.expect("a masked model");
            let (y, w) = labels(&self.reader, &self.by_chrom, &batch.indices, self.reader.window());
            let (pos, neg) = (&y * &w, (1.0 - &y) * &w);
            c += f64::try_from((&m * &pos).sum(Kind::Double))?;
            nc += f64::try_from(pos.sum(Kind::Double))?;
            o += f64::try_from((&m * &neg).sum(Kind::Double))?;
            no += f64::try_from(neg.sum(Kind::Double))?;
        }
        println!("{phase} step {step}: test mean mask causal {:.3} open decoy {:.3}", c / nc, o / no);
        Ok(())
    }

    /// Phase 1: masked-base prediction (15% of the real bases → N) from the generator's output.
    fn mlm(&mut self) -> anyhow::Result<()> {
        let d = self.cfg.model.d_model() as i64;
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let out = tch::nn::linear(vs.root() / "mlm", d, 4, Default::default());
        let mut params: Vec<(String, Tensor)> = self
            .model
            .vs
            .variables()
            .into_iter()
            .filter(|(n, v)| v.requires_grad() && (n.starts_with("generator") || n.starts_with("seq_embed")))
            .collect();
        params.extend(vs.variables());
        let mut opt = AdamW::new(params, (0.9, 0.999), 1e-8, 0.0);
        let (mut step, mut sum, mut motif_sum, mut motif_n) = (0, 0.0, 0.0, 0.0);
        while step < self.args.mlm_steps {
            for batch in self.epoch()? {
                let batch = batch?;
                let motif = motif_bases(&batch.dna, self.reader.window());
                let dna = model_input(&batch, &self.reader, None, Device::Cpu).dna;
                let (per_base, pick) = hidden_base_losses(&self.model, &out, &dna, 0.15);
                let on_motif = motif.masked_select(&pick);
                motif_sum += f64::try_from((&per_base * &on_motif).sum(Kind::Double))?;
                motif_n += f64::try_from(on_motif.sum(Kind::Double))?;
                let loss = per_base.mean(Kind::Float);
                opt.zero_grad();
                loss.backward();
                opt.step(self.args.mlm_lr);
                sum += loss.double_value(&[]);
                step += 1;
                if step % 50 == 0 {
                    println!("mlm step {step}: loss {:.4}, on motif bases {:.4}", sum / 50.0, motif_sum / motif_n);
                    (sum, motif_sum, motif_n) = (0.0, 0.0, 0.0);
                }
                if step >= self.args.mlm_steps {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Phase 2: per-base cross-entropy of the Beta-mean mask against the element labels.
    fn supervised(&mut self) -> anyhow::Result<()> {
        let mut opt = AdamW::new(seq2exp_trainer::train::trainable(&self.model), (0.9, 0.999), 1e-8, 0.0);
        let reversed = self.args.labels == "reversed";
        let mut step = 0;
        while step < self.args.steps {
            for batch in self.epoch()? {
                let batch = batch?;
                let m = self.model.forward(&self.input(&batch), Pass::Eval).mask.expect("a masked model");
                let m = m.clamp(1e-4, 1.0 - 1e-4);
                let (y, w) = labels(&self.reader, &self.by_chrom, &batch.indices, self.reader.window());
                let y = if reversed { (1.0 - y) * &w } else { y };
                let (not_y, not_m): (Tensor, Tensor) = (1.0 - &y, 1.0 - &m);
                let bce = -(&y * m.log() + not_y * not_m.log());
                let loss = (bce * &w).sum(Kind::Float) / w.sum(Kind::Float).clamp_min(1.0);
                opt.zero_grad();
                loss.backward();
                opt.step(self.args.lr);
                step += 1;
                if step % 50 == 0 {
                    self.report("supervised", step)?;
                }
                if step >= self.args.steps {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Phase 3: the model's own loss, readout and generator side at their own learning rates.
    fn task(&mut self) -> anyhow::Result<()> {
        let (head, rest): (Vec<_>, Vec<_>) =
            seq2exp_trainer::train::trainable(&self.model).into_iter().partition(|(n, _)| n.starts_with("head"));
        let mut opt_head = AdamW::new(head, (0.9, 0.999), 1e-8, 0.0);
        let mut opt_rest = AdamW::new(rest, (0.9, 0.999), 1e-8, 0.0);
        let generator_lr = self.args.generator_lr.unwrap_or(self.args.lr);
        let pass = if self.args.task_mask == "mean" { Pass::Eval } else { Pass::Train };
        let (mut step, mut sum) = (0, 0.0);
        while step < self.args.task_steps {
            for batch in self.epoch()? {
                let batch = batch?;
                let t = self.cfg.model.target_index;
                let y: Vec<f32> = (0..batch.len()).map(|k| batch.targets[k * batch.n_targets + t]).collect();
                let out = self.model.forward(&self.input(&batch), pass);
                let parts = loss(&self.cfg.model, &out, &Tensor::from_slice(&y));
                opt_head.zero_grad();
                opt_rest.zero_grad();
                parts.total.backward();
                opt_head.step(self.args.lr);
                if step >= self.args.freeze {
                    opt_rest.step(generator_lr);
                }
                sum += parts.regression.double_value(&[]);
                step += 1;
                if step % 50 == 0 {
                    print!("task loss {:.4}  ", sum / 50.0);
                    sum = 0.0;
                    self.report("task", step)?;
                }
                if step >= self.args.task_steps {
                    break;
                }
            }
        }
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = RunDir::new(&args.run).read_config()?;
    tch::manual_seed(cfg.train.seed as i64);
    let model = Seq2Exp::new(&cfg.model, Device::Cpu);
    let reader = StoreReader::open(&args.store)?;
    let by_chrom = seq2exp_trainer::eval::element_kinds(Path::new(&args.elements))?;
    let train = split_genes(&reader, cfg.train.fold, Split::Train, 0)?;
    let test = split_genes(&reader, cfg.train.fold, Split::Test, 0)?;
    let mut probe = Probe { args, cfg, model, reader, by_chrom, train, test, rng: 0 };
    probe.mlm()?;
    probe.supervised()?;
    probe.task()
}
