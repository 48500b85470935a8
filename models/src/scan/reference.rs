//! A slow, obviously-correct f64 scan for tests: the plain recurrence storing every state
//! (`[B, D, L, N]`, so only for small sizes) and its adjoint written out term by term.

use super::delta::Delta;
use super::dims::{ScanDims, ScanInputs};
use super::error::ScanError;

/// ln(1 + e^x), computed stably.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// 1 / (1 + e^−x)
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Result of [`forward`].
#[derive(Clone, Debug)]
pub struct RefForward {
    /// `[B, D, L]`
    pub y: Vec<f64>,
    /// `[B, D, L, N]`: h_t, the state after position t.
    pub states: Vec<f64>,
}

impl RefForward {
    /// The checkpoint grid `[B, D, ceil(L/chunk), N]`: the state before positions 0, T, 2T, ….
    pub fn checkpoints(&self, dims: ScanDims, chunk: usize) -> Vec<f64> {
        let (l, n) = (dims.len, dims.state);
        let mut out = Vec::new();
        for bd in 0..dims.batch * dims.dim {
            for t0 in (0..l).step_by(chunk) {
                match t0 {
                    0 => out.extend(std::iter::repeat_n(0.0, n)),
                    _ => out.extend_from_slice(&self.states[(bd * l + t0 - 1) * n..][..n]),
                }
            }
        }
        out
    }
}

/// Gradients from [`backward`], same shapes as [`ScanGrads`](super::ScanGrads).
#[derive(Clone, Debug)]
pub struct RefGrads {
    /// `[B, D, L]`
    pub du: Vec<f64>,
    /// `[B, D, L]`, pre-softplus (in both forms of δ)
    pub ddelta: Vec<f64>,
    /// `[B, R, L]` for a low-rank δ, empty otherwise.
    pub ddelta_low: Vec<f64>,
    /// `[D, R]` for a low-rank δ, empty otherwise.
    pub ddt_weight: Vec<f64>,
    /// `[D, N]`
    pub da_log: Vec<f64>,
    /// `[B, L, N]`
    pub db: Vec<f64>,
    /// `[B, L, N]`
    pub dc: Vec<f64>,
    /// `[D]`
    pub dd_skip: Vec<f64>,
    /// `[D]`
    pub ddelta_bias: Vec<f64>,
    /// All zeros when there is no z.
    pub dz: Vec<f64>,
}

/// Per-channel view of the inputs with absent options replaced by their neutral values.
struct Chan {
    dt: Vec<f64>,
    skip: f64,
}

/// δ_pre[b, d, t] (before bias), from either form.
fn delta_pre(dims: ScanDims, x: &ScanInputs<'_, f64>, b: usize, d: usize, t: usize) -> f64 {
    let l = dims.len;
    match x.delta {
        Delta::Full(delta) => delta[(b * dims.dim + d) * l + t],
        Delta::LowRank { low, weight, rank } => {
            (0..rank).map(|r| weight[d * rank + r] * low[(b * rank + r) * l + t]).sum()
        }
    }
}

fn channel(dims: ScanDims, x: &ScanInputs<'_, f64>, b: usize, d: usize) -> Chan {
    let l = dims.len;
    let bias = x.delta_bias.map_or(0.0, |s| s[d]);
    let dt = (0..l)
        .map(|t| {
            let v = delta_pre(dims, x, b, d, t) + bias;
            if x.delta_softplus {
                softplus(v)
            } else {
                v
            }
        })
        .collect();
    Chan { dt, skip: x.d_skip.map_or(0.0, |s| s[d]) }
}

fn a_of(x: &ScanInputs<'_, f64>, i: usize) -> f64 {
    -x.a_log[i].exp()
}

/// y and all states. Sizes are validated as in the kernel.
pub fn forward(dims: ScanDims, x: &ScanInputs<'_, f64>) -> Result<RefForward, ScanError> {
    x.validate(dims, 1)?;
    let ScanDims { batch, dim, len: l, state: n } = dims;
    let mut y = vec![0.0; batch * dim * l];
    let mut states = vec![0.0; batch * dim * l * n];
    for b in 0..batch {
        for d in 0..dim {
            let ch = channel(dims, x, b, d);
            let mut h = vec![0.0; n];
            for t in 0..l {
                let i = (b * dim + d) * l + t;
                let mut acc = ch.skip * x.u[i];
                for (k, hk) in h.iter_mut().enumerate() {
                    let bc = (b * l + t) * n + k;
                    *hk = (ch.dt[t] * a_of(x, d * n + k)).exp() * *hk + ch.dt[t] * x.b[bc] * x.u[i];
                    acc += x.c[bc] * *hk;
                }
                states[i * n..(i + 1) * n].copy_from_slice(&h);
                y[i] = match x.z {
                    Some(z) => acc * z[i] * sigmoid(z[i]),
                    None => acc,
                };
            }
        }
    }
    Ok(RefForward { y, states })
}

/// Gradients of Σ dy·y w.r.t. every input, by the adjoint recurrence
/// g_t = dL/dh_t = C_t·dyraw_t + exp(δ_{t+1}A)·g_{t+1}.
pub fn backward(dims: ScanDims, x: &ScanInputs<'_, f64>, dy: &[f64]) -> Result<RefGrads, ScanError> {
    let fwd = forward(dims, x)?;
    super::dims::check("dy", dy.len(), x.u.len())?;
    let ScanDims { batch, dim, len: l, state: n } = dims;
    let bdl = batch * dim * l;
    let mut gr = RefGrads {
        du: vec![0.0; bdl],
        ddelta: vec![0.0; bdl],
        ddelta_low: Vec::new(),
        ddt_weight: Vec::new(),
        da_log: vec![0.0; dim * n],
        db: vec![0.0; batch * l * n],
        dc: vec![0.0; batch * l * n],
        dd_skip: vec![0.0; dim],
        ddelta_bias: vec![0.0; dim],
        dz: vec![0.0; bdl],
    };
    for b in 0..batch {
        for d in 0..dim {
            channel_backward(dims, x, dy, &fwd.states, b, d, &mut gr);
        }
    }
    for (i, g) in gr.da_log.iter_mut().enumerate() {
        *g *= a_of(x, i); // dA/da_log = A
    }
    if let Delta::LowRank { low, weight, rank } = x.delta {
        low_rank_grads(dims, low, weight, rank, &mut gr);
    }
    Ok(gr)
}

/// Chain rule through δ_pre[b,d,t] = Σ_r weight[d,r]·low[b,r,t]:
/// d low[b,r,t] = Σ_d weight[d,r]·dδ_pre[b,d,t],  d weight[d,r] = Σ_{b,t} dδ_pre[b,d,t]·low[b,r,t].
fn low_rank_grads(dims: ScanDims, low: &[f64], weight: &[f64], rank: usize, gr: &mut RefGrads) {
    let ScanDims { batch, dim, len: l, .. } = dims;
    gr.ddelta_low = vec![0.0; batch * rank * l];
    gr.ddt_weight = vec![0.0; dim * rank];
    for b in 0..batch {
        for d in 0..dim {
            for r in 0..rank {
                for t in 0..l {
                    let g = gr.ddelta[(b * dim + d) * l + t];
                    gr.ddelta_low[(b * rank + r) * l + t] += weight[d * rank + r] * g;
                    gr.ddt_weight[d * rank + r] += g * low[(b * rank + r) * l + t];
                }
            }
        }
    }
}

fn channel_backward(
    dims: ScanDims,
    x: &ScanInputs<'_, f64>,
    dy: &[f64],
    states: &[f64],
    b: usize,
    d: usize,
    gr: &mut RefGrads,
) {
    let ScanDims { dim, len: l, state: n, .. } = dims;
    let ch = channel(dims, x, b, d);
    let bias = x.delta_bias.map_or(0.0, |s| s[d]);
    let mut g = vec![0.0; n]; // dL/dh_t, built from the future first
    for t in (0..l).rev() {
        let i = (b * dim + d) * l + t;
        let (u, dt) = (x.u[i], ch.dt[t]);
        let h_t = &states[i * n..(i + 1) * n];
        let yraw = (0..n).map(|k| x.c[(b * l + t) * n + k] * h_t[k]).sum::<f64>() + ch.skip * u;
        let dyraw = match x.z {
            Some(z) => {
                let s = sigmoid(z[i]);
                gr.dz[i] = dy[i] * yraw * s * (1.0 + z[i] * (1.0 - s));
                dy[i] * z[i] * s
            }
            None => dy[i],
        };
        gr.dd_skip[d] += dyraw * u;
        let mut ddt = 0.0;
        let mut du = ch.skip * dyraw;
        for k in 0..n {
            let bc = (b * l + t) * n + k;
            let a = a_of(x, d * n + k);
            let h_prev = if t > 0 { states[(i - 1) * n + k] } else { 0.0 };
            let e = (dt * a).exp();
            g[k] += dyraw * x.c[bc];
            gr.dc[bc] += dyraw * h_t[k];
            ddt += g[k] * (a * e * h_prev + x.b[bc] * u);
            gr.da_log[d * n + k] += g[k] * dt * e * h_prev;
            gr.db[bc] += g[k] * dt * u;
            du += g[k] * dt * x.b[bc];
            g[k] *= e;
        }
        gr.du[i] = du;
        let pre = delta_pre(dims, x, b, d, t) + bias;
        gr.ddelta[i] = if x.delta_softplus { ddt * sigmoid(pre) } else { ddt };
        gr.ddelta_bias[d] += gr.ddelta[i];
    }
}
