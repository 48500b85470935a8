//! Backward of one channel over one chunk: recompute the chunk's states from its checkpoint, then
//! run the adjoint recurrence in reverse. With g_t = dL/dh_t (including the future):
//!   g_t = C_t·dyraw_t + e_{t+1}⊙g_{t+1},  e_t = exp(δ_t A),  q_t = g_t⊙e_t⊙h_{t−1}
//!   dδ_t = Σ_n A_n q_t,n + u_t Σ_n g_t,n B_t,n      du_t = D·dyraw_t + δ_t Σ_n g_t,n B_t,n
//!   dA_n += δ_t q_t,n     dB_t,n += g_t,n δ_t u_t     dC_t,n += dyraw_t h_t,n
//! where dyraw = dy·silu(z) (or dy). The carry e_t⊙g_t leaves the chunk towards the previous one.
//! A low-rank δ is rebuilt per chunk and dδ goes straight into the d delta_low / d dt_weight sums.

use super::delta::ChanDelta;
use super::float::ScanFloat;
use super::isa::isa_dispatch;
use super::prep::delta_run;
use super::vec16::{dot_fold, exp_scaled, hsum_half, lane_sum, load, H, V, W};

/// What one channel reads for one chunk of `len` positions.
pub(crate) struct ChunkIn<'a, T> {
    /// `[len]` each
    pub u: &'a [T],
    pub z: Option<&'a [T]>,
    pub dy: &'a [T],
    /// `[len, np]` rows of B and C (padded)
    pub b: &'a [T],
    pub c: &'a [T],
    /// `[np]`: A and A·log2 e
    pub a: &'a [T],
    pub a2: &'a [T],
    /// `[n]`: the state before the chunk's first position.
    pub ckpt: &'a [T],
    pub skip: T,
    pub bias: T,
    pub softplus: bool,
    pub np: usize,
    /// The channel's whole δ and the chunk's first position in it.
    pub delta: ChanDelta<'a, T>,
    pub t0: usize,
}

/// Where one channel's dδ (pre-softplus) of one chunk goes.
pub(crate) enum DeltaOut<'a, T> {
    /// `[len]`: the output row.
    Full(&'a mut [T]),
    /// `part`: `[R, T]` d delta_low partial of the channel's block; `dw`: `[R]` running d dt_weight.
    LowRank { part: &'a mut [T], dw: &'a mut [T] },
}

/// What one channel writes for one chunk.
pub(crate) struct ChunkOut<'a, T> {
    /// `[len]` each
    pub du: &'a mut [T],
    pub ddelta: DeltaOut<'a, T>,
    pub dz: Option<&'a mut [T]>,
    /// `[np]`: e⊙g handed from chunk k+1 to chunk k.
    pub carry: &'a mut [T],
    /// `[np]`: running Σ δ q (dL/dA).
    pub da: &'a mut [T],
    pub dskip: &'a mut T,
    pub dbias: &'a mut T,
    /// `[len, np]`: accumulated over the channels of one block.
    pub part_db: &'a mut [T],
    pub part_dc: &'a mut [T],
}

/// Per-worker buffers: per-position scalars and the chunk's states, O(T·W) each.
pub(crate) struct BwdScratch<T> {
    /// δ_pre and dδ_pre of a low-rank δ
    pre: Vec<T>,
    dd: Vec<T>,
    dt: Vec<T>,
    dtu: Vec<T>,
    dsp: Vec<T>,
    dyr: Vec<T>,
    sg: Vec<T>,
    s1: Vec<T>,
    s2: Vec<T>,
    yr: Vec<T>,
    p1: Vec<H<T>>,
    p2: Vec<H<T>>,
    p3: Vec<H<T>>,
    /// h_{t0−1}, h_t0, …, h_{t1−1} of one state block.
    hbuf: Vec<V<T>>,
    /// e_t of one state block.
    ebuf: Vec<V<T>>,
}

impl<T: ScanFloat> BwdScratch<T> {
    pub fn new(chunk: usize) -> Self {
        let v = vec![T::ZERO; chunk];
        let blocks = vec![[T::ZERO; W]; chunk + 1];
        let halves = vec![[T::ZERO; W / 2]; chunk];
        Self {
            pre: v.clone(),
            dd: v.clone(),
            dt: v.clone(),
            dtu: v.clone(),
            dsp: v.clone(),
            dyr: v.clone(),
            sg: v.clone(),
            s1: v.clone(),
            s2: v.clone(),
            yr: v,
            p1: halves.clone(),
            p2: halves.clone(),
            p3: halves,
            hbuf: blocks.clone(),
            ebuf: blocks,
        }
    }
}

isa_dispatch!(pub(crate) fn chunk_backward<T>(
    x: &ChunkIn<'_, T>, o: &mut ChunkOut<'_, T>, s: &mut BwdScratch<T>
) => chunk_backward_body);

#[inline(always)]
fn chunk_backward_body<T: ScanFloat, const F: bool>(
    x: &ChunkIn<'_, T>,
    o: &mut ChunkOut<'_, T>,
    s: &mut BwdScratch<T>,
) {
    let (len, np) = (x.u.len(), x.np);
    prepare::<T, F>(x, s, len);
    let want_y = x.z.is_some() && o.dz.is_some();
    for off in (0..np).step_by(W) {
        let (a, a2) = (load(&x.a[off..]), load(&x.a2[off..]));
        let mut h0 = [T::ZERO; W];
        let have = x.ckpt.len().saturating_sub(off).min(W);
        h0[..have].copy_from_slice(&x.ckpt[off..off + have]);
        recompute::<T, F>(&a2, h0, &s.dt[..len], &s.dtu[..len], x.b, np, off, &mut s.hbuf, &mut s.ebuf);
        let mut g = load(&o.carry[off..]);
        let mut da = load(&o.da[off..]);
        let p3 = if want_y { Some(&mut s.p3[..len]) } else { None };
        let acc = Acc { p1: &mut s.p1[..len], p2: &mut s.p2[..len], p3 };
        let sc = Scalars { dt: &s.dt[..len], dtu: &s.dtu[..len], dyr: &s.dyr[..len] };
        let bufs = (&s.hbuf[..=len], &s.ebuf[..len]);
        adjoint::<T, F>(&a, &mut g, &mut da, sc, acc, (x.b, x.c), np, off, bufs, o);
        o.carry[off..off + W].copy_from_slice(&g);
        o.da[off..off + W].copy_from_slice(&da);
        add_halves(&mut s.s1[..len], &s.p1[..len]);
        add_halves(&mut s.s2[..len], &s.p2[..len]);
        if want_y {
            add_halves(&mut s.yr[..len], &s.p3[..len]);
        }
    }
    finish::<T, F>(x, o, s, len);
}

/// Per-position scalars: δ, δu, softplus' derivative, dyraw, sigmoid(z); zeroed accumulators.
#[inline(always)]
fn prepare<T: ScanFloat, const F: bool>(x: &ChunkIn<'_, T>, s: &mut BwdScratch<T>, len: usize) {
    let pre = x.delta.pre::<F>(x.t0, x.t0 + len, &mut s.pre);
    delta_run::<T, F>(pre, x.u, x.bias, x.softplus, &mut s.dt[..len], &mut s.dtu[..len]);
    let dsp = &mut s.dsp[..len];
    if x.softplus {
        for (o, &d) in dsp.iter_mut().zip(pre) {
            *o = (d + x.bias).sigmoid_k::<F>();
        }
    } else {
        dsp.fill(T::ONE);
    }
    match x.z {
        Some(z) => {
            for (((o, sg), &zz), &g) in s.dyr[..len].iter_mut().zip(&mut s.sg[..len]).zip(z).zip(x.dy) {
                *sg = zz.sigmoid_k::<F>();
                *o = g * (zz * *sg);
            }
        }
        None => s.dyr[..len].copy_from_slice(x.dy),
    }
    s.s1[..len].fill(T::ZERO);
    s.s2[..len].fill(T::ZERO);
    s.yr[..len].fill(T::ZERO);
}

/// Forward over the chunk for one state block, keeping h_{t−1} (hbuf[i]) and e_t (ebuf[i]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn recompute<T: ScanFloat, const F: bool>(
    a2: &V<T>,
    h0: V<T>,
    dt: &[T],
    dtu: &[T],
    b_rows: &[T],
    np: usize,
    off: usize,
    hbuf: &mut [V<T>],
    ebuf: &mut [V<T>],
) {
    let mut h = h0;
    hbuf[0] = h;
    let steps = dt.iter().zip(dtu).zip(b_rows.chunks_exact(np)).zip(ebuf.iter_mut());
    for ((((&d, &x), br), eo), ho) in steps.zip(hbuf[1..].iter_mut()) {
        let bv = load(&br[off..]);
        let e = exp_scaled::<T, F>(d, a2);
        for i in 0..W {
            h[i] = e[i].madd_k::<F>(h[i], x * bv[i]);
        }
        *eo = e;
        *ho = h;
    }
}

/// Per-position inputs of the adjoint loop.
struct Scalars<'a, T> {
    dt: &'a [T],
    dtu: &'a [T],
    dyr: &'a [T],
}

/// Per-position sums over one state block, half-folded.
struct Acc<'a, T> {
    /// Σ A q
    p1: &'a mut [H<T>],
    /// Σ g B
    p2: &'a mut [H<T>],
    /// Σ C h (only needed for dz)
    p3: Option<&'a mut [H<T>]>,
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn adjoint<T: ScanFloat, const F: bool>(
    a: &V<T>,
    g: &mut V<T>,
    da: &mut V<T>,
    sc: Scalars<'_, T>,
    mut acc: Acc<'_, T>,
    (b_rows, c_rows): (&[T], &[T]),
    np: usize,
    off: usize,
    (hbuf, ebuf): (&[V<T>], &[V<T>]),
    o: &mut ChunkOut<'_, T>,
) {
    let (mut gs, mut das) = (*g, *da);
    for i in (0..sc.dt.len()).rev() {
        let (bv, cv) = (load(&b_rows[i * np + off..]), load(&c_rows[i * np + off..]));
        let (h0, h1, e) = (&hbuf[i], &hbuf[i + 1], &ebuf[i]);
        let (dyr, dt, dtu) = (sc.dyr[i], sc.dt[i], sc.dtu[i]);
        let dbr = &mut o.part_db[i * np + off..][..W];
        let dcr = &mut o.part_dc[i * np + off..][..W];
        // Work on local arrays only: through the slices LLVM could not rule out aliasing
        // and left this loop scalar.
        let (mut dbv, mut dcv) = (load(dbr), load(dcr));
        let mut q = [T::ZERO; W];
        for n in 0..W {
            gs[n] = dyr.madd_k::<F>(cv[n], gs[n]);
            dcv[n] = dyr.madd_k::<F>(h1[n], dcv[n]);
            dbv[n] = gs[n].madd_k::<F>(dtu, dbv[n]);
            q[n] = gs[n] * e[n] * h0[n];
            das[n] = dt.madd_k::<F>(q[n], das[n]);
        }
        dbr.copy_from_slice(&dbv);
        dcr.copy_from_slice(&dcv);
        // Sums over states are stored half-folded and reduced after the loop (cheaper than a
        // full horizontal sum per position).
        acc.p1[i] = dot_fold::<T, F>(a, &q);
        acc.p2[i] = dot_fold::<T, F>(&gs, &bv);
        if let Some(p3) = acc.p3.as_deref_mut() {
            p3[i] = dot_fold::<T, F>(&cv, h1);
        }
        for n in 0..W {
            gs[n] = e[n] * gs[n];
        }
    }
    (*g, *da) = (gs, das);
}

/// s[i] += Σ of the half-folded p[i].
#[inline(always)]
fn add_halves<T: ScanFloat>(s: &mut [T], p: &[H<T>]) {
    for (o, h) in s.iter_mut().zip(p) {
        *o += hsum_half(h);
    }
}

/// du, dδ (pre-softplus), dz and the per-channel sums for D and the bias.
#[inline(always)]
fn finish<T: ScanFloat, const F: bool>(x: &ChunkIn<'_, T>, o: &mut ChunkOut<'_, T>, s: &mut BwdScratch<T>, len: usize) {
    let dd = match &mut o.ddelta {
        DeltaOut::Full(dd) => &mut **dd,
        DeltaOut::LowRank { .. } => &mut s.dd[..len],
    };
    for (i, dd) in dd.iter_mut().enumerate() {
        let (u, dyr, s2) = (x.u[i], s.dyr[i], s.s2[i]);
        o.du[i] = x.skip.madd_k::<F>(dyr, s.dt[i] * s2);
        *dd = u.madd_k::<F>(s2, s.s1[i]) * s.dsp[i];
        s.s2[i] = dyr * u; // reused: dD terms
    }
    *o.dbias += lane_sum(dd);
    if let DeltaOut::LowRank { part, dw } = &mut o.ddelta {
        x.delta.low_rank_backward::<F>(x.t0, &s.dd[..len], part, dw);
    }
    *o.dskip += lane_sum(&s.s2[..len]);
    if let (Some(dz), Some(z)) = (o.dz.as_deref_mut(), x.z) {
        for i in 0..len {
            let sg = s.sg[i];
            let yfull = x.skip.madd_k::<F>(x.u[i], s.yr[i]);
            let dsilu = sg * (z[i] * (T::ONE - sg) + T::ONE);
            dz[i] = x.dy[i] * yfull * dsilu;
        }
    }
}
