//! `trainer bench`: training-step throughput and peak memory of a preset on synthetic batches (no store
//! needed), for the figures the README and closing notes quote; on CUDA also the peak GPU memory of the
//! timed steps. Not a test: it only prints.

use std::time::Instant;

use clap::Args;
use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig, TrainConfig};
use tch::{Device, Kind, Tensor};

use crate::model::{ModelInput, Pass, Seq2Exp};
use crate::train::{optimise, trainable, AdamW, RunConfig};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trainer bench --preset paper --device cuda --steps 5
  trainer bench --preset tiny --mode hard --forward --json")]
pub struct BenchArgs {
    /// tiny | paper.
    #[arg(long, default_value = "tiny")]
    pub preset: Preset,
    /// soft | hard | nomask.
    #[arg(long, default_value = "soft")]
    pub mode: String,
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Window length (default: the preset's).
    #[arg(long)]
    pub window: Option<usize>,
    /// Timed steps (after one untimed warm-up step).
    #[arg(long, default_value_t = 3)]
    pub steps: usize,
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Time the inference forward (deterministic mask, no gradients) instead of a training step: the tch
    /// figure `runtime bench` is compared with.
    #[arg(long)]
    pub forward: bool,
    /// Print JSON instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

extern "C" {
    fn seq2exp_cuda_peak_bytes(device: i32, which: i32) -> i64;
    fn seq2exp_cuda_reset_peak(device: i32) -> i32;
}

/// Peak GPU bytes (allocated to tensors, reserved by libtorch's allocator) since the last reset; None on
/// CPU or without the `cuda` feature.
fn gpu_peak(device: Device) -> Option<(u64, u64)> {
    let Device::Cuda(i) = device else { return None };
    // SAFETY: plain integers in and out; the C++ side catches every exception (csrc/cuda_memory.cpp).
    let (a, r) = unsafe { (seq2exp_cuda_peak_bytes(i as i32, 0), seq2exp_cuda_peak_bytes(i as i32, 1)) };
    (a >= 0 && r >= 0).then_some((a as u64, r as u64))
}

/// A batch of random bases, signals shaped like the real ones (mostly low, sparse peaks) and features.
fn synthetic(b: usize, l: usize, c: usize, device: Device) -> (ModelInput, Tensor) {
    let (b, l) = (b as i64, l as i64);
    let peaks = Tensor::rand([b, l, c as i64], (Kind::Float, Device::Cpu)).gt(0.95).to_kind(Kind::Float);
    let signals = (Tensor::rand([b, l, c as i64], (Kind::Float, Device::Cpu)) * 0.3 + peaks * 4.0).to_device(device);
    let input = ModelInput {
        dna: Tensor::randint(5, [b, l], (Kind::Int64, device)),
        signals,
        features: Tensor::randn([b, 9], (Kind::Float, device)),
        blacklist: None,
        peaks: Some(Tensor::rand([b, l], (Kind::Float, device)).gt(0.9).to_kind(Kind::Float)),
    };
    (input, Tensor::rand([b], (Kind::Float, device)) * 3.0)
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let device = super::device(&a.device)?;
    let mut model_cfg = Seq2ExpConfig::preset(a.preset);
    let mode: MaskMode = serde_json::from_value(serde_json::Value::String(a.mode.clone()))
        .map_err(|_| anyhow::anyhow!("unknown --mode '{}'", a.mode))?;
    model_cfg.mask = MaskConfig::for_mode(mode);
    model_cfg.window = a.window.unwrap_or(model_cfg.window);
    model_cfg.validate()?;
    let cfg = RunConfig { model: model_cfg, train: TrainConfig::preset(a.preset), peaks: None, mask_from: None };
    tch::manual_seed(cfg.train.seed as i64);
    let model = Seq2Exp::new(&cfg.model, device);
    let mut opt = AdamW::new(trainable(&model), cfg.train.betas, cfg.train.adam_eps, cfg.train.weight_decay);
    let (input, y) = synthetic(a.batch, cfg.model.window, cfg.model.signals.len(), device);
    let n_params: i64 = trainable(&model).iter().map(|(_, t)| t.numel() as i64).sum();
    // The paper preset trains under bf16 autocast on CUDA (optimise decides); CPU steps stay f32.
    let mut times = Vec::with_capacity(a.steps);
    for i in 0..=a.steps {
        let started = Instant::now();
        if a.forward {
            let out = tch::no_grad(|| model.forward(&input, Pass::Eval));
            let _ = out.pred.sum(Kind::Float).double_value(&[]); // waits for the device
        } else {
            let (_, parts, _) = optimise(&cfg, &model, &mut opt, &input, &y, cfg.train.lr, 0);
            let _ = parts.total.double_value(&[]); // waits for the device
        }
        if i > 0 {
            times.push(started.elapsed().as_secs_f64());
        } else if let Device::Cuda(d) = device {
            // Measure the steady state: forget the warm-up's peak.
            // SAFETY: as in gpu_peak.
            unsafe { seq2exp_cuda_reset_peak(d as i32) };
        }
        tracing::info!(
            step = i,
            seconds = started.elapsed().as_secs_f64(),
            "bench step{}",
            if i == 0 { " (warm-up)" } else { "" }
        );
    }
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let rss = seq2exp_cli_util::peak_rss_bytes();
    let gpu = gpu_peak(device);
    let report = serde_json::json!({
        "preset": format!("{:?}", a.preset).to_lowercase(), "mode": a.mode, "what": if a.forward { "forward" } else { "training step" }, "device": format!("{device:?}"),
        "batch": a.batch, "window": cfg.model.window, "parameters": n_params, "threads": tch::get_num_threads(),
        "seconds_per_step": mean, "steps_per_s": 1.0 / mean, "bases_per_s": (a.batch * cfg.model.window) as f64 / mean,
        "peak_rss_bytes": rss, "step_seconds": times,
        "peak_gpu_allocated_bytes": gpu.map(|g| g.0), "peak_gpu_reserved_bytes": gpu.map(|g| g.1),
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} {} {} on {device:?}: batch {} × {} bp, {n_params} parameters: {mean:.3} s/step ({:.3} steps/s), peak RSS {:.0} MB",
            report["preset"].as_str().unwrap_or(""), a.mode, report["what"].as_str().unwrap_or(""), a.batch, cfg.model.window, 1.0 / mean, rss as f64 / 1e6
        );
        if let Some((alloc, reserved)) = gpu {
            println!(
                "peak GPU memory: {:.2} GB allocated, {:.2} GB reserved",
                alloc as f64 / 1e9,
                reserved as f64 / 1e9
            );
        }
    }
    Ok(())
}
