//! Backward driver. Chunks are walked in reverse in lock-step across all channels: at step k
//! every (batch, channel-block) task runs chunk k of its channels, in channel order, adding its
//! dB/dC contributions into its own `[T, N]` partial; then the partials of the blocks are summed
//! in block order into rows k·T..(k+1)·T of db/dc. The adjoint carry between chunks lives in a
//! `[B, D, N]` buffer. Every sum thus has a fixed order, independent of the thread count, and the
//! reduction memory is O(B·(D/CHANNEL_BLOCK)·T·N) instead of O(B·D·L·N) or O(blocks·B·L·N).
//! A low-rank δ's d delta_low (a sum over channels) goes the same way through `[R, T]` partials;
//! its d dt_weight is summed per (batch, channel) over chunks in reverse order, then over the batch.

use rayon::prelude::*;

use super::backward_chunk::{chunk_backward, BwdScratch, ChunkIn, ChunkOut, DeltaOut};
use super::delta::{ChanDelta, DeltaGrad};
use super::dims::{check, ScanDims, ScanGrads, ScanInputs};
use super::error::ScanError;
use super::float::ScanFloat;
use super::prep::{channel_scalars, prefetch, take, Prepared};
use super::ScanOptions;

/// Channels per backward task; fixed (not derived from the thread count) for determinism.
const CHANNEL_BLOCK: usize = 16;
/// Rows per rayon piece when summing the partials.
const REDUCE_ROWS: usize = 32;

/// Gradients of Σ dy·y w.r.t. every input (see [`ScanGrads`]), from the inputs, the checkpoint
/// grid written by [`scan_forward`](super::scan_forward) and `dy` `[B, D, L]`. `chunk` must be the
/// one the forward used: only the grid's length is checked, and different chunks can give the
/// same length.
pub fn scan_backward<T: ScanFloat>(
    dims: ScanDims,
    inputs: &ScanInputs<'_, T>,
    checkpoints: &[T],
    chunk: usize,
    dy: &[T],
    grads: &mut ScanGrads<'_, T>,
) -> Result<(), ScanError> {
    scan_backward_with(dims, inputs, checkpoints, dy, grads, &ScanOptions::new(chunk))
}

/// [`scan_backward`] with an explicit [`ScanOptions`] (instruction set).
pub fn scan_backward_with<T: ScanFloat>(
    dims: ScanDims,
    inputs: &ScanInputs<'_, T>,
    checkpoints: &[T],
    dy: &[T],
    grads: &mut ScanGrads<'_, T>,
    opts: &ScanOptions,
) -> Result<(), ScanError> {
    let sizes = inputs.validate(dims, opts.chunk)?;
    check("checkpoints", checkpoints.len(), sizes.ckpt)?;
    check("dy", dy.len(), sizes.bdl)?;
    grads.validate(dims, &sizes, inputs.z.is_some())?;
    if !opts.isa.is_available() {
        return Err(ScanError::IsaUnavailable(opts.isa));
    }
    let prep = Prepared::new(dims, inputs);
    let ctx = Ctx {
        dims,
        inputs,
        prep: &prep,
        dy,
        ckpt: checkpoints,
        // A chunk longer than L is L (same single chunk); this also keeps t0 + chunk in range.
        chunk: opts.chunk.min(dims.len).max(1),
        opts,
    };
    let mut acc = Accumulators::new(dims, prep.np, ctx.rank());
    let (dd_full, mut dd_low) = match &mut grads.ddelta {
        DeltaGrad::Full(dd) => (Some(&mut **dd), None),
        DeltaGrad::LowRank { low, .. } => (None, Some(&mut **low)),
    };
    if sizes.bdl > 0 {
        let dz = grads.dz.as_deref_mut();
        let mut tasks = make_tasks(&ctx, &mut *grads.du, dd_full, dz, &mut acc);
        for k in (0..sizes.n_chunks).rev() {
            let init = || BwdScratch::new(ctx.chunk);
            tasks.par_iter_mut().for_each_init(init, |s, task| task.run(&ctx, k, s));
            let (t0, t1) = ctx.chunk_range(k);
            reduce_rows(&tasks, &ctx, t0, t1, grads.db, true);
            reduce_rows(&tasks, &ctx, t0, t1, grads.dc, false);
            if let Some(low) = dd_low.as_deref_mut() {
                reduce_low(&tasks, &ctx, t0, t1, low);
            }
        }
    } else {
        grads.db.fill(T::ZERO);
        grads.dc.fill(T::ZERO);
        if let Some(low) = dd_low {
            low.fill(T::ZERO);
        }
    }
    acc.finish(&ctx, grads);
    Ok(())
}

/// Read-only state shared by all tasks.
struct Ctx<'a, T: ScanFloat> {
    dims: ScanDims,
    inputs: &'a ScanInputs<'a, T>,
    prep: &'a Prepared<'a, T>,
    dy: &'a [T],
    ckpt: &'a [T],
    chunk: usize,
    opts: &'a ScanOptions,
}

impl<T: ScanFloat> Ctx<'_, T> {
    fn chunk_range(&self, k: usize) -> (usize, usize) {
        let t0 = k * self.chunk;
        (t0, (t0 + self.chunk).min(self.dims.len))
    }

    fn blocks(&self) -> usize {
        self.dims.dim.div_ceil(CHANNEL_BLOCK)
    }

    /// R of a low-rank δ, 0 for a full one.
    fn rank(&self) -> usize {
        self.inputs.delta.rank().unwrap_or(0)
    }
}

/// Per-(batch, channel) running sums and the adjoint carry, reduced over the batch at the end.
struct Accumulators<T> {
    carry: Vec<T>,
    da: Vec<T>,
    dskip: Vec<T>,
    dbias: Vec<T>,
    /// `[B, D, R]`: d dt_weight of a low-rank δ.
    dw: Vec<T>,
}

impl<T: ScanFloat> Accumulators<T> {
    fn new(dims: ScanDims, np: usize, rank: usize) -> Self {
        let bd = dims.batch * dims.dim;
        Self {
            carry: vec![T::ZERO; bd * np],
            da: vec![T::ZERO; bd * np],
            dskip: vec![T::ZERO; bd],
            dbias: vec![T::ZERO; bd],
            dw: vec![T::ZERO; bd * rank],
        }
    }

    /// da_log = A·Σ_b dA, dd_skip and ddelta_bias: sums over the batch in batch order.
    fn finish(&self, ctx: &Ctx<'_, T>, grads: &mut ScanGrads<'_, T>) {
        let ScanDims { batch, dim, state: n, .. } = ctx.dims;
        let np = ctx.prep.np;
        for d in 0..dim {
            for j in 0..n {
                let sum = (0..batch).fold(T::ZERO, |s, b| s + self.da[(b * dim + d) * np + j]);
                grads.da_log[d * n + j] = sum * ctx.prep.a[d * np + j];
            }
        }
        let by_batch = |v: &[T], d: usize| (0..batch).fold(T::ZERO, |s, b| s + v[b * dim + d]);
        if let Some(out) = grads.dd_skip.as_deref_mut() {
            for (d, o) in out.iter_mut().enumerate() {
                *o = by_batch(&self.dskip, d);
            }
        }
        if let Some(out) = grads.ddelta_bias.as_deref_mut() {
            for (d, o) in out.iter_mut().enumerate() {
                *o = by_batch(&self.dbias, d);
            }
        }
        if let DeltaGrad::LowRank { weight, .. } = &mut grads.ddelta {
            // weight is [D, R] and dw [B, D, R]: element i of one batch's [D, R] block.
            let dr = weight.len();
            for (i, o) in weight.iter_mut().enumerate() {
                *o = (0..batch).fold(T::ZERO, |s, b| s + self.dw[b * dr + i]);
            }
        }
    }
}

/// One (batch, channel-block)'s share of dδ.
enum TaskDelta<'g, T> {
    /// `[channels, L]` rows of the output.
    Full(&'g mut [T]),
    /// `part`: `[R, T]` d delta_low of this chunk summed over the block's channels;
    /// `dw`: `[channels, R]` running d dt_weight.
    LowRank { part: Vec<T>, dw: &'g mut [T] },
}

/// One (batch, channel-block): its slices of the outputs and accumulators, and its partials.
struct Task<'g, T> {
    b: usize,
    d0: usize,
    du: &'g mut [T],
    ddelta: TaskDelta<'g, T>,
    dz: Option<&'g mut [T]>,
    carry: &'g mut [T],
    da: &'g mut [T],
    dskip: &'g mut [T],
    dbias: &'g mut [T],
    part_db: Vec<T>,
    part_dc: Vec<T>,
}

fn make_tasks<'g, T: ScanFloat>(
    ctx: &Ctx<'_, T>,
    mut du: &'g mut [T],
    mut ddelta: Option<&'g mut [T]>,
    mut dz: Option<&'g mut [T]>,
    acc: &'g mut Accumulators<T>,
) -> Vec<Task<'g, T>> {
    let ScanDims { batch, dim, len: l, .. } = ctx.dims;
    let np = ctx.prep.np;
    let part = ctx.chunk * np;
    let (mut carry, mut da) = (&mut acc.carry[..], &mut acc.da[..]);
    let (mut dskip, mut dbias) = (&mut acc.dskip[..], &mut acc.dbias[..]);
    let (mut dw, rank) = (&mut acc.dw[..], ctx.rank());
    let mut tasks = Vec::with_capacity(batch * ctx.blocks());
    for b in 0..batch {
        for d0 in (0..dim).step_by(CHANNEL_BLOCK) {
            let m = CHANNEL_BLOCK.min(dim - d0);
            tasks.push(Task {
                b,
                d0,
                du: take(&mut du, m * l),
                ddelta: match ddelta.as_mut() {
                    Some(dd) => TaskDelta::Full(take(dd, m * l)),
                    None => TaskDelta::LowRank { part: vec![T::ZERO; rank * ctx.chunk], dw: take(&mut dw, m * rank) },
                },
                dz: dz.as_mut().map(|z| take(z, m * l)),
                carry: take(&mut carry, m * np),
                da: take(&mut da, m * np),
                dskip: take(&mut dskip, m),
                dbias: take(&mut dbias, m),
                part_db: vec![T::ZERO; part],
                part_dc: vec![T::ZERO; part],
            });
        }
    }
    tasks
}

impl<T: ScanFloat> Task<'_, T> {
    fn part(&self, db: bool) -> &[T] {
        if db {
            &self.part_db
        } else {
            &self.part_dc
        }
    }

    fn part_low(&self) -> &[T] {
        match &self.ddelta {
            TaskDelta::LowRank { part, .. } => part,
            TaskDelta::Full(_) => &[],
        }
    }

    /// Chunk k of every channel of this block, in channel order.
    fn run(&mut self, ctx: &Ctx<'_, T>, k: usize, s: &mut BwdScratch<T>) {
        let ScanDims { dim, len: l, state: n, .. } = ctx.dims;
        let (np, (t0, t1)) = (ctx.prep.np, ctx.chunk_range(k));
        let n_chunks = l.div_ceil(ctx.chunk);
        let (x, prep) = (ctx.inputs, ctx.prep);
        let rows = (self.b * l + t0) * np..(self.b * l + t1) * np;
        let part = (t1 - t0) * np;
        self.part_db[..part].fill(T::ZERO);
        self.part_dc[..part].fill(T::ZERO);
        if let TaskDelta::LowRank { part, .. } = &mut self.ddelta {
            part.fill(T::ZERO);
        }
        let rank = ctx.rank();
        for j in 0..self.dskip.len() {
            let d = self.d0 + j;
            let bd = self.b * dim + d;
            let seq = bd * l + t0..bd * l + t1;
            if j + 1 < self.dskip.len() {
                // The next channel's rows are L elements away: fetch them while this one runs.
                let next = seq.start + l..seq.end + l;
                prefetch(&x.u[next.clone()]);
                if let super::Delta::Full(delta) = x.delta {
                    prefetch(&delta[next.clone()]);
                }
                prefetch(&ctx.dy[next.clone()]);
                if let Some(z) = x.z {
                    prefetch(&z[next]);
                }
            }
            let local = j * l + t0..j * l + t1;
            let (skip, bias) = channel_scalars(x, d);
            let ck = (bd * n_chunks + k) * n;
            let input = ChunkIn {
                u: &x.u[seq.clone()],
                z: x.z.map(|z| &z[seq.clone()]),
                dy: &ctx.dy[seq],
                b: &prep.b[rows.clone()],
                c: &prep.c[rows.clone()],
                a: &prep.a[d * np..(d + 1) * np],
                a2: &prep.a2[d * np..(d + 1) * np],
                ckpt: &ctx.ckpt[ck..ck + n],
                skip,
                bias,
                softplus: x.delta_softplus,
                np,
                delta: ChanDelta::new(&x.delta, dim, l, bd),
                t0,
            };
            let mut out = ChunkOut {
                du: &mut self.du[local.clone()],
                ddelta: match &mut self.ddelta {
                    TaskDelta::Full(rows) => DeltaOut::Full(&mut rows[local.clone()]),
                    TaskDelta::LowRank { part, dw } => {
                        DeltaOut::LowRank { part, dw: &mut dw[j * rank..(j + 1) * rank] }
                    }
                },
                dz: self.dz.as_deref_mut().map(|z| &mut z[local]),
                carry: &mut self.carry[j * np..(j + 1) * np],
                da: &mut self.da[j * np..(j + 1) * np],
                dskip: &mut self.dskip[j],
                dbias: &mut self.dbias[j],
                part_db: &mut self.part_db[..part],
                part_dc: &mut self.part_dc[..part],
            };
            chunk_backward(ctx.opts.isa, &input, &mut out, s);
        }
    }
}

/// out[b, t0..t1, :] = Σ over blocks (db or dc) (in block order) of the blocks' partials (unpadded).
fn reduce_rows<T: ScanFloat>(tasks: &[Task<'_, T>], ctx: &Ctx<'_, T>, t0: usize, t1: usize, out: &mut [T], db: bool) {
    let ScanDims { len: l, state: n, .. } = ctx.dims;
    let (np, g) = (ctx.prep.np, ctx.blocks());
    out.par_chunks_mut(l * n).enumerate().for_each(|(b, ob)| {
        let blocks = &tasks[b * g..(b + 1) * g];
        ob[t0 * n..t1 * n].par_chunks_mut(REDUCE_ROWS * n).enumerate().for_each(|(p, dst)| {
            let r0 = p * REDUCE_ROWS;
            for (r, row) in dst.chunks_exact_mut(n).enumerate() {
                let src = (r0 + r) * np;
                row.copy_from_slice(&blocks[0].part(db)[src..src + n]);
                for task in &blocks[1..] {
                    for (o, &v) in row.iter_mut().zip(&task.part(db)[src..src + n]) {
                        *o += v;
                    }
                }
            }
        });
    });
}

/// out[b, r, t0..t1] = Σ over the blocks of batch b (in block order) of their d delta_low partials.
fn reduce_low<T: ScanFloat>(tasks: &[Task<'_, T>], ctx: &Ctx<'_, T>, t0: usize, t1: usize, out: &mut [T]) {
    let (l, g, rank) = (ctx.dims.len, ctx.blocks(), ctx.rank());
    out.par_chunks_mut(l).enumerate().for_each(|(br, row)| {
        let (b, r) = (br / rank, br % rank);
        let blocks = &tasks[b * g..(b + 1) * g];
        let src = |i: usize| &blocks[i].part_low()[r * ctx.chunk..][..t1 - t0];
        let dst = &mut row[t0..t1];
        dst.copy_from_slice(src(0));
        for i in 1..g {
            for (o, &v) in dst.iter_mut().zip(src(i)) {
                *o += v;
            }
        }
    });
}
