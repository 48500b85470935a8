//! Can the generator learn the motif at all? Trains a fresh discovery model's mask *supervised*: per
//! base, binary cross-entropy of the Beta-mean mask against 1 on the simulator's causal elements and 0 on
//! its open decoys; every 50 steps prints the mean mask of both kinds on the test genes. The optional last
//! argument gives the model the raw signals (`raw`, the default), none (`zero`: DNA alone) or
//! log(1 + signal) (`log`). Findings: docs/model.md, "What the generator can learn".
//!
//! `cargo run --release -p seq2exp-trainer --example generator_probe -- RUN STORE ELEMENTS_BED STEPS LR [raw|zero|log]`
use std::path::Path;

use seq2exp_store::{BatchStream, Split, StoreReader};
use seq2exp_trainer::model::{Pass, Seq2Exp};
use seq2exp_trainer::train::evaluate::model_input;
use seq2exp_trainer::train::{split_genes, RunDir};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor};

fn labels(
    reader: &StoreReader,
    by_chrom: &seq2exp_trainer::eval::ElementsByChrom,
    idx: &[usize],
    window: usize,
) -> (Tensor, Tensor) {
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
            for p in a..b {
                y[k * window + p] = v;
                w[k * window + p] = 1.0;
            }
        }
    }
    let n = idx.len() as i64;
    (Tensor::from_slice(&y).reshape([n, window as i64]), Tensor::from_slice(&w).reshape([n, window as i64]))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "RUN STORE ELEMENTS_BED STEPS LR [raw|zero|log]";
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| anyhow::anyhow!("usage: {usage}"));
    let [run, store, elements] = [arg(0)?, arg(1)?, arg(2)?];
    let steps: usize = arg(3)?.parse()?;
    let lr: f64 = arg(4)?.parse()?;
    let signals_as = args.get(5).cloned().unwrap_or_else(|| "raw".into());
    let adapt = move |mut input: seq2exp_trainer::model::ModelInput| {
        match signals_as.as_str() {
            "zero" => input.signals = input.signals.zeros_like(),
            "log" => input.signals = (input.signals.clamp_min(0.0) + 1.0).log(),
            _ => {}
        }
        input
    };
    let cfg = RunDir::new(Path::new(&run)).read_config()?;
    tch::manual_seed(cfg.train.seed as i64);
    let model = Seq2Exp::new(&cfg.model, Device::Cpu);
    let mut opt = tch::nn::Adam::default().build(&model.vs, lr)?;
    let reader = StoreReader::open(&store)?;
    let by_chrom = seq2exp_trainer::eval::element_kinds(Path::new(&elements))?;
    let train = split_genes(&reader, cfg.train.fold, Split::Train, 0)?;
    let test = split_genes(&reader, cfg.train.fold, Split::Test, 0)?;
    let window = reader.window();
    let bs = cfg.train.batch_size;
    let eval = |model: &Seq2Exp, step: usize| -> anyhow::Result<()> {
        let (mut c, mut o, mut nc, mut no) = (0f64, 0f64, 0f64, 0f64);
        let _g = tch::no_grad_guard();
        for batch in BatchStream::spawn(Path::new(&store), test.clone(), 8, cfg.model.signals.clone(), 2)? {
            let batch = batch?;
            let input = adapt(model_input(&batch, &reader, None, Device::Cpu));
            let m = model.forward(&input, Pass::Eval).mask.unwrap();
            let (y, w) = labels(&reader, &by_chrom, &batch.indices, window);
            let neg: Tensor = (1.0 - &y) * &w;
            let pos: Tensor = &y * &w;
            c += f64::try_from((&m * &pos).sum(Kind::Double))?;
            nc += f64::try_from(pos.sum(Kind::Double))?;
            o += f64::try_from((&m * &neg).sum(Kind::Double))?;
            no += f64::try_from(neg.sum(Kind::Double))?;
        }
        println!("step {step}: test mean mask causal {:.3} open decoy {:.3}", c / nc, o / no);
        Ok(())
    };
    let mut step = 0;
    let mut rng = 0u64;
    while step < steps {
        let mut order = train.clone();
        for i in (1..order.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (rng >> 33) as usize % (i + 1));
        }
        for batch in BatchStream::spawn(Path::new(&store), order, bs, cfg.model.signals.clone(), 2)? {
            let batch = batch?;
            let input = adapt(model_input(&batch, &reader, None, Device::Cpu));
            let m = model.forward(&input, Pass::Eval).mask.unwrap().clamp(1e-4, 1.0 - 1e-4);
            let (y, w) = labels(&reader, &by_chrom, &batch.indices, window);
            let neg: Tensor = 1.0 - &y;
            let m_neg: Tensor = 1.0 - &m;
            let bce = -(&y * m.log() + neg * m_neg.log());
            let loss = (bce * &w).sum(Kind::Float) / w.sum(Kind::Float).clamp_min(1.0);
            opt.backward_step(&loss);
            step += 1;
            if step % 50 == 0 {
                eval(&model, step)?;
            }
            if step >= steps {
                break;
            }
        }
    }
    Ok(())
}
