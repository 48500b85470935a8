//! `ai.seq2exp:Flip`: reverses the last axis (positions) of a float tensor in one parallel pass
//! (`seq2exp_models::ops::flip_positions`), where ONNX `Slice` with step −1 is several times slower.
//!
//! Input x `[…, L]`; output y of the same shape, y[…, t] = x[…, L − 1 − t].

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::ops::flip_positions;

use super::{err, input};
use crate::onnx::meta::FLIP_OP;

pub struct FlipOp {
    pub pool: Arc<rayon::ThreadPool>,
}

impl Operator for FlipOp {
    type Kernel<'attr> = FlipKernel;

    fn name(&self) -> &str {
        FLIP_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        [OperatorInput::required(TensorElementType::Float32)]
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, _: &KernelContext<'attr>) -> ort::Result<FlipKernel> {
        Ok(FlipKernel { pool: self.pool.clone() })
    }
}

pub struct FlipKernel {
    pool: Arc<rayon::ThreadPool>,
}

impl Kernel for FlipKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let x = input(ctx, FLIP_OP, 0)?;
        let (shape, x) = x.try_extract_tensor::<f32>()?;
        let len = match shape.last() {
            Some(&l) => l as usize,
            None => return Err(err(FLIP_OP, "x must have at least one axis")),
        };
        let mut out = ctx.output(0, shape.to_vec())?.ok_or_else(|| err(FLIP_OP, "no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        self.pool.install(|| flip_positions(len, x, y)).map_err(|e| err(FLIP_OP, e))
    }
}
