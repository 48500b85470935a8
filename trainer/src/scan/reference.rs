//! The pure-tensor selective scan: obviously correct and differentiable by libtorch autograd, but it
//! materialises `[B, D, L, N]` states, so it is only for tests and short sequences.

use tch::Tensor;

use super::{DeltaArg, ScanArgs};

/// Same semantics and layout as the Rust kernel: `u, z: [B, D, L]`, `delta` full `[B, D, L]` or low-rank
/// (formed here with a matmul), `a_log: [D, N]`, `b, c: [B, L, N]`, `d_skip, delta_bias: [D]`; returns
/// `y: [B, D, L]`.
// `x = x + y`, not `x += y`: tch's `+=` is in place, which autograd rejects on saved tensors.
#[allow(clippy::assign_op_pattern)]
pub fn selective_scan_reference(a: &ScanArgs) -> Tensor {
    let (bsz, dim, len) = a.u.size3().expect("u is [B, D, L]");
    let n = a.a_log.size()[1];
    let mut delta = match a.delta {
        DeltaArg::Full(d) => d.shallow_clone(),
        DeltaArg::LowRank { low, weight } => weight.matmul(low), // [D, R] · [B, R, L]
    };
    if let Some(bias) = a.delta_bias {
        delta = delta + bias.view([1, dim, 1]);
    }
    if a.delta_softplus {
        delta = delta.softplus();
    }
    let big_a = -a.a_log.exp(); // [D, N]
    let da = (delta.unsqueeze(-1) * big_a.view([1, dim, 1, n])).exp(); // [B, D, L, N]
    let dbu = delta.unsqueeze(-1) * a.b.unsqueeze(1) * a.u.unsqueeze(-1); // [B, D, L, N]
    let mut h = Tensor::zeros([bsz, dim, n], (a.u.kind(), a.u.device()));
    let mut ys = Vec::with_capacity(len as usize);
    for t in 0..len {
        h = da.select(2, t) * &h + dbu.select(2, t);
        ys.push((&h * a.c.select(1, t).unsqueeze(1)).sum_dim_intlist([-1].as_slice(), false, a.u.kind()));
    }
    let mut y = Tensor::stack(&ys, 2);
    if let Some(d) = a.d_skip {
        y = y + d.view([1, dim, 1]) * a.u;
    }
    if let Some(z) = a.z {
        y = y * z.silu();
    }
    y.to_kind(a.u.kind())
}
