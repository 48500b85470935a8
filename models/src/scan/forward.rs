//! Forward scan: one rayon task per (batch, channel), sequential over L, states in registers.

use rayon::prelude::*;

use super::dims::{check, ScanDims, ScanInputs};
use super::error::ScanError;
use super::float::ScanFloat;
use super::isa::isa_dispatch;
use super::prep::{channel_scalars, delta_run, Prepared};
use super::vec16::{dot_fold, exp_scaled, hsum_half, load, H, W};
use super::ScanOptions;

/// Run the scan: writes `y` `[B, D, L]` and, when given, the checkpoint grid `[B, D, n_chunks, N]`
/// (length [`checkpoint_len`](super::checkpoint_len)`(dims, chunk)`): the state before positions
/// 0, T, 2T, … of every channel, as [`scan_backward`](super::scan_backward) expects it.
/// `chunk` is T (e.g. [`DEFAULT_CHUNK`](super::DEFAULT_CHUNK)); y does not depend on it.
pub fn scan_forward<T: ScanFloat>(
    dims: ScanDims,
    inputs: &ScanInputs<'_, T>,
    y: &mut [T],
    checkpoints: Option<&mut [T]>,
    chunk: usize,
) -> Result<(), ScanError> {
    scan_forward_with(dims, inputs, y, checkpoints, &ScanOptions::new(chunk))
}

/// [`scan_forward`] with an explicit [`ScanOptions`] (instruction set).
pub fn scan_forward_with<T: ScanFloat>(
    dims: ScanDims,
    inputs: &ScanInputs<'_, T>,
    y: &mut [T],
    checkpoints: Option<&mut [T]>,
    opts: &ScanOptions,
) -> Result<(), ScanError> {
    let sizes = inputs.validate(dims, opts.chunk)?;
    check("y", y.len(), sizes.bdl)?;
    if let Some(ck) = checkpoints.as_deref() {
        check("checkpoints", ck.len(), sizes.ckpt)?;
    }
    if !opts.isa.is_available() {
        return Err(ScanError::IsaUnavailable(opts.isa));
    }
    if sizes.bdl == 0 {
        return Ok(()); // every output is empty
    }
    let prep = Prepared::new(dims, inputs);
    let (l, np) = (dims.len, prep.np);
    let per_ck = sizes.n_chunks * dims.state;
    let chunk = opts.chunk.min(l);
    // Group short channels so a rayon task has at least ~64k state updates.
    let min_len = (1 << 16) / (l * np).max(1) + 1;
    let init = || FwdScratch::<T>::new(chunk, np);
    let run = |s: &mut FwdScratch<T>, bd: usize, yrow: &mut [T], ck: Option<&mut [T]>| {
        let ch = ChanIn::new(dims, inputs, &prep, bd, chunk);
        forward_channel(opts.isa, &ch, yrow, ck, s);
    };
    match checkpoints {
        Some(ck) => y
            .par_chunks_mut(l)
            .zip(ck.par_chunks_mut(per_ck))
            .enumerate()
            .with_min_len(min_len)
            .for_each_init(init, |s, (bd, (yrow, ck))| run(s, bd, yrow, Some(ck))),
        None => y
            .par_chunks_mut(l)
            .enumerate()
            .with_min_len(min_len)
            .for_each_init(init, |s, (bd, yrow)| run(s, bd, yrow, None)),
    }
    Ok(())
}

/// Everything one channel reads.
pub(crate) struct ChanIn<'a, T> {
    pub u: &'a [T],
    pub delta: &'a [T],
    pub z: Option<&'a [T]>,
    /// `[L, np]` rows of this channel's batch.
    pub b: &'a [T],
    pub c: &'a [T],
    /// `[np]`: A·log2 e
    pub a2: &'a [T],
    pub skip: T,
    pub bias: T,
    pub softplus: bool,
    pub n: usize,
    pub np: usize,
    pub chunk: usize,
}

impl<'a, T: ScanFloat> ChanIn<'a, T> {
    /// Channel `bd` = b·D + d of validated inputs.
    pub fn new(
        dims: ScanDims,
        inputs: &ScanInputs<'a, T>,
        prep: &'a Prepared<'a, T>,
        bd: usize,
        chunk: usize,
    ) -> Self {
        let (l, np) = (dims.len, prep.np);
        let (b, d) = (bd / dims.dim, bd % dims.dim);
        let row = bd * l..(bd + 1) * l;
        let bc = b * l * np..(b + 1) * l * np;
        let (skip, bias) = channel_scalars(inputs, d);
        Self {
            u: &inputs.u[row.clone()],
            delta: &inputs.delta[row.clone()],
            z: inputs.z.map(|z| &z[row]),
            b: &prep.b[bc.clone()],
            c: &prep.c[bc],
            a2: &prep.a2[d * np..(d + 1) * np],
            skip,
            bias,
            softplus: inputs.delta_softplus,
            n: dims.state,
            np,
            chunk,
        }
    }
}

/// Per-worker buffers of one chunk.
pub(crate) struct FwdScratch<T> {
    dt: Vec<T>,
    dtu: Vec<T>,
    yacc: Vec<T>,
    /// Per-position Σ C·h of one state block, folded to half width and reduced after the block.
    pbuf: Vec<H<T>>,
    h: Vec<T>,
}

impl<T: ScanFloat> FwdScratch<T> {
    fn new(chunk: usize, np: usize) -> Self {
        let v = vec![T::ZERO; chunk];
        let pbuf = vec![[T::ZERO; W / 2]; chunk];
        Self {
            dt: v.clone(),
            dtu: v.clone(),
            yacc: v,
            pbuf,
            h: vec![T::ZERO; np],
        }
    }
}

isa_dispatch!(fn forward_channel<T>(
    ch: &ChanIn<'_, T>, y: &mut [T], ckpt: Option<&mut [T]>, s: &mut FwdScratch<T>
) => forward_channel_body);

#[inline(always)]
fn forward_channel_body<T: ScanFloat, const F: bool>(
    ch: &ChanIn<'_, T>,
    y: &mut [T],
    mut ckpt: Option<&mut [T]>,
    s: &mut FwdScratch<T>,
) {
    let (l, n, np) = (y.len(), ch.n, ch.np);
    s.h.fill(T::ZERO);
    for (k, t0) in (0..l).step_by(ch.chunk).enumerate() {
        let t1 = (t0 + ch.chunk).min(l);
        let len = t1 - t0;
        if let Some(ck) = ckpt.as_deref_mut() {
            ck[k * n..(k + 1) * n].copy_from_slice(&s.h[..n]);
        }
        let (dt, dtu, yacc) = (&mut s.dt[..len], &mut s.dtu[..len], &mut s.yacc[..len]);
        delta_run::<T, F>(
            &ch.delta[t0..t1],
            &ch.u[t0..t1],
            ch.bias,
            ch.softplus,
            dt,
            dtu,
        );
        yacc.fill(T::ZERO);
        for off in (0..np).step_by(W) {
            let mut h = load(&s.h[off..]);
            let a2 = load(&ch.a2[off..]);
            let rows = t0 * np..t1 * np;
            let pbuf = &mut s.pbuf[..len];
            scan_block::<T, F>(
                &a2,
                &mut h,
                dt,
                dtu,
                &ch.b[rows.clone()],
                &ch.c[rows],
                np,
                off,
                pbuf,
            );
            s.h[off..off + W].copy_from_slice(&h);
            for (y, p) in yacc.iter_mut().zip(pbuf.iter()) {
                *y += hsum_half(p);
            }
        }
        finish_y::<T, F>(
            yacc,
            &ch.u[t0..t1],
            ch.z.map(|z| &z[t0..t1]),
            ch.skip,
            &mut y[t0..t1],
        );
    }
}

/// The recurrence over one chunk for one block of W states; stores Σ_n C·h, half-folded, in `pbuf`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scan_block<T: ScanFloat, const F: bool>(
    a2: &[T; W],
    h: &mut [T; W],
    dt: &[T],
    dtu: &[T],
    b_rows: &[T],
    c_rows: &[T],
    np: usize,
    off: usize,
    pbuf: &mut [H<T>],
) {
    let mut hs = *h;
    let rows = b_rows.chunks_exact(np).zip(c_rows.chunks_exact(np));
    for (((&d, &x), p), (br, cr)) in dt.iter().zip(dtu).zip(pbuf.iter_mut()).zip(rows) {
        let bv = load(&br[off..]);
        let cv = load(&cr[off..]);
        let e = exp_scaled::<T, F>(d, a2);
        for i in 0..W {
            hs[i] = e[i].madd_k::<F>(hs[i], x * bv[i]);
        }
        *p = dot_fold::<T, F>(&cv, &hs);
    }
    *h = hs;
}

/// y = (Σ C·h + D·u) · silu(z).
#[inline(always)]
fn finish_y<T: ScanFloat, const F: bool>(
    yacc: &[T],
    u: &[T],
    z: Option<&[T]>,
    skip: T,
    y: &mut [T],
) {
    match z {
        Some(z) => {
            for (((o, &ya), &x), &zz) in y.iter_mut().zip(yacc).zip(u).zip(z) {
                *o = skip.madd_k::<F>(x, ya) * (zz * zz.sigmoid_k::<F>());
            }
        }
        None => {
            for ((o, &ya), &x) in y.iter_mut().zip(yacc).zip(u) {
                *o = skip.madd_k::<F>(x, ya);
            }
        }
    }
}
