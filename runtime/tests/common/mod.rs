//! A tiny configuration with deterministic pseudo-random weights, and inputs for it.
#![allow(dead_code)]

use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig};
use seq2exp_runtime::onnx::Weights;

pub const WINDOW: usize = 96;

pub fn config(mode: MaskMode) -> Seq2ExpConfig {
    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.window = WINDOW;
    c.head.pool_width = 16;
    c.mask = MaskConfig::for_mode(mode);
    c.mask.promoter_half_width = 8;
    // An element-sized average would span the whole 96-base test window.
    if let Some(d) = c.mask.discovery.as_mut() {
        d.smooth = 9;
    }
    c
}

/// xorshift values in [-1, 1).
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

fn stack_weights(w: &mut Weights, rng: &mut Rng, prefix: &str, c: &seq2exp_models::config::CaduceusConfig) {
    for (name, shape) in c.parameter_shapes() {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = if name.ends_with("A_log") {
            (0..n).map(|i| (((i % c.mamba.d_state) + 1) as f32).ln()).collect()
        } else if name.ends_with(".D") || name.ends_with("norm.weight") || name.ends_with("norm_f.weight") {
            (0..n).map(|_| 1.0 + 0.2 * rng.next()).collect()
        } else if name.ends_with("dt_proj.bias") {
            (0..n).map(|_| -3.0 + rng.next()).collect()
        } else {
            (0..n).map(|_| 0.4 * rng.next()).collect()
        };
        w.insert(format!("{prefix}.{name}"), shape, data);
    }
}

pub fn weights(cfg: &Seq2ExpConfig, seed: u64) -> Weights {
    let mut rng = Rng::new(seed);
    let mut w = Weights::new();
    let (d, c, nf, h) = (cfg.d_model(), cfg.signals.len(), cfg.head.n_features, cfg.head.hidden);
    let mut put = |w: &mut Weights, name: &str, shape: Vec<usize>, scale: f32| {
        let n = shape.iter().product();
        w.insert(name, shape, (0..n).map(|_| scale * rng.next()).collect());
    };
    put(&mut w, "seq_embed.weight", vec![d, 4], 0.5);
    put(&mut w, "seq_embed.bias", vec![d], 0.1);
    put(&mut w, "sig_embed.weight", vec![d, c], 0.5);
    put(&mut w, "sig_embed.bias", vec![d], 0.1);
    if cfg.shares_stack() {
        put(&mut w, "pos_emb", vec![1, cfg.window, d], 0.3);
    }
    put(&mut w, "mask_head.weight", vec![2, d], 0.5);
    put(&mut w, "mask_head.bias", vec![2], 0.1);
    put(&mut w, "head.mlp.0.weight", vec![h, cfg.pooled_width() + nf], 0.3);
    put(&mut w, "head.mlp.0.bias", vec![h], 0.1);
    put(&mut w, "head.mlp.2.weight", vec![h, h], 0.3);
    put(&mut w, "head.mlp.2.bias", vec![h], 0.1);
    put(&mut w, "head.mlp.4.weight", vec![1, h], 0.3);
    put(&mut w, "head.mlp.4.bias", vec![1], 0.1);
    put(&mut w, "head.feature_mean", vec![nf], 0.5);
    w.insert("head.feature_std", vec![nf], (0..nf).map(|i| 1.0 + 0.1 * i as f32).collect());
    let mut rng = Rng::new(seed + 1);
    stack_weights(&mut w, &mut rng, "generator", &cfg.generator);
    stack_weights(&mut w, &mut rng, "predictor", &cfg.predictor);
    w
}

/// (dna, signals, features, blacklist) for `batch` genes; code 4 and blacklisted bases included.
pub fn inputs(cfg: &Seq2ExpConfig, batch: usize, seed: u64) -> (Vec<u8>, Vec<f32>, Vec<f32>, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let (l, c) = (cfg.window, cfg.signals.len());
    let dna = (0..batch * l).map(|_| ((rng.next() + 1.0) * 2.5) as u8).map(|v| v.min(4)).collect();
    let signals = (0..batch * l * c).map(|_| (rng.next() + 1.0) * 2.0).collect();
    let features = (0..batch * cfg.head.n_features).map(|_| rng.next()).collect();
    let blacklist = (0..batch * l).map(|i| u8::from(i % 37 < 3)).collect();
    (dna, signals, features, blacklist)
}

/// `$SEQ2EXP_VENV/bin/python` (scripts/setup.sh installs it and records the path for cargo). A test that
/// needs it fails, rather than skips, when it is missing: a skipped cross-check would read as a pass.
pub fn venv_python() -> std::path::PathBuf {
    let v = std::env::var_os("SEQ2EXP_VENV")
        .or_else(|| option_env!("SEQ2EXP_VENV").map(Into::into))
        .expect("SEQ2EXP_VENV is not set: run scripts/setup.sh (it installs the venv this cross-check runs in)");
    let p = std::path::Path::new(&v).join("bin/python");
    assert!(p.exists(), "{} does not exist: run scripts/setup.sh", p.display());
    p
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/run_portable.py")
}

/// Runs `model` in stock onnxruntime on `batch` (files in `dir`); returns its outputs.
pub fn run_python(
    python: &std::path::Path,
    model: &std::path::Path,
    dir: &std::path::Path,
    b: &seq2exp_runtime::InputBatch,
    channels: usize,
    nf: usize,
) -> Option<seq2exp_runtime::Prediction> {
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(dir.join("dna.bin"), b.dna).unwrap();
    std::fs::write(dir.join("signals.bin"), f32s(b.signals)).unwrap();
    std::fs::write(dir.join("features.bin"), f32s(b.features)).unwrap();
    let zeros = vec![0u8; b.dna.len()];
    std::fs::write(dir.join("blacklist.bin"), b.blacklist.unwrap_or(&zeros)).unwrap();
    let out = std::process::Command::new(python)
        .arg(script())
        .arg(model)
        .arg(dir)
        .args([b.batch, b.window, channels, nf].map(|v| v.to_string()))
        .output()
        .unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .ok()
            .map(|v| v.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect::<Vec<f32>>())
    };
    Some(seq2exp_runtime::Prediction { expression: read("expression.bin")?, mask: read("mask.bin") })
}

/// `onnx.checker.check_model` (structural only) on `model`.
pub fn check_structural(python: &std::path::Path, model: &std::path::Path) {
    let out = std::process::Command::new(python)
        .arg(script())
        .arg(model)
        .arg(".")
        .args(["0", "0", "0", "0", "--structural-only"])
        .output()
        .unwrap();
    assert!(out.status.success(), "structural check failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A model of `mode` at `window` (pool 400, promoter ± 200) with seeded random weights, its last layer
/// scaled so outputs have a trained model's magnitude (log10 CAGE ≈ 0–4) and 1e-5 comparisons are
/// meaningful in f32; written to `dir/<mode>.onnx` (fast flavour).
pub fn scaled_model(dir: &std::path::Path, mode: MaskMode, window: usize, seed: u64) -> std::path::PathBuf {
    use seq2exp_runtime::onnx::{build_model, to_bytes};
    let mut cfg = config(mode);
    cfg.window = window;
    cfg.head.pool_width = 400;
    cfg.mask.promoter_half_width = 200;
    let mut w = weights(&cfg, seed);
    let last = w.get("head.mlp.4.weight", &[1, cfg.head.hidden]).unwrap().data.iter().map(|v| v * 0.005).collect();
    w.insert("head.mlp.4.weight", vec![1, cfg.head.hidden], last);
    let path = dir.join(format!("{mode:?}.onnx"));
    let proto = build_model(&cfg, &w, seq2exp_runtime::Flavour::Fast, &[]).unwrap();
    std::fs::write(&path, to_bytes(&proto).unwrap()).unwrap();
    path
}

/// A store of the simulated genome `sim` (its FASTA replaced by `fasta`) at `window`, with or without
/// the simulator's blacklist.
pub fn sim_store(
    sim: &std::path::Path,
    fasta: &std::path::Path,
    out: &std::path::Path,
    window: usize,
    blacklist: bool,
) -> std::path::PathBuf {
    use seq2exp_build::{build_store, BuildConfig};
    let mut b =
        BuildConfig::new(fasta.to_path_buf(), sim.join("genes.gtf"), sim.join("expression.csv"), out.to_path_buf());
    b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    b.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    b.blacklist = blacklist.then(|| sim.join("blacklist.bed"));
    b.window = window as u64;
    build_store(&b).unwrap().out
}

/// `runtime ARGS --quiet FLAG PATH…`, output captured.
pub fn run_quiet(args: &[&str], paths: &[(&str, &std::path::Path)]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.args(args).arg("--quiet");
    for (flag, p) in paths {
        c.arg(flag).arg(p);
    }
    c.env("RUST_LOG", "warn").output().unwrap()
}

pub fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
