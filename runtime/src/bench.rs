//! `runtime bench`: throughput of a model at its full window on synthetic genes, in genes/s and in
//! achieved GFLOP/s (the model's FLOPs counted analytically, `seq2exp_models::config::inference_flops`),
//! beside the SGEMM GFLOP/s of this machine measured through ONNX Runtime's own MatMul in the same
//! process and with the same threads — the roofline an SGEMM-bound implementation could reach.

use std::time::Instant;

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{ModelProto, OperatorSetIdProto};
use ort::value::Tensor;
use seq2exp_models::config::Seq2ExpConfig;

use crate::onnx::graph::{Dim, Graph};
use crate::onnx::{to_bytes, Weights, IR_VERSION, OPSET};
use crate::{InputBatch, Model, Prediction, RuntimeError};

/// Deterministic pseudo-random weights of the right names and shapes (a benchmark needs the shapes, not
/// a trained model): A_log = ln(1..N) per row, small δ biases, identity feature scaling, a mask head
/// that selects every base, the rest uniform in ±0.1.
pub fn random_weights(cfg: &Seq2ExpConfig, seed: u64) -> Weights {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    let mut rnd = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut w = Weights::new();
    for (name, shape) in cfg.weight_shapes() {
        let n: usize = shape.iter().product();
        let data = if name == "head.feature_mean" {
            vec![0.0; n]
        } else if name == "head.feature_std" {
            vec![1.0; n]
        } else if name.ends_with("A_log") {
            (0..n).map(|i| ((i % shape[1] + 1) as f32).ln()).collect()
        } else if name == "mask_head.bias" {
            // β logit −30, α logit +30: the Beta mean is ≈ 1 at every base, so a hard mask selects
            // everything but the blacklist and the benchmark controls the mask ratio.
            vec![-30.0, 30.0]
        } else if name.ends_with("dt_proj.bias") {
            (0..n).map(|_| -4.0 + rnd()).collect()
        } else {
            (0..n).map(|_| 0.1 * rnd()).collect()
        };
        w.insert(name, shape, data);
    }
    w
}

/// Synthetic inputs of `genes` genes at `window` bp: bases cycling through codes 0–4, sparse peaks, and
/// optionally a blacklist.
pub struct SyntheticBatch {
    pub dna: Vec<u8>,
    pub signals: Vec<f32>,
    pub features: Vec<f32>,
    pub blacklist: Option<Vec<u8>>,
    pub genes: usize,
    pub window: usize,
}

impl SyntheticBatch {
    pub fn new(genes: usize, window: usize, channels: usize, n_features: usize) -> Self {
        let dna = (0..genes * window).map(|i| ((i * 7 + i / 13) % 5) as u8).collect();
        let signals =
            (0..genes * window * channels).map(|i| if (i / channels) % 997 < 40 { 4.0 } else { 0.1 }).collect();
        Self { dna, signals, features: vec![0.1; genes * n_features], blacklist: None, genes, window }
    }

    pub fn input(&self) -> InputBatch<'_> {
        InputBatch {
            batch: self.genes,
            window: self.window,
            dna: &self.dna,
            signals: &self.signals,
            features: &self.features,
            blacklist: self.blacklist.as_deref(),
        }
    }
}

/// A per-gene blacklist `[window]` that leaves `ratio` of the bases unlisted: 1 − ratio of them listed in
/// pseudo-random contiguous runs (chunks of `run` bases, shuffled; adjacent chunks merge), never inside
/// the promoter `[window/2 − half_width, window/2 + half_width)`. The ratio is clamped to what the
/// promoter allows.
pub fn blacklist_for_ratio(window: usize, promoter_half_width: usize, ratio: f64, seed: u64) -> Vec<u8> {
    let p0 = (window / 2).saturating_sub(promoter_half_width);
    let p1 = (p0 + 2 * promoter_half_width).min(window);
    let outside = window - (p1 - p0);
    let target = (((1.0 - ratio.clamp(0.0, 1.0)) * window as f64).round() as usize).min(outside);
    let run = 250;
    let mut chunks: Vec<std::ops::Range<usize>> = (0..p0).step_by(run).map(|s| s..(s + run).min(p0)).collect();
    chunks.extend((p1..window).step_by(run).map(|s| s..(s + run).min(window)));
    // Fisher–Yates with a fixed LCG: the same layout on every run.
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    for i in (1..chunks.len()).rev() {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        chunks.swap(i, (s >> 33) as usize % (i + 1));
    }
    let mut out = vec![0u8; window];
    let mut left = target;
    for c in chunks {
        let take = c.len().min(left);
        out[c.start..c.start + take].iter_mut().for_each(|v| *v = 1);
        left -= take;
    }
    out
}

/// One timing: seconds per gene, and the fraction of bases the model's mask selected (None without a
/// mask).
pub struct Timing {
    pub seconds_per_gene: f64,
    pub mask_ratio: Option<f64>,
}

/// Times `model` over `repeats` timed batches of `inputs` per worker (after one warm-up batch each); the
/// workers run at the same time, so seconds per gene is wall time over all the genes they predicted.
pub fn time_batch(model: &Model, inputs: &SyntheticBatch, repeats: usize) -> Result<Timing, RuntimeError> {
    let workers = model.workers();
    let run_all = |n: usize| -> Result<Vec<Prediction>, RuntimeError> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| scope.spawn(move || (0..n).map(|_| model.predict(&inputs.input())).last().expect("n ≥ 1")))
                .collect();
            handles.into_iter().map(|h| h.join().expect("a bench worker panicked")).collect()
        })
    };
    let warm = run_all(1)?.remove(0);
    let mask_ratio = warm.mask.as_ref().map(|m| m.iter().filter(|&&v| v >= 0.5).count() as f64 / m.len().max(1) as f64);
    let started = Instant::now();
    run_all(repeats.max(1))?;
    Ok(Timing {
        seconds_per_gene: started.elapsed().as_secs_f64() / (workers * repeats.max(1) * inputs.genes) as f64,
        mask_ratio,
    })
}

/// Seconds per gene of `model` over `repeats` timed batches of `batch` genes (after one warm-up).
pub fn seconds_per_gene(model: &Model, batch: usize, repeats: usize) -> Result<f64, RuntimeError> {
    let i = model.info();
    let inputs = SyntheticBatch::new(batch, i.window, i.signal_names.len(), i.n_features);
    Ok(time_batch(model, &inputs, repeats)?.seconds_per_gene)
}

/// SGEMM GFLOP/s of ONNX Runtime's MatMul (`n`×`n` by `n`×`n`, f32) on `threads` threads, best of 3.
pub fn sgemm_gflops(n: usize, threads: usize) -> Result<f64, RuntimeError> {
    let mut g = Graph::new("sgemm_");
    let dims = [Dim::Fixed(n), Dim::Fixed(n)];
    g.input("a", DataType::FLOAT, &dims);
    g.input("b", DataType::FLOAT, &dims);
    let c = g.op("MatMul", &["a", "b"], vec![]);
    g.output(&c, "c", DataType::FLOAT, Some(&dims));
    let proto = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET, ..Default::default() }],
        graph: Some(g.finish("sgemm")).into(),
        ..Default::default()
    };
    let here = std::path::PathBuf::from("<sgemm>");
    let ort_err = |e: ort::Error| RuntimeError::Ort { path: here.clone(), message: e.to_string() };
    let bytes = to_bytes(&proto).map_err(|e| RuntimeError::Ort { path: here.clone(), message: e.to_string() })?;
    let mut session = crate::session::open_plain(crate::session::environment()?, &bytes, threads).map_err(ort_err)?;
    let a: Vec<f32> = (0..n * n).map(|i| ((i % 17) as f32 - 8.0) / 8.0).collect();
    let mut best = f64::INFINITY;
    for _ in 0..4 {
        let inputs = ort::inputs!["a" => Tensor::from_array(([n, n], a.clone())).map_err(ort_err)?, "b" => Tensor::from_array(([n, n], a.clone())).map_err(ort_err)?];
        let started = Instant::now();
        let out = session.run(inputs).map_err(ort_err)?;
        let secs = started.elapsed().as_secs_f64();
        drop(out);
        best = best.min(secs);
    }
    Ok(2.0 * (n as f64).powi(3) / best / 1e9)
}
