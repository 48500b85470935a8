//! What does the task loss ask of the mask? For a trained run, prints the mean ∂(regression loss)/∂mask per
//! element kind of the simulator's `elements.bed` (each element's gradient averaged over its bases, then
//! mean and s.d. over elements), on training batches with sampled masks. If causal elements and open decoys
//! get the same gradient, no generator can learn to tell them apart from this loss.
//!
//! `cargo run --release -p seq2exp-trainer --example mask_gradient -- RUN STORE ELEMENTS_BED [BATCHES]`

use std::collections::BTreeMap;
use std::path::Path;

use seq2exp_store::{BatchStream, Split, StoreReader};
use seq2exp_trainer::model::{loss, Pass};
use seq2exp_trainer::train::evaluate::model_input;
use seq2exp_trainer::train::{split_genes, RunDir};
use tch::{Device, Kind, Tensor};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [run, store, elements] = [0, 1, 2].map(|i| args.get(i).cloned().expect("RUN STORE ELEMENTS_BED [BATCHES]"));
    let batches: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(40);
    let (model, _) = seq2exp_trainer::eval::load_run(Path::new(&run), Device::Cpu)?;
    let cfg = RunDir::new(Path::new(&run)).read_config()?;
    let reader = StoreReader::open(&store)?;
    let by_chrom = seq2exp_trainer::eval::element_kinds(Path::new(&elements))?;
    let genes = split_genes(&reader, cfg.train.fold, Split::Train, cfg.model.target_index)?;
    let bs = cfg.train.batch_size;
    let order: Vec<usize> = genes.iter().copied().take(batches * bs).collect();
    let window = reader.window();
    let mut per_kind: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    // Per parameter group: Σ grad², number of entries, tensors seen (what Adam's second moment sees).
    let mut grads: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    tch::manual_seed(1);
    for batch in BatchStream::spawn(Path::new(&store), order, bs, cfg.model.signals.clone(), 2)? {
        let batch = batch?;
        let input = model_input(&batch, &reader, None, Device::Cpu);
        let t: Vec<f32> =
            (0..batch.len()).map(|k| batch.targets[k * batch.n_targets + cfg.model.target_index]).collect();
        let out = model.forward(&input, Pass::Train);
        let mask = out.mask.as_ref().expect("a masked model");
        let parts = loss(&cfg.model, &out, &Tensor::from_slice(&t));
        let g = Tensor::run_backward(&[&parts.regression], &[mask], true, false).remove(0);
        for v in model.vs.trainable_variables() {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        parts.total.backward();
        for (name, v) in model.vs.variables() {
            let gr = v.grad();
            if !gr.defined() {
                continue;
            }
            let group = name.split('.').next().unwrap_or("").to_string();
            let e = grads.entry(group).or_insert((0.0, 0.0, 0usize));
            e.0 += gr.square().sum(Kind::Double).double_value(&[]);
            e.1 += gr.numel() as f64;
            e.2 += 1;
        }
        for (k, &i) in batch.indices.iter().enumerate() {
            let gene = &reader.genes()[i];
            let start = gene.window_start(window as u64);
            let row: Vec<f32> = Vec::try_from(g.get(k as i64).to_kind(Kind::Float))?;
            for (s, e, kind) in by_chrom.get(&gene.chrom).map(Vec::as_slice).unwrap_or(&[]) {
                let a = (*s as i64 - start).clamp(0, window as i64) as usize;
                let b = (*e as i64 - start).clamp(0, window as i64) as usize;
                if b > a {
                    per_kind
                        .entry(kind.clone())
                        .or_default()
                        .push(row[a..b].iter().map(|&v| v as f64).sum::<f64>() / (b - a) as f64);
                }
            }
        }
    }
    println!("kind          elements   mean ∂loss/∂mask      s.d.");
    for (kind, v) in &per_kind {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        println!("{kind:<13} {:>8} {mean:>+18.3e} {sd:>10.3e}", v.len());
    }
    println!("group          RMS ∂loss/∂parameter (per batch; Adam eps is {:e})", cfg.train.adam_eps);
    for (group, (sq, n, _)) in &grads {
        println!("{group:<13} {:>12.3e}", (sq / n).sqrt());
    }
    Ok(())
}
