// Backward kernels of the CUDA selective scan. With g_t = dL/dh_t and e_t = exp(δ_t A):
//   g_t = C_t·dyraw_t + e_{t+1} ⊙ g_{t+1},  q_t = g_t ⊙ e_t ⊙ h_{t−1}
//   dδ_t = Σ_n A_n q_t,n + u_t Σ_n g_t,n B_t,n      du_t = D·dyraw_t + δ_t Σ_n g_t,n B_t,n
//   dA_n += δ_t q_t,n     dB_t,n += g_t,n δ_t u_t     dC_t,n += dyraw_t h_t,n
// (dyraw = dy·silu(z)), as the Rust kernel. The adjoint is linear in g, like the forward in h, so it is
// split the same way, over segments of SEG positions:
//   1. bwd_states: per (b, d, chunk), rescan from the forward's checkpoint and store the state at every
//      segment start (the chunk checkpoints are the only state kept between forward and backward);
//   2. bwd_local: per (b, d, segment), the adjoint carry leaving the segment from a zero one, and Σδ;
//   3. carry_pass (reverse): the carry entering each segment from the future;
//   4. bwd_main: per (b, d, segment), recompute the segment's states (local memory, SEG·N floats per
//      thread) and run the adjoint, writing per-position gradients and per-segment partial sums.
// Reductions (deterministic: fixed order, no atomics): dB and dC sum over the 32 channels of a warp by a
// butterfly of shuffles into one partial per 32-channel block, then over blocks in order (reduce_bc);
// dA, dD and dbias are per-(b, d, segment) partials summed in order over (b, segment) by reduce_chan.
#pragma once

#include "scan_cuda_common.cuh"

namespace seq2exp_cuda {

constexpr int SEG = 32;

// dyraw and dz at one position; yraw = Σ C·h + D·u is only needed for dz.
__device__ __forceinline__ float dyraw_of(float dy, const float* zp, float yraw, float* dz) {
  if (!zp) return dy;
  const float zz = *zp, s = sigmoid(zz);
  if (dz) *dz = dy * yraw * s * (1.f + zz * (1.f - s));
  return dy * zz * s;
}

// Pass 1: the state before every segment start, from the chunk checkpoints. S: [B, D, nseg, N].
template <typename T, int NM>
__global__ void bwd_states(Args<T> a, const float* __restrict__ ckpt, float* __restrict__ S, int64_t nseg) {
  const Tid id;
  const int64_t K = (a.L + a.chunk - 1) / a.chunk;
  if (id.k >= K || id.d >= a.D) return;
  const Chan<T, NM> ch(a, id.b, id.d);
  const int64_t bd = id.b * a.D + id.d;
  float h[NM];
#pragma unroll
  for (int n = 0; n < NM; ++n) h[n] = n < a.N ? ckpt[(bd * K + id.k) * a.N + n] : 0.f;
  const int64_t t1 = min(a.L, (id.k + 1) * a.chunk);
  for (int64_t t = id.k * a.chunk; t < t1; ++t) {
    if (t % SEG == 0) {
#pragma unroll
      for (int n = 0; n < NM; ++n)
        if (n < a.N) S[(bd * nseg + t / SEG) * a.N + n] = h[n];
    }
    ch.step(t, h);
  }
}

// Pass 2: per (b, d, segment j): e_{s0} ⊙ g_{s0} with no carry from the future (into G), and Σδ (into DS).
template <typename T, int NM>
__global__ void bwd_local(Args<T> a, const float* __restrict__ dy, float* __restrict__ G, float* __restrict__ DS,
                          int64_t nseg) {
  const Tid id;
  if (id.k >= nseg || id.d >= a.D) return;
  const Chan<T, NM> ch(a, id.b, id.d);
  float g[NM] = {0.f}, sum = 0.f;
  const int64_t s0 = id.k * SEG, s1 = min(a.L, s0 + SEG);
  for (int64_t t = s1 - 1; t >= s0; --t) {
    const float d_t = ch.dt(ch.pre(t));
    sum += d_t;
    // Same expression as in bwd_main, so both see the same dyraw.
    const float zz = a.z ? ld(a.z, ch.row + t) : 0.f;
    const float zr = dyraw_of(dy[ch.row + t], a.z ? &zz : nullptr, 0.f, nullptr);
    float cv[NM];
    ch.bc(a.c, t, cv);
#pragma unroll
    for (int n = 0; n < NM; ++n) g[n] = fmaf(zr, cv[n], g[n]) * exp2f(d_t * ch.a2[n]);
  }
  const int64_t cell = (id.b * a.D + id.d) * nseg + id.k;
#pragma unroll
  for (int n = 0; n < NM; ++n)
    if (n < a.N) G[cell * a.N + n] = g[n];
  DS[cell] = sum;
}

// Where bwd_main writes. dpre: dδ_pre [B, D, L] (the ddelta output, or scratch for a low-rank δ).
struct BwdOut {
  float *du, *dpre, *dz;
  float *pb, *pc;      // [⌈D/32⌉, B, L, N] partials of dB, dC
  float *da, *dd, *dbias;  // [B, D, nseg, N], [B, D, nseg] × 2 (may alias the carries and Σδ: each thread
                           // reads its own cell before it writes it)
};

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = LANES / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Recompute one segment's states: hs[i] = h after position s0 + i; dts[i] = δ, pres[i] = δ_pre + bias.
template <typename T, int NM>
__device__ void segment_states(const Chan<T, NM>& ch, int64_t s0, int len, float (&h)[NM], float (&hs)[SEG][NM],
                               float (&dts)[SEG], float (&pres)[SEG]) {
  for (int i = 0; i < len; ++i) {
    const int64_t t = s0 + i;
    pres[i] = ch.pre(t);
    const float d_t = ch.dt(pres[i]);
    dts[i] = d_t;
    const float x = d_t * ch.u(t);
    float bv[NM];
    ch.bc(ch.a.b, t, bv);
#pragma unroll
    for (int n = 0; n < NM; ++n) {
      h[n] = fmaf(exp2f(d_t * ch.a2[n]), h[n], x * bv[n]);
      hs[i][n] = h[n];
    }
  }
}

// Pass 4. Lanes with d ≥ D run on zeros so that the whole warp takes part in the shuffles.
template <typename T, int NM>
__global__ void bwd_main(Args<T> a, const float* __restrict__ dy, const float* __restrict__ S,
                         const float* carry, BwdOut o, int64_t nseg) {
  const Tid id;
  if (id.k >= nseg) return;  // uniform within a warp
  const bool on = id.d < a.D;
  const int64_t d = on ? id.d : a.D - 1;  // inactive lanes read a valid channel, then zero their output
  const Chan<T, NM> ch(a, id.b, d);
  const int64_t cell = (id.b * a.D + d) * nseg + id.k;
  const int64_t s0 = id.k * SEG;
  const int len = (int)min((int64_t)SEG, a.L - s0);
  float h0[NM], g[NM], da[NM];
  float hs[SEG][NM], dts[SEG], pres[SEG];
#pragma unroll
  for (int n = 0; n < NM; ++n) {
    h0[n] = n < a.N ? S[cell * a.N + n] : 0.f;
    g[n] = n < a.N && on ? carry[cell * a.N + n] : 0.f;
    da[n] = 0.f;
  }
  {
    float h[NM];
#pragma unroll
    for (int n = 0; n < NM; ++n) h[n] = h0[n];
    segment_states(ch, s0, len, h, hs, dts, pres);
  }
  float dsk = 0.f, dbi = 0.f;
  for (int i = len - 1; i >= 0; --i) {
    const int64_t t = s0 + i;
    const float u = ch.u(t), d_t = dts[i];
    float bv[NM], cv[NM];
    ch.bc(a.b, t, bv);
    ch.bc(a.c, t, cv);
    float yraw = ch.skip * u;
#pragma unroll
    for (int n = 0; n < NM; ++n) yraw = fmaf(cv[n], hs[i][n], yraw);
    float zval = 0.f, dzv = 0.f;
    if (a.z) zval = ld(a.z, ch.row + t);
    const float dyv = on ? dy[ch.row + t] : 0.f;
    const float dyr = dyraw_of(dyv, a.z ? &zval : nullptr, yraw, &dzv);
    dsk = fmaf(dyr, u, dsk);
    float ddt = 0.f, du = ch.skip * dyr;
#pragma unroll
    for (int n = 0; n < NM; ++n) {
      const float hp = i > 0 ? hs[i - 1][n] : h0[n];
      const float e = exp2f(d_t * ch.a2[n]);
      g[n] = fmaf(dyr, cv[n], g[n]);
      const float q = g[n] * e * hp;
      ddt += ch.an[n] * q + g[n] * bv[n] * u;
      da[n] = fmaf(d_t, q, da[n]);
      du = fmaf(g[n] * d_t, bv[n], du);
      // dB, dC at (b, t, n) summed over the warp's channels; lane n % 32 writes the sum for n.
      const float sb = warp_sum(g[n] * d_t * u), sc = warp_sum(dyr * hs[i][n]);
      if (n < a.N && threadIdx.x == n % LANES) {
        const size_t p = (((size_t)blockIdx.y * a.B + id.b) * a.L + t) * a.N + n;
        o.pb[p] = sb;
        o.pc[p] = sc;
      }
      g[n] *= e;
    }
    const float dp = a.softplus ? ddt * sigmoid(pres[i]) : ddt;
    dbi += dp;
    if (on) {
      o.du[ch.row + t] = du;
      o.dpre[ch.row + t] = dp;
      if (o.dz) o.dz[ch.row + t] = dzv;
    }
  }
  if (!on) return;
#pragma unroll
  for (int n = 0; n < NM; ++n)
    if (n < a.N) o.da[cell * a.N + n] = da[n];
  o.dd[cell] = dsk;
  o.dbias[cell] = dbi;
}

// dB and dC: sum the per-32-channel-block partials in block order.
__global__ void reduce_bc(const float* __restrict__ pb, const float* __restrict__ pc, int64_t blocks, int64_t bln,
                          float* __restrict__ db, float* __restrict__ dc) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= bln) return;
  float sb = 0.f, sc = 0.f;
  for (int64_t w = 0; w < blocks; ++w) {
    sb += pb[w * bln + i];
    sc += pc[w * bln + i];
  }
  db[i] = sb;
  dc[i] = sc;
}

// One thread per (d, n) (n < max(N, 1)): dA_log[d, n] = A·Σ_{b, seg} da; n = 0 also sums dD and dbias.
__global__ void reduce_chan(const float* __restrict__ a_log, const float* __restrict__ da, const float* __restrict__ dd,
                            const float* __restrict__ dbias_part, int64_t B, int64_t D, int64_t N, int64_t nseg,
                            float* __restrict__ da_log, float* __restrict__ dskip, float* __restrict__ dbias) {
  const int64_t nn = N > 0 ? N : 1;
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= D * nn) return;
  const int64_t d = i / nn, n = i % nn;
  float s = 0.f, sd = 0.f, sbias = 0.f;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < nseg; ++j) {
      const int64_t cell = (b * D + d) * nseg + j;
      if (n < N) s += da[cell * N + n];
      if (n == 0) sd += dd[cell], sbias += dbias_part[cell];
    }
  if (n < N) da_log[d * N + n] = s * (float)(-exp((double)a_log[d * N + n]));  // dA/da_log = A
  if (n == 0 && dskip) dskip[d] = sd;
  if (n == 0 && dbias) dbias[d] = sbias;
}

// Low-rank δ: d delta_low[b, r, t] = Σ_d w[d, r]·dδ_pre[b, d, t], summed in channel order.
__global__ void reduce_low(const float* __restrict__ w, const float* __restrict__ dpre, int64_t B, int64_t D,
                           int64_t R, int64_t L, float* __restrict__ dlow) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * R * L) return;
  const int64_t t = i % L, r = (i / L) % R, b = i / (R * L);
  float s = 0.f;
  for (int64_t d = 0; d < D; ++d) s = fmaf(w[d * R + r], dpre[(b * D + d) * L + t], s);
  dlow[i] = s;
}

constexpr int RED_THREADS = 256;

// Low-rank δ: d w[d, r] = Σ_{b, t} dδ_pre[b, d, t]·low[b, r, t]; one block per (d, r), fixed-shape tree.
template <typename T>
__global__ void reduce_dtw(const T* __restrict__ low, const float* __restrict__ dpre, int64_t B, int64_t D, int64_t R,
                           int64_t L, float* __restrict__ dw) {
  __shared__ float part[RED_THREADS];
  const int64_t d = blockIdx.x / R, r = blockIdx.x % R;
  float s = 0.f;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = threadIdx.x; t < L; t += RED_THREADS)
      s = fmaf(dpre[(b * D + d) * L + t], ld(low, (b * R + r) * L + t), s);
  part[threadIdx.x] = s;
  __syncthreads();
  for (int o = RED_THREADS / 2; o > 0; o /= 2) {
    if (threadIdx.x < o) part[threadIdx.x] += part[threadIdx.x + o];
    __syncthreads();
  }
  if (threadIdx.x == 0) dw[blockIdx.x] = part[0];
}

}  // namespace seq2exp_cuda
