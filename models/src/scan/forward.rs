//! Forward scan: rayon tasks over (batch, group of channels), sequential over L, states in
//! registers.

use rayon::prelude::*;

use super::delta::ChanDelta;
use super::dims::{check, ScanDims, ScanInputs};
use super::error::ScanError;
use super::float::ScanFloat;
use super::isa::isa_dispatch;
use super::prep::{channel_scalars, delta_run, prefetch, take, Prepared};
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
    let ctx = FwdCtx {
        dims,
        inputs,
        prep: &prep,
        // A chunk longer than L is L (same single chunk); this also keeps t0 + chunk in range.
        chunk: opts.chunk.min(dims.len),
        isa: opts.isa,
    };
    let mut tasks = make_tasks(&ctx, y, checkpoints, sizes.n_chunks);
    let init = || FwdScratch::<T>::new(ctx.chunk);
    tasks.par_iter_mut().for_each_init(init, |s, task| task.run(&ctx, s));
    Ok(())
}

/// Channels per task. They walk the positions together, a tile at a time, so that a tile's rows
/// of B and C (shared by all channels) come from memory once per group rather than once per
/// channel: at L = 200,000 they are 25 MB, too big to stay in cache between channels.
const GROUP: usize = 8;
/// Minimum positions per tile (tiles are whole chunks).
const TILE: usize = 256;

struct FwdCtx<'a, T: ScanFloat> {
    dims: ScanDims,
    inputs: &'a ScanInputs<'a, T>,
    prep: &'a Prepared<'a, T>,
    chunk: usize,
    isa: super::Isa,
}

/// Up to GROUP channels of one batch: their rows of y and of the checkpoints, and their states.
struct FwdTask<'g, T> {
    bd0: usize,
    y: &'g mut [T],
    ckpt: Option<&'g mut [T]>,
    /// `[channels, np]`, carried from tile to tile.
    h: Vec<T>,
}

fn make_tasks<'g, T: ScanFloat>(
    ctx: &FwdCtx<'_, T>,
    mut y: &'g mut [T],
    mut ckpt: Option<&'g mut [T]>,
    n_chunks: usize,
) -> Vec<FwdTask<'g, T>> {
    let ScanDims { batch, dim, len: l, state: n } = ctx.dims;
    let mut tasks = Vec::new();
    for b in 0..batch {
        for d0 in (0..dim).step_by(GROUP) {
            let m = GROUP.min(dim - d0);
            tasks.push(FwdTask {
                bd0: b * dim + d0,
                y: take(&mut y, m * l),
                ckpt: ckpt.as_mut().map(|c| take(c, m * n_chunks * n)),
                h: vec![T::ZERO; m * ctx.prep.np],
            });
        }
    }
    tasks
}

impl<T: ScanFloat> FwdTask<'_, T> {
    fn run(&mut self, ctx: &FwdCtx<'_, T>, s: &mut FwdScratch<T>) {
        let (l, np) = (ctx.dims.len, ctx.prep.np);
        let n_chunks = l.div_ceil(ctx.chunk);
        let per_ck = n_chunks * ctx.dims.state;
        let tile = TILE.div_ceil(ctx.chunk);
        let m = self.h.len() / np;
        for k0 in (0..n_chunks).step_by(tile) {
            let k1 = (k0 + tile).min(n_chunks);
            for j in 0..m {
                let ch = ChanIn::new(ctx.dims, ctx.inputs, ctx.prep, self.bd0 + j, ctx.chunk);
                if j + 1 < m {
                    // The next channel's rows are L elements further on.
                    let next = (self.bd0 + j + 1) * l + k0 * ctx.chunk;
                    let next = next..next + ((k1 - k0) * ctx.chunk).min(l - k0 * ctx.chunk);
                    prefetch(&ctx.inputs.u[next.clone()]);
                    if let super::Delta::Full(delta) = ctx.inputs.delta {
                        prefetch(&delta[next.clone()]);
                    }
                    if let Some(z) = ctx.inputs.z {
                        prefetch(&z[next]);
                    }
                }
                let y = &mut self.y[j * l..(j + 1) * l];
                let ck = self.ckpt.as_deref_mut().map(|c| &mut c[j * per_ck..(j + 1) * per_ck]);
                let h = &mut self.h[j * np..(j + 1) * np];
                forward_channel(ctx.isa, &ch, y, ck, h, (k0, k1), s);
            }
        }
    }
}

/// Everything one channel reads.
pub(crate) struct ChanIn<'a, T> {
    pub u: &'a [T],
    pub delta: ChanDelta<'a, T>,
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
    pub fn new(dims: ScanDims, inputs: &ScanInputs<'a, T>, prep: &'a Prepared<'a, T>, bd: usize, chunk: usize) -> Self {
        let (l, np) = (dims.len, prep.np);
        let (b, d) = (bd / dims.dim, bd % dims.dim);
        let row = bd * l..(bd + 1) * l;
        let bc = b * l * np..(b + 1) * l * np;
        let (skip, bias) = channel_scalars(inputs, d);
        Self {
            u: &inputs.u[row.clone()],
            delta: ChanDelta::new(&inputs.delta, dims.dim, l, bd),
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
    /// δ_pre of a low-rank δ
    pre: Vec<T>,
    dt: Vec<T>,
    dtu: Vec<T>,
    yacc: Vec<T>,
    /// Per-position Σ C·h of one state block, folded to half width and reduced after the block.
    pbuf: Vec<H<T>>,
}

impl<T: ScanFloat> FwdScratch<T> {
    fn new(chunk: usize) -> Self {
        let v = vec![T::ZERO; chunk];
        let pbuf = vec![[T::ZERO; W / 2]; chunk];
        Self { pre: v.clone(), dt: v.clone(), dtu: v.clone(), yacc: v, pbuf }
    }
}

isa_dispatch!(fn forward_channel<T>(
    ch: &ChanIn<'_, T>, y: &mut [T], ckpt: Option<&mut [T]>, h: &mut [T], chunks: (usize, usize),
    s: &mut FwdScratch<T>
) => forward_channel_body);

/// Chunks k0..k1 of one channel; `h` (`[np]`) is the state before chunk k0 and is updated.
/// `y` and `ckpt` are the channel's whole rows.
#[inline(always)]
fn forward_channel_body<T: ScanFloat, const F: bool>(
    ch: &ChanIn<'_, T>,
    y: &mut [T],
    mut ckpt: Option<&mut [T]>,
    hs: &mut [T],
    (k0, k1): (usize, usize),
    s: &mut FwdScratch<T>,
) {
    let (l, n, np) = (y.len(), ch.n, ch.np);
    for k in k0..k1 {
        let t0 = k * ch.chunk;
        let t1 = (t0 + ch.chunk).min(l);
        let len = t1 - t0;
        if let Some(ck) = ckpt.as_deref_mut() {
            ck[k * n..(k + 1) * n].copy_from_slice(&hs[..n]);
        }
        let (dt, dtu, yacc) = (&mut s.dt[..len], &mut s.dtu[..len], &mut s.yacc[..len]);
        delta_run::<T, F>(ch.delta.pre::<F>(t0, t1, &mut s.pre), &ch.u[t0..t1], ch.bias, ch.softplus, dt, dtu);
        yacc.fill(T::ZERO);
        for off in (0..np).step_by(W) {
            let mut h = load(&hs[off..]);
            let a2 = load(&ch.a2[off..]);
            let rows = t0 * np..t1 * np;
            let pbuf = &mut s.pbuf[..len];
            scan_block::<T, F>(&a2, &mut h, dt, dtu, &ch.b[rows.clone()], &ch.c[rows], np, off, pbuf);
            hs[off..off + W].copy_from_slice(&h);
            for (y, p) in yacc.iter_mut().zip(pbuf.iter()) {
                *y += hsum_half(p);
            }
        }
        finish_y::<T, F>(yacc, &ch.u[t0..t1], ch.z.map(|z| &z[t0..t1]), ch.skip, &mut y[t0..t1]);
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
fn finish_y<T: ScanFloat, const F: bool>(yacc: &[T], u: &[T], z: Option<&[T]>, skip: T, y: &mut [T]) {
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
