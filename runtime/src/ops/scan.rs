//! `ai.seq2exp:SelectiveScan`: the selective scan on the Rust kernel of `seq2exp_models::scan` (the
//! same one the trainer differentiates through).
//!
//! Inputs (all float): u `[B, D, L]`, x_dbl `[B, R + 2N, L]` (x_proj's whole output: δ_low, B, C
//! stacked, so x_proj is one MatMul — three thin ones ran at a third of its speed), dt_weight `[D, R]`,
//! dt_bias `[D]`, A_log `[D, N]`, D `[D]`, z `[B, D, L]`; output y `[B, D, L]`. B and C arrive
//! channel-major like the rest of the graph and are transposed here to the kernel's `[B, L, N]`
//! (B·L·N values, small next to the scan's B·D·L·N work).

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::scan::{scan_forward, Delta, ScanDims, ScanInputs, DEFAULT_CHUNK};

use super::{dims3, err, input};
use crate::onnx::meta::SCAN_OP;

pub struct SelectiveScanOp {
    pub pool: Arc<rayon::ThreadPool>,
}

const N_INPUTS: usize = 7;

impl Operator for SelectiveScanOp {
    type Kernel<'attr> = ScanKernel;

    fn name(&self) -> &str {
        SCAN_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        (0..N_INPUTS).map(|_| OperatorInput::required(TensorElementType::Float32))
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, _: &KernelContext<'attr>) -> ort::Result<ScanKernel> {
        Ok(ScanKernel { pool: self.pool.clone() })
    }
}

pub struct ScanKernel {
    pool: Arc<rayon::ThreadPool>,
}

/// Rows `rows` of every batch of a `[B, M, L]` tensor, as `[B, rows, L]` (`position_major`: `[B, L, rows]`,
/// the kernel's layout of B and C).
fn rows_of(x: &[f32], m: usize, l: usize, rows: std::ops::Range<usize>, position_major: bool) -> Vec<f32> {
    let (batch, n) = (x.len() / (m * l), rows.len());
    let mut out = vec![0f32; batch * n * l];
    for b in 0..batch {
        let src = &x[(b * m + rows.start) * l..(b * m + rows.end) * l];
        let dst = &mut out[b * n * l..(b + 1) * n * l];
        if position_major {
            for (ni, row) in src.chunks_exact(l).enumerate() {
                for (t, &v) in row.iter().enumerate() {
                    dst[t * n + ni] = v;
                }
            }
        } else {
            dst.copy_from_slice(src);
        }
    }
    out
}

impl Kernel for ScanKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let mut inputs = Vec::with_capacity(N_INPUTS);
        for i in 0..N_INPUTS {
            inputs.push(input(ctx, SCAN_OP, i)?);
        }
        let mut data: Vec<(Vec<i64>, &[f32])> = Vec::with_capacity(N_INPUTS);
        for v in &inputs {
            let (shape, values) = v.try_extract_tensor::<f32>()?;
            data.push((shape.to_vec(), values));
        }
        let [batch, dim, len] = dims3(SCAN_OP, "u", &data[0].0)?;
        let (rank, state) = match (&data[2].0[..], &data[4].0[..]) {
            ([_, r], [_, n]) => (*r as usize, *n as usize),
            _ => {
                return Err(err(SCAN_OP, format!("dt_weight {:?} and A_log {:?} must be rank 2", data[2].0, data[4].0)))
            }
        };
        let m = rank + 2 * state;
        if data[1].0 != [batch as i64, m as i64, len as i64] {
            return Err(err(SCAN_OP, format!("x_dbl has shape {:?}, expected [{batch}, {m}, {len}]", data[1].0)));
        }
        let x_dbl = data[1].1;
        let low = rows_of(x_dbl, m, len, 0..rank, false);
        let b = rows_of(x_dbl, m, len, rank..rank + state, true);
        let c = rows_of(x_dbl, m, len, rank + state..m, true);
        let scan_inputs = ScanInputs {
            u: data[0].1,
            delta: Delta::LowRank { low: &low, weight: data[2].1, rank },
            a_log: data[4].1,
            b: &b,
            c: &c,
            d_skip: Some(data[5].1),
            z: Some(data[6].1),
            delta_bias: Some(data[3].1),
            delta_softplus: true,
        };
        let dims = ScanDims::new(batch, dim, len, state);
        let mut out = ctx.output(0, data[0].0.clone())?.ok_or_else(|| err(SCAN_OP, "no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        self.pool.install(|| scan_forward(dims, &scan_inputs, y, None, DEFAULT_CHUNK)).map_err(|e| err(SCAN_OP, e))
    }
}
