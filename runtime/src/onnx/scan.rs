//! The selective scan in a graph, in two flavours with the same inputs and the same result:
//! - fast: one `ai.seq2exp:SelectiveScan` node (this crate's kernel, see `scan_op`);
//! - portable: stock ONNX, chunked. The window is zero-padded to a multiple of [`CHUNK`] positions
//!   (δ = 0 and δ·u = 0 there: decay 1, nothing injected, so padding after the end changes nothing) and
//!   an outer `Scan` walks the chunks with the state `[B, N, D]` as its carry. Per chunk, the decays
//!   exp(δ A) and injections δ·u·B of all its positions are computed at once as `[T, B, N, D]`; a two-node
//!   inner `Scan` (h = decay·h + injection) runs the recurrence and stacks the states, and one batched
//!   `MatMul` reads y_t = Σ_n C_t,n h_t,n out of them. Work per state update is what the sequential
//!   recurrence does (every product is of decays ≤ 1), but most nodes run on whole chunks instead of
//!   single positions, which is what made the old per-position `Scan` slow.
//!
//! Inputs (channel-major, as the rest of the graph): u, z `[B, D, L]`; delta_low `[B, R, L]`;
//! b, c `[B, N, L]`; and the weights dt_weight `[D, R]`, dt_bias `[D]`, a_log `[D, N]`, d `[D]`.
//! Output y `[B, D, L]` = (scan(u; δ = softplus(dt_weight·delta_low + dt_bias)) + D·u) · silu(z).

use onnx_protobuf::tensor_proto::DataType;

use super::graph::{attr_graph, attr_int, attr_ints, attr_tensor, tensor_f32, Graph};
use super::meta::{Flavour, SCAN_DOMAIN, SCAN_OP};

/// Positions per chunk of the portable scan. Measured (one scan, D 256, N 16, L 20,000, ORT 1.31, CPU
/// time on one thread): 32–128 all within 3% of each other (0.131 s, against 0.35 s for a `Scan` over
/// positions); 512 is 1.5× slower (the `[T, B, N, D]` chunk tensors leave the cache).
pub const CHUNK: usize = 64;

/// Value names of one scan's inputs.
pub struct ScanValues<'a> {
    pub u: &'a str,
    pub delta_low: &'a str,
    pub dt_weight: &'a str,
    pub dt_bias: &'a str,
    pub a_log: &'a str,
    pub b: &'a str,
    pub c: &'a str,
    pub d: &'a str,
    pub z: &'a str,
    /// A transposed, -exp(a_log)ᵀ `[N, D]`; the portable flavour needs it.
    pub a_t: Option<&'a str>,
    pub d_inner: usize,
    pub d_state: usize,
}

pub fn scan(g: &mut Graph, s: &ScanValues, flavour: Flavour) -> String {
    match flavour {
        Flavour::Fast => g.node_n(SCAN_OP, SCAN_DOMAIN, &[s.u, s.delta_low, s.dt_weight, s.dt_bias, s.a_log, s.b, s.c, s.d, s.z], 1, vec![]).remove(0),
        Flavour::Portable => portable(g, s),
    }
}

/// δ, the chunked recurrence, then the D skip and the silu(z) gate.
fn portable(g: &mut Graph, s: &ScanValues) -> String {
    let a_t = s.a_t.expect("the portable scan is built with Aᵀ");
    let ax1 = g.i64s(&[1]);
    let dt_w = g.op("MatMul", &[s.dt_weight, s.delta_low], vec![]); // [B, D, L]
    let dt_b = g.op("Unsqueeze", &[s.dt_bias, &ax1], vec![]); // [D, 1]
    let pre = g.op("Add", &[&dt_w, &dt_b], vec![]);
    let delta = g.op("Softplus", &[&pre], vec![]);
    let du = g.op("Mul", &[&delta, s.u], vec![]);
    let y = chunked_scan(g, s, a_t, &delta, &du);
    let d = g.op("Unsqueeze", &[s.d, &ax1], vec![]);
    let skip = g.op("Mul", &[s.u, &d], vec![]);
    let y = g.op("Add", &[&y, &skip], vec![]);
    let gate = g.op("Sigmoid", &[s.z], vec![]);
    let gate = g.op("Mul", &[s.z, &gate], vec![]);
    g.op("Mul", &[&y, &gate], vec![])
}

/// Chunk geometry, computed from u's shape at run time: L, the end padding, and the chunk count.
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
    let front = g.i64s(&[0, 0, 0, 0, 0]);
    let pads = g.op("Concat", &[&front, &extra], vec![attr_int("axis", 0)]);
    Chunks { len, pads, count }
}

/// `[B, X, L]` → `[L/T, T, B, X]`, zero-padded at the end of L.
fn to_chunks(g: &mut Graph, k: &Chunks, x: &str, width: usize) -> String {
    let padded = g.op("Pad", &[x, &k.pads], vec![]);
    let (head, tail) = (g.i64s(&[0, width as i64]), g.i64s(&[CHUNK as i64]));
    let shape = g.op("Concat", &[&head, &k.count, &tail], vec![attr_int("axis", 0)]);
    let split = g.op("Reshape", &[&padded, &shape], vec![]); // [B, X, L/T, T]
    g.op("Transpose", &[&split], vec![attr_ints("perm", &[2, 3, 0, 1])])
}

/// The recurrence over all positions, y `[B, D, L]` from δ and δ·u `[B, D, L]`.
fn chunked_scan(g: &mut Graph, s: &ScanValues, a_t: &str, delta: &str, du: &str) -> String {
    let k = chunks(g, s.u);
    let inputs = [(delta, s.d_inner), (du, s.d_inner), (s.b, s.d_state), (s.c, s.d_state)].map(|(x, w)| to_chunks(g, &k, x, w));
    let h0 = zero_state(g, s);
    let axes = [g.i64s(&[2]), g.i64s(&[3])];
    let body = chunk_body(a_t, &axes);
    let attrs = vec![attr_graph("body", body), attr_int("num_scan_inputs", 4)];
    let outs = g.node_n("Scan", "", &[&h0, &inputs[0], &inputs[1], &inputs[2], &inputs[3]], 2, attrs);
    let y = g.op("Transpose", &[&outs[1]], vec![attr_ints("perm", &[2, 3, 0, 1])]); // [B, D, L/T, T]
    let shape = g.i64s(&[0, s.d_inner as i64, -1]);
    let y = g.op("Reshape", &[&y, &shape], vec![]);
    let (start, axis) = (g.i64s(&[0]), g.i64s(&[2]));
    g.op("Slice", &[&y, &start, &k.len, &axis], vec![])
}

/// Zeros `[B, N, D]`, B taken from u at run time.
fn zero_state(g: &mut Graph, s: &ScanValues) -> String {
    let shape = g.op("Shape", &[s.u], vec![]);
    let (start, end, axis) = (g.i64s(&[0]), g.i64s(&[1]), g.i64s(&[0]));
    let batch = g.op("Slice", &[&shape, &start, &end, &axis], vec![]);
    let nd = g.i64s(&[s.d_state as i64, s.d_inner as i64]);
    let full = g.op("Concat", &[&batch, &nd], vec![attr_int("axis", 0)]);
    g.op("ConstantOfShape", &[&full], vec![attr_tensor("value", tensor_f32("", &[1], &[0.0]))])
}

/// One chunk of T positions: carry h `[B, N, D]`; scanned δ, δ·u `[T, B, D]` and B, C `[T, B, N]`;
/// outputs the last state and y `[T, B, D]`. Reads Aᵀ and the axes `[2]`, `[3]` from the outer graph.
fn chunk_body(a_t: &str, axes: &[String; 2]) -> onnx_protobuf::GraphProto {
    let [ax2, ax3] = axes;
    let mut b = Graph::new("scan_chunk_");
    let h = b.untyped_shape_input(DataType::FLOAT);
    let delta = b.untyped_shape_input(DataType::FLOAT);
    let du = b.untyped_shape_input(DataType::FLOAT);
    let bt = b.untyped_shape_input(DataType::FLOAT);
    let ct = b.untyped_shape_input(DataType::FLOAT);
    // D last, so the broadcasts below run over contiguous rows of D.
    let delta4 = b.op("Unsqueeze", &[&delta, ax2], vec![]); // [T, B, 1, D]
    let da = b.op("Mul", &[&delta4, a_t], vec![]);
    let decay = b.op("Exp", &[&da], vec![]); // [T, B, N, D]
    let du4 = b.op("Unsqueeze", &[&du, ax2], vec![]);
    let bt4 = b.op("Unsqueeze", &[&bt, ax3], vec![]); // [T, B, N, 1]
    let inject = b.op("Mul", &[&du4, &bt4], vec![]);
    let attrs = vec![attr_graph("body", step_body()), attr_int("num_scan_inputs", 2)];
    let outs = b.node_n("Scan", "", &[&h, &decay, &inject], 2, attrs);
    let ct4 = b.op("Unsqueeze", &[&ct, ax2], vec![]); // [T, B, 1, N]
    let y = b.op("MatMul", &[&ct4, &outs[1]], vec![]); // [T, B, 1, D]
    let y = b.op("Squeeze", &[&y, ax2], vec![]);
    b.output(&outs[0], &outs[0], DataType::FLOAT, None);
    b.output(&y, &y, DataType::FLOAT, None);
    b.finish("selective_scan_chunk")
}

/// One position: h = decay_t ⊙ h + injection_t, as the new carry and as the scanned output.
fn step_body() -> onnx_protobuf::GraphProto {
    let mut b = Graph::new("scan_step_");
    let h = b.untyped_shape_input(DataType::FLOAT); // [B, N, D]
    let decay = b.untyped_shape_input(DataType::FLOAT);
    let inject = b.untyped_shape_input(DataType::FLOAT);
    let kept = b.op("Mul", &[&decay, &h], vec![]);
    let h_new = b.op("Add", &[&kept, &inject], vec![]);
    let stacked = b.fresh();
    b.output(&h_new, &h_new, DataType::FLOAT, None);
    b.output(&h_new, &stacked, DataType::FLOAT, None);
    b.finish("selective_scan_step")
}
