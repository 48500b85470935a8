//! The selective scan in a graph, in two flavours with the same inputs and the same result:
//! - fast: one `ai.seq2exp:SelectiveScan` node (this crate's kernel, see `scan_op`);
//! - portable: stock ONNX (opset 17), chunked. A BiMamba layer's two directions run as one scan over a
//!   `[B, 2, N, D]` state. The window is zero-padded to a multiple of [`CHUNK`] = T positions (δ·u = 0
//!   and δ = softplus(pre) with pre = 0 there; padding after the end never reaches y, which is sliced
//!   back to L) and an outer `Scan` walks the chunks with the state as its carry. Per chunk, softplus,
//!   the decays exp(δ A) and the injections δu ⊗ B of all T positions are computed at once as
//!   `[T, B, 2, N, D]`; a two-node inner `Scan` runs h_t = decay_t·h_{t−1} + injection_t, and one batched
//!   `MatMul` reads y_t = Σ_n C_t,n h_t,n out. The arithmetic is the sequential recurrence's (only
//!   products of decays ≤ 1), but nodes now run on chunks, not single positions, and there are half as
//!   many sequential steps. A log-depth (Hillis–Steele) scan within the chunk measured 6× slower here:
//!   its ~5 extra full passes per level cost more than the dispatch they save.
//!
//! Inputs (channel-major, as the rest of the graph): u, z `[B, D, L]`; x_dbl `[B, R + 2N, L]`, x_proj's
//! output, whose rows are delta_low `[B, R, L]`, b and c `[B, N, L]`; and the weights dt_weight `[D, R]`, dt_bias `[D]`, a_log `[D, N]`, d `[D]`.
//! Output y `[B, D, L]` = (scan(u; δ = softplus(dt_weight·delta_low + dt_bias)) + D·u) · silu(z).

use onnx_protobuf::tensor_proto::DataType;

use super::graph::{attr_graph, attr_int, attr_ints, attr_tensor, tensor_f32, Graph};
use super::meta::{Flavour, SCAN_DOMAIN, SCAN_OP};

/// Positions per chunk of the portable scan. Measured (paper preset, L 20,000, one thread): 16, 32, 64
/// and 128 within noise of each other (the per-position inner steps dominate); one scan in isolation got
/// 1.5× slower at 512, where the `[T, B, 2, N, D]` chunk tensors leave the cache.
pub const CHUNK: usize = 64;

/// Value names of one scan's inputs.
pub struct ScanValues {
    pub u: String,
    /// x_proj(u) `[B, R + 2N, L]`: delta_low, B and C stacked.
    pub x_dbl: String,
    pub dt_weight: String,
    pub dt_bias: String,
    pub a_log: String,
    pub d: String,
    pub z: String,
    /// A transposed, -exp(a_log)ᵀ `[N, D]`; the portable flavour needs it.
    pub a_t: Option<String>,
    pub d_inner: usize,
    pub d_state: usize,
    pub dt_rank: usize,
}

/// The two directions of a BiMamba layer (independent scans of the same size). The portable flavour
/// runs them as one scan over a `[B, 2, N, D]` state: half the sequential steps, each twice as wide.
pub fn scan_pair(g: &mut Graph, fwd: &ScanValues, rev: &ScanValues, flavour: Flavour) -> [String; 2] {
    match flavour {
        Flavour::Fast => [fast(g, fwd), fast(g, rev)],
        Flavour::Portable => {
            let mut ys = portable(g, &[fwd, rev]);
            let rev_y = ys.pop().expect("two directions");
            [ys.pop().expect("two directions"), rev_y]
        }
    }
}

fn fast(g: &mut Graph, s: &ScanValues) -> String {
    let inputs = [&s.u, &s.x_dbl, &s.dt_weight, &s.dt_bias, &s.a_log, &s.d, &s.z].map(|v| v.as_str());
    g.node_n(SCAN_OP, SCAN_DOMAIN, &inputs, 1, vec![]).remove(0)
}

/// δ, the chunked recurrence of all `scans` at once, then each one's D skip and silu(z) gate.
fn portable(g: &mut Graph, scans: &[&ScanValues]) -> Vec<String> {
    let ax1 = g.i64s(&[1]);
    let (mut pres, mut bs, mut cs) = (Vec::new(), Vec::new(), Vec::new());
    for s in scans {
        let (r, n) = (s.dt_rank as i64, s.d_state as i64);
        let mut rows = |from: i64, to: i64| {
            let (start, end) = (g.i64s(&[from]), g.i64s(&[to]));
            g.op("Slice", &[&s.x_dbl, &start, &end, &ax1], vec![])
        };
        let (delta_low, b, c) = (rows(0, r), rows(r, r + n), rows(r + n, r + 2 * n));
        // δ before its softplus, which the chunks apply (see `softplus`).
        let dt_w = g.op("MatMul", &[&s.dt_weight, &delta_low], vec![]); // [B, D, L]
        let dt_b = g.op("Unsqueeze", &[&s.dt_bias, &ax1], vec![]); // [D, 1]
        pres.push(g.op("Add", &[&dt_w, &dt_b], vec![]));
        bs.push(b);
        cs.push(c);
    }
    let ys = chunked_scan(g, scans, &pres, &bs, &cs);
    scans
        .iter()
        .zip(ys)
        .map(|(s, y)| {
            let d = g.op("Unsqueeze", &[&s.d, &ax1], vec![]);
            let skip = g.op("Mul", &[&s.u, &d], vec![]);
            let y = g.op("Add", &[&y, &skip], vec![]);
            let gate = g.op("Sigmoid", &[&s.z], vec![]);
            let gate = g.op("Mul", &[&s.z, &gate], vec![]);
            g.op("Mul", &[&y, &gate], vec![])
        })
        .collect()
}

/// Chunk geometry, computed from u's shape at run time: L, the end padding of a `[B, G, X, L]` value,
/// and the chunk count.
struct Chunks {
    len: String,
    pads: String,
    count: String,
}

fn chunks(g: &mut Graph, u: &str) -> Chunks {
    let t = CHUNK as i64;
    let shape = g.op("Shape", &[u], vec![]);
    let (two, three, zero) = (g.i64s(&[2]), g.i64s(&[3]), g.i64s(&[0]));
    let len = g.op("Slice", &[&shape, &two, &three, &zero], vec![]); // [1]
    let (t_minus_1, t_c) = (g.i64s(&[t - 1]), g.i64s(&[t]));
    let up = g.op("Add", &[&len, &t_minus_1], vec![]);
    let count = g.op("Div", &[&up, &t_c], vec![]); // ⌈L / T⌉ (integer division)
    let padded = g.op("Mul", &[&count, &t_c], vec![]);
    let extra = g.op("Sub", &[&padded, &len], vec![]);
    let front = g.i64s(&[0, 0, 0, 0, 0, 0, 0]);
    let pads = g.op("Concat", &[&front, &extra], vec![attr_int("axis", 0)]);
    Chunks { len, pads, count }
}

/// `[B, X, L]` per scan → `[L/T, T, B, G, X]`, the G scans stacked and L zero-padded at the end.
fn to_chunks(g: &mut Graph, k: &Chunks, xs: &[String], width: usize) -> String {
    let ax1 = g.i64s(&[1]);
    let each: Vec<String> = xs.iter().map(|x| g.op("Unsqueeze", &[x, &ax1], vec![])).collect();
    let stacked =
        if each.len() == 1 { each[0].clone() } else { g.op("Concat", &refs(&each), vec![attr_int("axis", 1)]) };
    let padded = g.op("Pad", &[&stacked, &k.pads], vec![]);
    let (head, tail) = (g.i64s(&[0, xs.len() as i64, width as i64]), g.i64s(&[CHUNK as i64]));
    let shape = g.op("Concat", &[&head, &k.count, &tail], vec![attr_int("axis", 0)]);
    let split = g.op("Reshape", &[&padded, &shape], vec![]); // [B, G, X, L/T, T]
    g.op("Transpose", &[&split], vec![attr_ints("perm", &[3, 4, 0, 1, 2])])
}

/// The recurrence of G scans over all positions: y `[B, D, L]` per scan from its δ before the softplus
/// `[B, D, L]`.
fn chunked_scan(g: &mut Graph, scans: &[&ScanValues], pres: &[String], bs: &[String], cs: &[String]) -> Vec<String> {
    let (di, n, groups) = (scans[0].d_inner, scans[0].d_state, scans.len());
    let k = chunks(g, &scans[0].u);
    let us: Vec<String> = scans.iter().map(|s| s.u.clone()).collect();
    let a_ts: Vec<String> = scans.iter().map(|s| s.a_t.clone().expect("the portable scan is built with Aᵀ")).collect();
    let inputs = [(pres, di), (&us[..], di), (bs, n), (cs, n)].map(|(x, w)| to_chunks(g, &k, x, w));
    let ax0 = g.i64s(&[0]);
    let a_each: Vec<String> = a_ts.iter().map(|a| g.op("Unsqueeze", &[a, &ax0], vec![])).collect();
    let a_t = g.op("Concat", &refs(&a_each), vec![attr_int("axis", 0)]); // [G, N, D]
    let h0 = zero_state(g, &scans[0].u, &[groups, n, di]);
    let axes = [g.i64s(&[3]), g.i64s(&[4])];
    let one = g.scalar(1.0);
    let body = chunk_body(&a_t, &axes, &one);
    let attrs = vec![attr_graph("body", body), attr_int("num_scan_inputs", 4)];
    let outs = g.node_n("Scan", "", &[&h0, &inputs[0], &inputs[1], &inputs[2], &inputs[3]], 2, attrs);
    let y = g.op("Transpose", &[&outs[1]], vec![attr_ints("perm", &[2, 3, 4, 0, 1])]); // [B, G, D, L/T, T]
    let shape = g.i64s(&[0, groups as i64, di as i64, -1]);
    let y = g.op("Reshape", &[&y, &shape], vec![]);
    let (start, axis) = (g.i64s(&[0]), g.i64s(&[3]));
    let y = g.op("Slice", &[&y, &start, &k.len, &axis], vec![]); // [B, G, D, L]
    let ax1 = g.i64s(&[1]);
    let parts = if groups == 1 { vec![y] } else { g.node_n("Split", "", &[&y], groups, vec![attr_int("axis", 1)]) };
    parts.iter().map(|p| g.op("Squeeze", &[p, &ax1], vec![])).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Zeros `[B, dims..]`, B taken from u at run time.
fn zero_state(g: &mut Graph, u: &str, dims: &[usize]) -> String {
    let shape = g.op("Shape", &[u], vec![]);
    let (start, end, axis) = (g.i64s(&[0]), g.i64s(&[1]), g.i64s(&[0]));
    let batch = g.op("Slice", &[&shape, &start, &end, &axis], vec![]);
    let dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    let rest = g.i64s(&dims);
    let full = g.op("Concat", &[&batch, &rest], vec![attr_int("axis", 0)]);
    g.op("ConstantOfShape", &[&full], vec![attr_tensor("value", tensor_f32("", &[1], &[0.0]))])
}

/// One chunk of T positions of G stacked scans: carry h `[B, G, N, D]`; scanned δ before the softplus,
/// u `[T, B, G, D]` and B, C `[T, B, G, N]`; outputs the last state and y `[T, B, G, D]`. Reads Aᵀ
/// `[G, N, D]`, the axes `[3]`, `[4]` and the scalar 1 from the outer graph.
fn chunk_body(a_t: &str, axes: &[String; 2], one: &str) -> onnx_protobuf::GraphProto {
    let [ax3, ax4] = axes;
    let mut b = Graph::new("scan_chunk_");
    let h = b.untyped_shape_input(DataType::FLOAT);
    let pre = b.untyped_shape_input(DataType::FLOAT);
    let u = b.untyped_shape_input(DataType::FLOAT);
    let bt = b.untyped_shape_input(DataType::FLOAT);
    let ct = b.untyped_shape_input(DataType::FLOAT);
    let delta = softplus(&mut b, &pre, one);
    let du = b.op("Mul", &[&delta, &u], vec![]);
    // D last, so the broadcasts below run over contiguous rows of D.
    let delta5 = b.op("Unsqueeze", &[&delta, ax3], vec![]); // [T, B, G, 1, D]
    let da = b.op("Mul", &[&delta5, a_t], vec![]);
    let decay = b.op("Exp", &[&da], vec![]); // [T, B, G, N, D]
    let du5 = b.op("Unsqueeze", &[&du, ax3], vec![]);
    let bt5 = b.op("Unsqueeze", &[&bt, ax4], vec![]); // [T, B, G, N, 1]
    let inject = b.op("Mul", &[&du5, &bt5], vec![]);
    let attrs = vec![attr_graph("body", step_body()), attr_int("num_scan_inputs", 2)];
    let outs = b.node_n("Scan", "", &[&h, &decay, &inject], 2, attrs);
    // y_t = C_t·h_t = C_t·kept_t + C_t·(δu_t ⊗ B_t) = C_t·kept_t + δu_t (C_t·B_t).
    let ct5 = b.op("Unsqueeze", &[&ct, ax3], vec![]); // [T, B, G, 1, N]
    let y = b.op("MatMul", &[&ct5, &outs[1]], vec![]); // [T, B, G, 1, D]
    let y = b.op("Squeeze", &[&y, ax3], vec![]);
    let cb = b.op("Mul", &[&ct, &bt], vec![]);
    let cb = b.op("ReduceSum", &[&cb, ax3], vec![attr_int("keepdims", 1)]); // [T, B, G, 1]
    let fresh = b.op("Mul", &[&du, &cb], vec![]);
    let y = b.op("Add", &[&y, &fresh], vec![]);
    b.output(&outs[0], &outs[0], DataType::FLOAT, None);
    b.output(&y, &y, DataType::FLOAT, None);
    b.finish("selective_scan_chunk")
}

/// softplus(x) = max(x, 0) + log1p(exp(−|x|)) from elementwise ops, on a chunk while it is in cache:
/// ONNX Runtime's `Softplus` is scalar code, ~12 ns per element, as slow as the rest of the portable
/// scan together. log1p(e) = log(w) + (e − (w − 1))/w with w = 1 + e rounded: the second term restores
/// what the rounding of w lost, so small δ keep full relative precision (also when w rounds to 1).
fn softplus(b: &mut Graph, x: &str, one: &str) -> String {
    let abs = b.op("Abs", &[x], vec![]);
    let neg = b.op("Neg", &[&abs], vec![]);
    let e = b.op("Exp", &[&neg], vec![]);
    let w = b.op("Add", &[&e, one], vec![]);
    let log = b.op("Log", &[&w], vec![]);
    let w_e = b.op("Sub", &[&w, one], vec![]);
    let lost = b.op("Sub", &[&e, &w_e], vec![]);
    let fix = b.op("Div", &[&lost, &w], vec![]);
    let log1p = b.op("Add", &[&log, &fix], vec![]);
    let pos = b.op("Relu", &[x], vec![]);
    b.op("Add", &[&pos, &log1p], vec![])
}

/// One position: kept = decay_t ⊙ h, h = kept + injection_t. The scanned output is `kept`, not h (which
/// would need an Identity copy per step); the chunk adds the injections back in its read-out.
fn step_body() -> onnx_protobuf::GraphProto {
    let mut b = Graph::new("scan_step_");
    let h = b.untyped_shape_input(DataType::FLOAT); // [B, G, N, D]
    let decay = b.untyped_shape_input(DataType::FLOAT);
    let inject = b.untyped_shape_input(DataType::FLOAT);
    let kept = b.op("Mul", &[&decay, &h], vec![]);
    let h_new = b.op("Add", &[&kept, &inject], vec![]);
    b.output(&h_new, &h_new, DataType::FLOAT, None);
    b.output(&kept, &kept, DataType::FLOAT, None);
    b.finish("selective_scan_step")
}
