//! The fast flavour's custom ONNX Runtime operators, domain `ai.seq2exp` (version 1). Each runs a
//! kernel of `seq2exp_models` on the session's rayon pool (sized with its intra-op threads; ORT's own
//! threads are idle while such a node runs because the session executes nodes one at a time).
//! Size errors (a malformed graph) come back as ORT errors naming the node type, never a panic
//! across the FFI.

mod conv;
mod flip;
mod rmsnorm;
mod scan;

use std::sync::Arc;

use ort::operator::{ComputeContext, OperatorDomain};
use ort::value::ValueRef;

use crate::onnx::meta::SCAN_DOMAIN;

/// The `ai.seq2exp` domain with every operator registered.
pub fn domain(pool: Arc<rayon::ThreadPool>) -> ort::Result<OperatorDomain> {
    OperatorDomain::new(SCAN_DOMAIN)?
        .add(scan::SelectiveScanOp { pool: pool.clone() })?
        .add(conv::CausalConvOp { pool: pool.clone() })?
        .add(rmsnorm::RmsNormOp { pool: pool.clone() })?
        .add(flip::FlipOp { pool })
}

fn err(op: &str, msg: impl std::fmt::Display) -> ort::Error {
    ort::Error::new(format!("{op}: {msg}"))
}

/// Input `i`, which the graph must provide.
fn input<'a>(ctx: &'a ComputeContext, op: &str, i: usize) -> ort::Result<ValueRef<'a>> {
    ctx.input(i)?.ok_or_else(|| err(op, format!("input {i} is missing")))
}

/// `[B, C, L]` of a rank-3 shape.
fn dims3(op: &str, name: &str, shape: &[i64]) -> ort::Result<[usize; 3]> {
    match shape {
        [a, b, c] => Ok([*a as usize, *b as usize, *c as usize]),
        _ => Err(err(op, format!("{name} must be rank 3, got shape {shape:?}"))),
    }
}
