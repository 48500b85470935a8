//! Times the fast and portable flavours on a paper-sized network (d_model 128, d_inner 256, N 16,
//! 4 + 4 layers) with random weights over a shorter window, and checks they agree.
//! `cargo run --release -p seq2exp-runtime --example flavour_speed -- [WINDOW] [THREADS]`

use std::time::Instant;

use seq2exp_models::config::{Preset, Seq2ExpConfig};
use seq2exp_runtime::onnx::{build_model, to_bytes, Weights};
use seq2exp_runtime::{Flavour, InputBatch, LoadOptions, Model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let (window, threads) = (args.first().copied().unwrap_or(4000), args.get(1).copied().unwrap_or(2));
    let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
    cfg.window = window;
    cfg.head.pool_width = cfg.head.pool_width.min(window / 2);
    cfg.mask.promoter_half_width = cfg.mask.promoter_half_width.min(window / 4);
    let mut s = 1u64;
    let mut rnd = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut w = Weights::new();
    let (d, c, nf, h) = (cfg.d_model(), cfg.signals.len(), cfg.head.n_features, cfg.head.hidden);
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("seq_embed.weight".into(), vec![d, 4]), ("seq_embed.bias".into(), vec![d]), ("sig_embed.weight".into(), vec![d, c]), ("sig_embed.bias".into(), vec![d]),
        ("mask_head.weight".into(), vec![2, d]), ("mask_head.bias".into(), vec![2]), ("head.mlp.0.weight".into(), vec![h, d + nf]), ("head.mlp.0.bias".into(), vec![h]),
        ("head.mlp.2.weight".into(), vec![h, h]), ("head.mlp.2.bias".into(), vec![h]), ("head.mlp.4.weight".into(), vec![1, h]), ("head.mlp.4.bias".into(), vec![1]),
    ];
    for p in ["generator", "predictor"] {
        shapes.extend(cfg.generator.parameter_shapes().into_iter().map(|(n, s)| (format!("{p}.{n}"), s)));
    }
    for (name, shape) in shapes {
        let n: usize = shape.iter().product();
        let data = if name.ends_with("A_log") {
            (0..n).map(|i| ((i % 16 + 1) as f32).ln()).collect()
        } else if name.ends_with("dt_proj.bias") {
            (0..n).map(|_| -4.0 + rnd()).collect()
        } else {
            (0..n).map(|_| 0.1 * rnd()).collect()
        };
        w.insert(name, shape, data);
    }
    w.insert("head.feature_mean", vec![nf], vec![0.0; nf]);
    w.insert("head.feature_std", vec![nf], vec![1.0; nf]);
    let dna: Vec<u8> = (0..window).map(|i| (i * 7 % 5) as u8).collect();
    let signals: Vec<f32> = (0..window * c).map(|_| rnd().abs() * 3.0).collect();
    let features = vec![0.1f32; nf];
    let batch = InputBatch { batch: 1, window, dna: &dna, signals: &signals, features: &features, blacklist: None };
    let dir = std::env::temp_dir();
    let mut results = Vec::new();
    for flavour in [Flavour::Fast, Flavour::Portable] {
        let path = dir.join(format!("seq2exp-speed-{flavour}.onnx"));
        std::fs::write(&path, to_bytes(&build_model(&cfg, &w, flavour, &[])?)?)?;
        let m = Model::load(&path, &LoadOptions { threads: Some(threads) })?;
        m.predict(&batch)?; // warm-up
        let t = Instant::now();
        let p = m.predict(&batch)?;
        let secs = t.elapsed().as_secs_f64();
        println!("{flavour:>8}: window {window}, {threads} threads: {:.3} s/gene ({:.1} µs/position), expression {:.6}", secs, secs / window as f64 * 1e6, p.expression[0]);
        results.push(p);
        let _ = std::fs::remove_file(&path);
    }
    let dm = results[0].mask.as_ref().unwrap().iter().zip(results[1].mask.as_ref().unwrap()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    println!("max |Δ| fast vs portable: expression {:.2e}, mask {:.2e}", (results[0].expression[0] - results[1].expression[0]).abs(), dm);
    Ok(())
}
