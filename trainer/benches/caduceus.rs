//! Caduceus stack benchmark (not a test). Prints, at d_model 128 / d_inner 256 / N 16 / 4 layers, B = 1:
//! - peak RSS and time of forward + backward with the kernel at L = 200,000 (each configuration in its own
//!   process, since peak RSS only grows);
//! - the same for the pure-tensor reference at lengths it can afford, and its linear extrapolation to
//!   L = 200,000 (labelled as such);
//! - RSS over thousands of forward/backward iterations of a small stack (must stay flat: no leak).
//!
//! `cargo bench -p seq2exp-trainer --bench caduceus [-- --quick]`

use std::process::Command;
use std::time::Instant;

use seq2exp_models::config::CaduceusConfig;
use seq2exp_trainer::nn::{CaduceusStack, ScanImpl};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

const CHILD: &str = "SEQ2EXP_BENCH_CHILD";

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// One forward + backward of the paper-size stack at length `len` (child process).
fn child(spec: &str) {
    let (which, len) = spec.split_once(':').expect("impl:len");
    let len: i64 = len.parse().expect("len");
    tch::manual_seed(0);
    let vs = VarStore::new(Device::Cpu);
    let mut stack = CaduceusStack::new(&vs.root(), &CaduceusConfig::paper());
    if which == "reference" {
        stack.set_scan(ScanImpl::Reference);
    }
    let base = rss_kb("VmRSS:");
    let x = Tensor::randn([1, len, 128], (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let t = Instant::now();
    let y = stack.forward(&x);
    let fwd = t.elapsed().as_secs_f64();
    y.square().mean(Kind::Float).backward();
    let total = t.elapsed().as_secs_f64();
    println!(
        "{{\"peak_kb\": {}, \"base_kb\": {}, \"forward_s\": {fwd}, \"total_s\": {total}}}",
        rss_kb("VmHWM:"),
        base
    );
}

fn run_child(which: &str, len: i64) -> serde_json::Value {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, format!("{which}:{len}"))
        .output()
        .expect("spawn bench child");
    assert!(out.status.success(), "child {which}:{len} failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
    serde_json::from_str(&line).expect("child JSON")
}

fn leak_check(iters: usize) {
    tch::manual_seed(1);
    let vs = VarStore::new(Device::Cpu);
    let stack = CaduceusStack::new(&vs.root(), &CaduceusConfig::tiny());
    let x = Tensor::randn([2, 512, 16], (Kind::Float, Device::Cpu));
    let mut samples = Vec::new();
    for i in 1..=iters {
        let y = stack.forward(&x);
        y.square().mean(Kind::Float).backward();
        vs.variables().values().for_each(|v| {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        });
        if i % (iters / 6).max(1) == 0 {
            samples.push((i, rss_kb("VmRSS:")));
        }
    }
    println!("\nleak check: tiny stack, B=2, L=512, {iters} forward+backward iterations");
    for (i, kb) in &samples {
        println!("  after {i:>5} iterations: RSS {:.1} MB", *kb as f64 / 1024.0);
    }
    let (first, last) = (samples[1].1 as f64, samples.last().unwrap().1 as f64);
    println!("  growth from the 2nd sample to the last: {:.1} MB", (last - first) / 1024.0);
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let quick = std::env::args().any(|a| a == "--quick");
    println!(
        "Caduceus stack (4 layers, d_model 128, d_inner 256, N 16), B = 1, forward + backward, {} threads",
        rayon::current_num_threads()
    );
    println!("{:>10} {:>8} {:>12} {:>10} {:>10}", "scan", "L", "peak RSS MB", "fwd s", "fwd+bwd s");
    let show = |which: &str, len: i64, r: &serde_json::Value| {
        println!(
            "{which:>10} {len:>8} {:>12.0} {:>10.2} {:>10.2}",
            r["peak_kb"].as_f64().unwrap() / 1024.0,
            r["forward_s"].as_f64().unwrap(),
            r["total_s"].as_f64().unwrap()
        );
    };
    let kernel_lens: &[i64] = if quick { &[20_000] } else { &[50_000, 200_000] };
    for &len in kernel_lens {
        show("kernel", len, &run_child("kernel", len));
    }
    let ref_lens: &[i64] = if quick { &[250, 500] } else { &[500, 1_000, 2_000] };
    let refs: Vec<(i64, f64)> = ref_lens
        .iter()
        .map(|&len| {
            let r = run_child("reference", len);
            show("reference", len, &r);
            (len, r["peak_kb"].as_f64().unwrap() / 1024.0)
        })
        .collect();
    let ((l0, m0), (l1, m1)) = (refs[0], *refs.last().unwrap());
    let slope = (m1 - m0) / (l1 - l0) as f64;
    println!(
        "reference extrapolated linearly to L = 200000 (not measured): {:.0} MB ({:.2} MB per position)",
        m1 + slope * (200_000 - l1) as f64,
        slope
    );
    leak_check(if quick { 600 } else { 3_000 });
}
