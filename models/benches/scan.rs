//! Selective-scan throughput at the Seq2Exp reference size (d_inner 256, N 16, B 1, L 200,000).
//! Prints figures; not a test. `SCAN_BENCH_L` overrides L, `SCAN_BENCH_REPS` the repetitions
//! (best of N is reported); `SCAN_BENCH_FWD_ONLY=1` times the forward only. Wall time and CPU time (all threads) are both printed: on a
//! shared machine the CPU figure is the steadier one. The detected ISA is timed with both forms of δ:
//! the full `[B, D, L]` tensor and the low-rank factors (R = 8, Mamba's dt_proj fused in).

use std::collections::HashMap;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use seq2exp_models::scan::{
    checkpoint_len, reference, scan_backward_with, scan_forward_with, Delta, DeltaGrad, Isa, ScanDims, ScanGrads,
    ScanInputs, ScanOptions, DEFAULT_CHUNK,
};

/// dt_rank of the low-rank δ.
const RANK: usize = 8;

/// Mamba-like inputs: softplus δ with bias, D skip, z gate, A_log = ln(1..N).
struct Data<T> {
    dims: ScanDims,
    u: Vec<T>,
    delta: Vec<T>,
    /// `[B, RANK, L]` and `[D, RANK]`: the low-rank form of δ.
    low: Vec<T>,
    weight: Vec<T>,
    z: Vec<T>,
    a_log: Vec<T>,
    b: Vec<T>,
    c: Vec<T>,
    skip: Vec<T>,
    bias: Vec<T>,
}

impl<T: Copy> Data<T> {
    fn new(dims: ScanDims, seed: u64, cast: fn(f64) -> T) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut v = |n: usize, lo: f64, hi: f64| (0..n).map(|_| cast(rng.random_range(lo..hi))).collect();
        let ScanDims { batch, dim, len, state } = dims;
        let bdl = batch * dim * len;
        Data {
            dims,
            u: v(bdl, -1.0, 1.0),
            delta: v(bdl, -4.0, 1.0),
            low: v(batch * RANK * len, -1.0, 1.0),
            weight: v(dim * RANK, -0.35, 0.35),
            z: v(bdl, -3.0, 3.0),
            a_log: (0..dim * state).map(|i| cast((((i % state) + 1) as f64).ln())).collect(),
            b: v(batch * len * state, -1.0, 1.0),
            c: v(batch * len * state, -1.0, 1.0),
            skip: v(dim, 0.5, 1.5),
            bias: v(dim, -2.0, 0.0),
        }
    }

    fn inputs(&self, low_rank: bool) -> ScanInputs<'_, T> {
        let delta = if low_rank {
            Delta::LowRank { low: &self.low, weight: &self.weight, rank: RANK }
        } else {
            Delta::Full(&self.delta)
        };
        ScanInputs {
            u: &self.u,
            delta,
            a_log: &self.a_log,
            b: &self.b,
            c: &self.c,
            d_skip: Some(&self.skip),
            z: Some(&self.z),
            delta_bias: Some(&self.bias),
            delta_softplus: true,
        }
    }
}

/// Output buffers, allocated once and reused by every timed run.
struct Buffers {
    y: Vec<f32>,
    ck: Vec<f32>,
    dy: Vec<f32>,
    du: Vec<f32>,
    ddelta: Vec<f32>,
    ddelta_low: Vec<f32>,
    ddt_weight: Vec<f32>,
    dz: Vec<f32>,
    da_log: Vec<f32>,
    db: Vec<f32>,
    dc: Vec<f32>,
    dd_skip: Vec<f32>,
    ddelta_bias: Vec<f32>,
}

impl Buffers {
    fn new(dims: ScanDims) -> Self {
        let ScanDims { batch, dim, len, state } = dims;
        let v = |n: usize| vec![0.0f32; n];
        let mut dy = v(batch * dim * len);
        dy.iter_mut().enumerate().for_each(|(i, x)| *x = ((i % 7) as f32 - 3.0) * 0.1);
        Buffers {
            y: v(batch * dim * len),
            ck: v(checkpoint_len(dims, DEFAULT_CHUNK).unwrap()),
            dy,
            du: v(batch * dim * len),
            ddelta: v(batch * dim * len),
            ddelta_low: v(batch * RANK * len),
            ddt_weight: v(dim * RANK),
            dz: v(batch * dim * len),
            da_log: v(dim * state),
            db: v(batch * len * state),
            dc: v(batch * len * state),
            dd_skip: v(dim),
            ddelta_bias: v(dim),
        }
    }

    fn forward(&mut self, data: &Data<f32>, isa: Isa, ckpt: bool, low_rank: bool) {
        let opts = ScanOptions { chunk: DEFAULT_CHUNK, isa };
        let ck = if ckpt { Some(&mut self.ck[..]) } else { None };
        let x = data.inputs(low_rank);
        scan_forward_with(data.dims, &x, &mut self.y, ck, &opts).unwrap();
    }

    fn backward(&mut self, data: &Data<f32>, isa: Isa, low_rank: bool) {
        let opts = ScanOptions { chunk: DEFAULT_CHUNK, isa };
        let ddelta = if low_rank {
            DeltaGrad::LowRank { low: &mut self.ddelta_low, weight: &mut self.ddt_weight }
        } else {
            DeltaGrad::Full(&mut self.ddelta)
        };
        let mut g = ScanGrads {
            du: &mut self.du,
            ddelta,
            da_log: &mut self.da_log,
            db: &mut self.db,
            dc: &mut self.dc,
            dd_skip: Some(&mut self.dd_skip),
            ddelta_bias: Some(&mut self.ddelta_bias),
            dz: Some(&mut self.dz),
        };
        let x = data.inputs(low_rank);
        scan_backward_with(data.dims, &x, &self.ck, &self.dy, &mut g, &opts).unwrap();
    }
}

/// CPU time so far of each live thread of this process, in ns (from schedstat).
fn thread_cpu_ns() -> HashMap<String, u64> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return HashMap::new();
    };
    tasks
        .filter_map(|t| {
            let t = t.ok()?;
            let stat = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
            Some((t.file_name().to_string_lossy().into_owned(), stat.split_whitespace().next()?.parse().ok()?))
        })
        .collect()
}

/// CPU seconds spent by this process's threads between two snapshots (threads that exited in
/// between are left out, so an old pool winding down cannot make it negative). On a shared
/// machine this is far steadier than wall time.
fn cpu_between(before: &HashMap<String, u64>, after: &HashMap<String, u64>) -> f64 {
    let ns: u64 = after.iter().map(|(k, &v)| v.saturating_sub(before.get(k).copied().unwrap_or(0))).sum();
    ns as f64 * 1e-9
}

/// Best (wall, cpu) seconds of `reps` runs.
fn best_of(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    (0..reps.max(1))
        .map(|_| {
            let (t, c) = (Instant::now(), thread_cpu_ns());
            f();
            (t.elapsed().as_secs_f64(), cpu_between(&c, &thread_cpu_ns()))
        })
        .fold((f64::INFINITY, f64::INFINITY), |a, b| (a.0.min(b.0), a.1.min(b.1)))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn report(what: &str, dims: ScanDims, threads: usize, (wall, cpu): (f64, f64)) {
    let tokens = (dims.batch * dims.len) as f64;
    let updates = tokens * (dims.dim * dims.state) as f64;
    println!(
        "  {what:<20} {threads} thr: {wall:7.3} s wall {:>9.0} tokens/s {:6.3} ns/update/thread | cpu {cpu:7.3} s {:6.3} ns/update",
        tokens / wall,
        wall * threads as f64 / updates * 1e9,
        cpu / updates * 1e9,
    );
}

fn bench_kernel(data: &Data<f32>, buf: &mut Buffers, (isa, low_rank): (Isa, bool), threads: &[usize], reps: usize) {
    let form = if low_rank { format!("low-rank δ, R = {RANK}") } else { "full δ".into() };
    println!("{isa:?}, {form}:");
    for &t in threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
        pool.install(|| {
            let fwd = best_of(reps, || buf.forward(data, isa, false, low_rank));
            report("forward", data.dims, t, fwd);
            if std::env::var_os("SCAN_BENCH_FWD_ONLY").is_some() {
                return;
            }
            let fwd_ck = best_of(reps, || buf.forward(data, isa, true, low_rank));
            report("forward+checkpoints", data.dims, t, fwd_ck);
            let bwd = best_of(reps, || buf.backward(data, isa, low_rank));
            report("backward", data.dims, t, bwd);
            report("forward+backward", data.dims, t, (fwd_ck.0 + bwd.0, fwd_ck.1 + bwd.1));
        });
    }
}

fn bench_reference(dims: ScanDims) {
    let data = Data::<f64>::new(dims, 2, |x| x);
    let dy = vec![0.1f64; dims.batch * dims.dim * dims.len];
    let fwd = best_of(2, || drop(reference::forward(dims, &data.inputs(false)).unwrap()));
    let both = best_of(2, || drop(reference::backward(dims, &data.inputs(false), &dy).unwrap()));
    println!("reference (f64, all states stored) at L = {}:", dims.len);
    report("forward", dims, 1, fwd);
    report("forward+backward", dims, 1, both);
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let len = env_usize("SCAN_BENCH_L", 200_000);
    let reps = env_usize("SCAN_BENCH_REPS", 3);
    let dims = ScanDims::new(1, 256, len, 16);
    println!("selective scan, B = 1, D = 256, N = 16, L = {len}, chunk T = {DEFAULT_CHUNK}, best of {reps}");
    println!("detected ISA {:?}; available {:?}", Isa::detect(), Isa::available());
    let data = Data::<f32>::new(dims, 1, |x| x as f32);
    let mut buf = Buffers::new(dims);
    let ck_bytes = buf.ck.len() * std::mem::size_of::<f32>();
    println!(
        "checkpoint grid: {} floats = {:.2} MiB (one [B, D, L] f32 tensor: {:.1} MiB)",
        buf.ck.len(),
        ck_bytes as f64 / (1 << 20) as f64,
        (buf.y.len() * 4) as f64 / (1 << 20) as f64
    );
    for low_rank in [false, true] {
        bench_kernel(&data, &mut buf, (Isa::detect(), low_rank), &[1, 2], reps);
    }
    for isa in Isa::available().into_iter().filter(|&i| i != Isa::detect()) {
        bench_kernel(&data, &mut buf, (isa, false), &[1], reps.min(2));
    }
    if std::env::var_os("SCAN_BENCH_FWD_ONLY").is_none() {
        bench_reference(ScanDims::new(1, 256, 2_000.min(len), 16));
    }
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS of this process: {rss:.0} MiB (inputs and outputs of all sizes above)");
    }
}
