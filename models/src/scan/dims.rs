//! Dimensions, argument bundles and their size checks.

use super::delta::{Delta, DeltaGrad};
use super::error::ScanError;

/// Sizes of one scan: batch B, channels D (d_inner), length L, states N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScanDims {
    /// B
    pub batch: usize,
    /// D (d_inner)
    pub dim: usize,
    /// L
    pub len: usize,
    /// N (d_state)
    pub state: usize,
}

impl ScanDims {
    /// Bundle the four sizes.
    pub fn new(batch: usize, dim: usize, len: usize, state: usize) -> Self {
        Self { batch, dim, len, state }
    }

    /// Number of chunks of `chunk` positions covering L (the last one may be shorter).
    pub fn n_chunks(&self, chunk: usize) -> Result<usize, ScanError> {
        if chunk == 0 {
            return Err(ScanError::ZeroChunk);
        }
        Ok(self.len.div_ceil(chunk))
    }

    fn overflow(&self) -> ScanError {
        ScanError::Overflow { batch: self.batch, dim: self.dim, len: self.len, state: self.state }
    }

    fn mul(&self, factors: &[usize]) -> Result<usize, ScanError> {
        factors.iter().try_fold(1usize, |acc, &f| acc.checked_mul(f)).ok_or_else(|| self.overflow())
    }
}

/// Number of elements of the checkpoint grid `[B, D, n_chunks, N]`, n_chunks = ceil(L / chunk).
pub fn checkpoint_len(dims: ScanDims, chunk: usize) -> Result<usize, ScanError> {
    let n_chunks = dims.n_chunks(chunk)?;
    dims.mul(&[dims.batch, dims.dim, n_chunks, dims.state])
}

/// Inputs of a scan; see the [module docs](super) for shapes and semantics.
#[derive(Clone, Copy, Debug)]
pub struct ScanInputs<'a, T> {
    /// `[B, D, L]`
    pub u: &'a [T],
    /// δ before bias and softplus: `[B, D, L]`, or low-rank factors (see [`Delta`]).
    pub delta: Delta<'a, T>,
    /// `[D, N]`; A = −exp(a_log).
    pub a_log: &'a [T],
    /// `[B, L, N]`
    pub b: &'a [T],
    /// `[B, L, N]`
    pub c: &'a [T],
    /// `[D]` skip weight D; absent means 0.
    pub d_skip: Option<&'a [T]>,
    /// `[B, D, L]` gate; y *= silu(z) when present.
    pub z: Option<&'a [T]>,
    /// `[D]` added to `delta` before softplus; absent means 0.
    pub delta_bias: Option<&'a [T]>,
    /// Apply softplus to `delta + delta_bias` (true in Mamba).
    pub delta_softplus: bool,
}

/// Gradient outputs of [`scan_backward`](super::scan_backward). Every slice is overwritten (not
/// accumulated into). Optional outputs are skipped when `None`.
#[derive(Debug)]
pub struct ScanGrads<'a, T> {
    /// `[B, D, L]`
    pub du: &'a mut [T],
    /// w.r.t. `delta` (pre-softplus, pre-bias; softplus' derivative included), in its form.
    pub ddelta: DeltaGrad<'a, T>,
    /// `[D, N]`
    pub da_log: &'a mut [T],
    /// `[B, L, N]`
    pub db: &'a mut [T],
    /// `[B, L, N]`
    pub dc: &'a mut [T],
    /// `[D]`; computed even when `d_skip` is absent (gradient at D = 0).
    pub dd_skip: Option<&'a mut [T]>,
    /// `[D]`; computed even when `delta_bias` is absent (gradient at bias = 0).
    pub ddelta_bias: Option<&'a mut [T]>,
    /// `[B, D, L]`; requires `z`.
    pub dz: Option<&'a mut [T]>,
}

/// Checked element counts shared by forward and backward.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// B·D·L
    pub bdl: usize,
    /// B·L·N
    pub bln: usize,
    /// D·N
    pub dn: usize,
    /// ceil(L / T)
    pub n_chunks: usize,
    /// B·D·n_chunks·N
    pub ckpt: usize,
    /// R and B·R·L for a low-rank δ.
    pub low_rank: Option<(usize, usize)>,
}

pub(crate) fn check(name: &'static str, actual: usize, expected: usize) -> Result<(), ScanError> {
    if actual == expected {
        Ok(())
    } else {
        Err(ScanError::Length { name, expected, actual })
    }
}

fn check_opt<T>(name: &'static str, s: Option<&[T]>, expected: usize) -> Result<(), ScanError> {
    s.map_or(Ok(()), |s| check(name, s.len(), expected))
}

impl<T> ScanInputs<'_, T> {
    /// Check every slice length against `dims`; returns the element counts.
    pub(crate) fn validate(&self, dims: ScanDims, chunk: usize) -> Result<Sizes, ScanError> {
        let (b, d, l, n) = (dims.batch, dims.dim, dims.len, dims.state);
        if n == 0 {
            return Err(ScanError::ZeroState);
        }
        let n_chunks = dims.n_chunks(chunk)?;
        let mut sizes = Sizes {
            bdl: dims.mul(&[b, d, l])?,
            bln: dims.mul(&[b, l, n])?,
            dn: dims.mul(&[d, n])?,
            n_chunks,
            ckpt: dims.mul(&[b, d, n_chunks, n])?,
            low_rank: None,
        };
        // The padded copies of b/c and the index arithmetic must not overflow either.
        dims.mul(&[b, l, n.div_ceil(16) * 16, 2])?;
        check("u", self.u.len(), sizes.bdl)?;
        match self.delta {
            Delta::Full(delta) => check("delta", delta.len(), sizes.bdl)?,
            Delta::LowRank { low, weight, rank } => {
                let blr = dims.mul(&[b, rank, l])?;
                check("delta_low", low.len(), blr)?;
                check("dt_weight", weight.len(), dims.mul(&[d, rank])?)?;
                sizes.low_rank = Some((rank, blr));
            }
        }
        check("a_log", self.a_log.len(), sizes.dn)?;
        check("b", self.b.len(), sizes.bln)?;
        check("c", self.c.len(), sizes.bln)?;
        check_opt("d_skip", self.d_skip, d)?;
        check_opt("z", self.z, sizes.bdl)?;
        check_opt("delta_bias", self.delta_bias, d)?;
        Ok(sizes)
    }
}

impl<T> ScanGrads<'_, T> {
    /// Check every gradient slice against `dims` and the inputs present.
    pub(crate) fn validate(&self, dims: ScanDims, sizes: &Sizes, has_z: bool) -> Result<(), ScanError> {
        check("du", self.du.len(), sizes.bdl)?;
        match (&self.ddelta, sizes.low_rank) {
            (DeltaGrad::Full(dd), None) => check("ddelta", dd.len(), sizes.bdl)?,
            (DeltaGrad::LowRank { low, weight }, Some((rank, blr))) => {
                check("ddelta_low", low.len(), blr)?;
                check("ddt_weight", weight.len(), dims.dim * rank)?;
            }
            _ => return Err(ScanError::DeltaForm),
        }
        check("da_log", self.da_log.len(), sizes.dn)?;
        check("db", self.db.len(), sizes.bln)?;
        check("dc", self.dc.len(), sizes.bln)?;
        check_opt("dd_skip", self.dd_skip.as_deref(), dims.dim)?;
        check_opt("ddelta_bias", self.ddelta_bias.as_deref(), dims.dim)?;
        if self.dz.is_some() && !has_z {
            return Err(ScanError::MissingInput("dz"));
        }
        check_opt("dz", self.dz.as_deref(), sizes.bdl)
    }
}
