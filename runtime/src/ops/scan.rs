//! `ai.seq2exp:SelectiveScan`: the selective scan on the Rust kernel of `seq2exp_models::scan` (the
//! same one the trainer differentiates through).
//!
//! Inputs (all float): u `[B, D, L]`, delta_low `[B, R, L]`, dt_weight `[D, R]`, dt_bias `[D]`,
//! A_log `[D, N]`, B `[B, N, L]`, C `[B, N, L]`, D `[D]`, z `[B, D, L]`; output y `[B, D, L]`.
//! B and C arrive channel-major like the rest of the graph and are transposed here to the kernel's
//! `[B, L, N]` (B·L·N values, small next to the scan's B·D·L·N work).

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::scan::{scan_forward, Delta, ScanDims, ScanInputs, DEFAULT_CHUNK};

use super::{dims3, err, input};
use crate::onnx::meta::SCAN_OP;

pub struct SelectiveScanOp {
    pub pool: Arc<rayon::ThreadPool>,
}

const N_INPUTS: usize = 9;

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

/// `[B, N, L]` → `[B, L, N]`.
fn to_position_major(x: &[f32], b: usize, n: usize, l: usize) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    for bi in 0..b {
        let (src, dst) = (&x[bi * n * l..(bi + 1) * n * l], &mut out[bi * n * l..(bi + 1) * n * l]);
        for ni in 0..n {
            for t in 0..l {
                dst[t * n + ni] = src[ni * l + t];
            }
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
        let [_, rank, _] = dims3(SCAN_OP, "delta_low", &data[1].0)?;
        let [_, state, _] = dims3(SCAN_OP, "B", &data[5].0)?;
        for (i, name) in [(5, "B"), (6, "C")] {
            if data[i].0 != [batch as i64, state as i64, len as i64] {
                return Err(err(SCAN_OP, format!("{name} has shape {:?}, expected [{batch}, {state}, {len}]", data[i].0)));
            }
        }
        let b = to_position_major(data[5].1, batch, state, len);
        let c = to_position_major(data[6].1, batch, state, len);
        let scan_inputs = ScanInputs {
            u: data[0].1,
            delta: Delta::LowRank { low: data[1].1, weight: data[2].1, rank },
            a_log: data[4].1,
            b: &b,
            c: &c,
            d_skip: Some(data[7].1),
            z: Some(data[8].1),
            delta_bias: Some(data[3].1),
            delta_softplus: true,
        };
        let dims = ScanDims::new(batch, dim, len, state);
        let mut out = ctx.output(0, data[0].0.clone())?.ok_or_else(|| err(SCAN_OP, "no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        self.pool.install(|| scan_forward(dims, &scan_inputs, y, None, DEFAULT_CHUNK)).map_err(|e| err(SCAN_OP, e))
    }
}
