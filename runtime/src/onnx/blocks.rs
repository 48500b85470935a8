//! The Caduceus backbone as graph nodes, channel-major (`[B, d, L]`) throughout so every projection is
//! `W[out, in] × X[B, in, L]` and the conv and scan need no transposes. The op order follows the
//! trainer's `nn` module (docs/model.md, "Network").

use seq2exp_models::config::{CaduceusConfig, MambaConfig};

use super::graph::{attr_float, attr_int, attr_ints, Graph};
use super::meta::{Flavour, CONV_OP, FLIP_OP, RMSNORM_OP, SCAN_DOMAIN};
use super::scan::{scan_pair, ScanValues};
use super::weights::Weights;
use crate::error::GraphError;

/// A weight as an initialiser (once per name).
pub fn weight(g: &mut Graph, w: &Weights, name: &str, shape: &[usize]) -> Result<String, GraphError> {
    let t = w.get(name, shape)?;
    Ok(g.init_f32(name, shape, || t.data.clone()))
}

/// A `[n]` weight reshaped to `[n, 1]`, to broadcast over positions of a `[B, n, L]` value.
pub fn column(g: &mut Graph, w: &Weights, name: &str, n: usize) -> Result<String, GraphError> {
    let t = w.get(name, &[n])?;
    Ok(g.init_f32(&format!("{name}[:, None]"), &[n, 1], || t.data.clone()))
}

/// RMSNorm over channels: x / sqrt(mean_c(x²) + eps) · weight, in the trainer's order (x · rsqrt(·) · w);
/// one fused node in the fast flavour.
pub fn rmsnorm(
    g: &mut Graph,
    w: &Weights,
    name: &str,
    d: usize,
    eps: f64,
    x: &str,
    flavour: Flavour,
) -> Result<String, GraphError> {
    if flavour == Flavour::Fast {
        let weight = weight(g, w, name, &[d])?;
        return Ok(g
            .node_n(RMSNORM_OP, SCAN_DOMAIN, &[x, &weight], 1, vec![attr_float("epsilon", eps as f32)])
            .remove(0));
    }
    let weight = column(g, w, name, d)?;
    let sq = g.op("Mul", &[x, x], vec![]);
    let ms = g.op("ReduceMean", &[&sq], vec![attr_ints("axes", &[1]), attr_int("keepdims", 1)]);
    let eps = g.scalar(eps as f32);
    let ms = g.op("Add", &[&ms, &eps], vec![]);
    let root = g.op("Sqrt", &[&ms], vec![]);
    let inv = g.op("Reciprocal", &[&root], vec![]);
    let y = g.op("Mul", &[x, &inv], vec![]);
    Ok(g.op("Mul", &[&y, &weight], vec![]))
}

/// Reverses the positions (axis 2): a fused node in the fast flavour, else `Slice` with step −1.
pub fn flip(g: &mut Graph, x: &str, flavour: Flavour) -> String {
    if flavour == Flavour::Fast {
        return g.node_n(FLIP_OP, SCAN_DOMAIN, &[x], 1, vec![]).remove(0);
    }
    let (start, end, axis, step) = (g.i64s(&[-1]), g.i64s(&[i64::MIN]), g.i64s(&[2]), g.i64s(&[-1]));
    g.op("Slice", &[x, &start, &end, &axis, &step], vec![])
}

fn silu(g: &mut Graph, x: &str) -> String {
    let s = g.op("Sigmoid", &[x], vec![]);
    g.op("Mul", &[x, &s], vec![])
}

/// silu(causal depthwise conv1d(x)): the fused custom node in the fast flavour, else a grouped
/// `Conv` padded by K−1 positions on the left only, then SiLU.
fn conv_silu(g: &mut Graph, x: &str, w: &str, b: &str, d: usize, k: usize, flavour: Flavour) -> String {
    match flavour {
        Flavour::Fast => g.node_n(CONV_OP, SCAN_DOMAIN, &[x, w, b], 1, vec![]).remove(0),
        Flavour::Portable => {
            let attrs = vec![
                attr_int("group", d as i64),
                attr_ints("kernel_shape", &[k as i64]),
                attr_ints("pads", &[k as i64 - 1, 0]),
            ];
            let y = g.op("Conv", &[x, w, b], attrs);
            silu(g, &y)
        }
    }
}

/// Rows `rows` of a 2-D weight as their own initialiser (once per name and range).
fn weight_rows(
    g: &mut Graph,
    w: &Weights,
    name: &str,
    shape: [usize; 2],
    rows: std::ops::Range<usize>,
) -> Result<String, GraphError> {
    let data = w.rows(name, shape, rows.clone())?;
    Ok(g.init_f32(&format!("{name}[{}..{}]", rows.start, rows.end), &[rows.len(), shape[1]], || data))
}

/// One Mamba direction over `x: [B, d_model, L]` up to its scan: the scan's inputs. `dir` holds the
/// per-direction weights; `proj` the (tied) in/out projections.
fn mamba_in(
    g: &mut Graph,
    w: &Weights,
    c: &MambaConfig,
    dir: &str,
    proj: &str,
    x: &str,
    flavour: Flavour,
) -> Result<ScanValues, GraphError> {
    let (dm, di, n, r, k) = (c.d_model, c.d_inner, c.d_state, c.dt_rank, c.d_conv);
    let in_proj = format!("{proj}.in_proj.weight");
    let w_x = weight_rows(g, w, &in_proj, [2 * di, dm], 0..di)?;
    let w_z = weight_rows(g, w, &in_proj, [2 * di, dm], di..2 * di)?;
    let xs = g.op("MatMul", &[&w_x, x], vec![]); // [B, D, L]
    let z = g.op("MatMul", &[&w_z, x], vec![]);
    let conv_w = weight(g, w, &format!("{dir}.conv1d.weight"), &[di, 1, k])?;
    let conv_b = weight(g, w, &format!("{dir}.conv1d.bias"), &[di])?;
    let xs = conv_silu(g, &xs, &conv_w, &conv_b, di, k, flavour);
    let x_proj = format!("{dir}.x_proj.weight");
    let w_xp = weight(g, w, &x_proj, &[r + 2 * n, di])?;
    let x_dbl = g.op("MatMul", &[&w_xp, &xs], vec![]); // [B, R + 2N, L]
    let names = [
        weight(g, w, &format!("{dir}.dt_proj.weight"), &[di, r])?,
        weight(g, w, &format!("{dir}.dt_proj.bias"), &[di])?,
        weight(g, w, &format!("{dir}.A_log"), &[di, n])?,
        weight(g, w, &format!("{dir}.D"), &[di])?,
    ];
    // Aᵀ = −exp(A_log)ᵀ `[N, D]`, precomputed for the portable flavour (the fast op takes A_log, as the
    // kernel); transposed because the portable scan keeps its state as `[B, G, N, D]`.
    let a_t = match flavour {
        Flavour::Portable => {
            let a_log = w.get(&format!("{dir}.A_log"), &[di, n])?;
            Some(g.init_f32(&format!("{dir}.A_T"), &[n, di], || {
                (0..n * di).map(|i| -a_log.data[(i % di) * n + i / di].exp()).collect()
            }))
        }
        Flavour::Fast => None,
    };
    let [dt_weight, dt_bias, a_log, d] = names;
    Ok(ScanValues { u: xs, x_dbl, dt_weight, dt_bias, a_log, d, z, a_t, d_inner: di, d_state: n, dt_rank: r })
}

/// A direction's scan output `[B, D, L]` through the (tied) out projection.
fn mamba_out(g: &mut Graph, w: &Weights, c: &MambaConfig, proj: &str, y: &str) -> Result<String, GraphError> {
    let out = weight(g, w, &format!("{proj}.out_proj.weight"), &[c.d_model, c.d_inner])?;
    Ok(g.op("MatMul", &[&out, y], vec![]))
}

/// BiMamba: fwd(x) + flip(rev(flip(x))), in/out projections of `mamba_fwd` shared by both.
fn bimamba(
    g: &mut Graph,
    w: &Weights,
    c: &MambaConfig,
    layer: &str,
    x: &str,
    flavour: Flavour,
) -> Result<String, GraphError> {
    let fwd_name = format!("{layer}.mixer.mamba_fwd");
    let rev_name = format!("{layer}.mixer.mamba_rev");
    let fwd = mamba_in(g, w, c, &fwd_name, &fwd_name, x, flavour)?;
    let xr = flip(g, x, flavour);
    let rev = mamba_in(g, w, c, &rev_name, &fwd_name, &xr, flavour)?;
    let [y_fwd, y_rev] = scan_pair(g, &fwd, &rev, flavour);
    let fwd = mamba_out(g, w, c, &fwd_name, &y_fwd)?;
    let rev = mamba_out(g, w, c, &fwd_name, &y_rev)?;
    let rev = flip(g, &rev, flavour);
    Ok(g.op("Add", &[&fwd, &rev], vec![]))
}

/// A Caduceus stack fed embeddings `x: [B, d, L]`: per layer residual += hidden, hidden =
/// BiMamba(RMSNorm(residual)); then norm_f(residual + hidden).
pub fn stack(
    g: &mut Graph,
    w: &Weights,
    cfg: &CaduceusConfig,
    prefix: &str,
    x: &str,
    flavour: Flavour,
) -> Result<String, GraphError> {
    let d = cfg.mamba.d_model;
    let mut hidden = x.to_string();
    let mut residual: Option<String> = None;
    for i in 0..cfg.n_layer {
        let r = match &residual {
            Some(r) => g.op("Add", &[&hidden, r], vec![]),
            None => hidden.clone(),
        };
        let layer = format!("{prefix}.layers.{i}");
        let h = rmsnorm(g, w, &format!("{layer}.norm.weight"), d, cfg.rms_norm_eps, &r, flavour)?;
        hidden = bimamba(g, w, &cfg.mamba, &layer, &h, flavour)?;
        residual = Some(r);
    }
    let r = match &residual {
        Some(r) => g.op("Add", &[&hidden, r], vec![]),
        None => hidden,
    };
    rmsnorm(g, w, &format!("{prefix}.norm_f.weight"), d, cfg.rms_norm_eps, &r, flavour)
}
