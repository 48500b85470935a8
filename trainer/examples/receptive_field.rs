//! How far does a freshly initialised Caduceus stack see? Prints the mean |∂(centre-pooled output)/∂input|
//! per base at several distances outside the pooled centre, beside the same figure inside it.
//!
//! `cargo run --release -p seq2exp-trainer --example receptive_field -- [tiny|paper] [window] [dt_min dt_max]`
//!
//! It shows that, at tiny scale, distal bases reach the pooled
//! centre (and so the loss) about 10⁴–10⁵ times more weakly than the centre's own bases.

use seq2exp_models::config::CaduceusConfig;
use seq2exp_trainer::nn::CaduceusStack;
use tch::{nn::VarStore, Device, Kind, Tensor};

const POOL: i64 = 2_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = match args.first().map(String::as_str) {
        Some("paper") => CaduceusConfig::paper(),
        _ => CaduceusConfig::tiny(),
    };
    let window: i64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(6_000);
    if let (Some(lo), Some(hi)) = (args.get(2), args.get(3)) {
        cfg.mamba.dt_min = lo.parse().expect("dt_min");
        cfg.mamba.dt_max = hi.parse().expect("dt_max");
    }
    tch::manual_seed(1);
    let vs = VarStore::new(Device::Cpu);
    let stack = CaduceusStack::new(&vs.root(), &cfg);
    let d = cfg.mamba.d_model as i64;
    let x = Tensor::randn([1, window, d], (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let pooled = stack.forward(&x).narrow(1, (window - POOL) / 2, POOL).mean_dim([1].as_slice(), false, Kind::Float);
    // A random read-out direction stands in for the head.
    (pooled.squeeze() * Tensor::randn([d], (Kind::Float, Device::Cpu))).sum(Kind::Float).backward();
    let g: Vec<f32> =
        Vec::try_from(x.grad().abs().sum_dim_intlist([2].as_slice(), false, Kind::Float).squeeze()).unwrap();
    let mean_around = |p: i64| g[(p - 10) as usize..=(p + 10) as usize].iter().sum::<f32>() / 21.0;
    let edge = (window - POOL) / 2; // first pooled position
    println!("window {window}, dt [{}, {}], d_model {d}", cfg.mamba.dt_min, cfg.mamba.dt_max);
    println!("inside the pool: {:.2e}", mean_around(window / 2));
    for dist in [0, 100, 250, 500, 1_000, 1_500, 2_000, 5_000, 20_000] {
        if edge - 11 - dist >= 10 {
            println!("{dist:>6} bp outside: {:.2e}", mean_around(edge - 11 - dist));
        }
    }
}
