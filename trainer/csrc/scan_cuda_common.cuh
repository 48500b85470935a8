// Shared device code of the CUDA selective scan: inputs, per-channel views, and the forward kernels.
//
// Parallel scheme (forward): the recurrence h_t = e_t ⊙ h_{t−1} + δ_t B_t u_t is linear in h, so a
// chunk's end state is P ⊙ h_start + S with P = exp(A Σ_chunk δ) and S the chunk's end state from zero.
//   1. fwd_local: one thread per (b, d, chunk) computes S and Σδ, in parallel over all chunks;
//   2. carry_pass: one thread per (b, d) walks the chunks (N multiply-adds each) and turns S into the
//      checkpoint grid (state before each chunk), the same grid as the Rust kernel;
//   3. fwd_main: one thread per (b, d, chunk) rescans its chunk from its checkpoint and writes y.
// So the GPU sees B·D·⌈L/T⌉ threads rather than B·D, at twice the forward's arithmetic.
// Thread layout: blockDim (32, WARPS): the 32 lanes of a warp are 32 consecutive channels d of one
// (batch, chunk), so rows of B and C (shared by all channels) are read once per warp (broadcast).
// u, δ and z rows are then strided by L between lanes (uncoalesced; each lane reads its own cache lines
// sequentially). A transposing load through shared memory would fix that; correctness came first.
// The N states of a channel live in registers: kernels are templated on NM ≥ N, padded lanes have
// A = B = C = 0 and stay 0.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace seq2exp_cuda {

constexpr int LANES = 32;
constexpr int WARPS = 4;
constexpr double LOG2E = 1.4426950408889634;

__device__ __forceinline__ float ld(const float* p, size_t i) { return __ldg(p + i); }
__device__ __forceinline__ float ld(const __nv_bfloat16* p, size_t i) { return __bfloat162float(p[i]); }

// ln(1 + e^x) without a threshold, as the Rust kernel.
__device__ __forceinline__ float softplus(float x) { return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x))); }
__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

// One scan's inputs. T is the data type (float or bf16); parameters are f32.
template <typename T>
struct Args {
  const T *u, *delta, *z, *b, *c;  // delta: [B, D, L], or delta_low [B, R, L] when w is set
  const float *w, *a_log, *dskip, *bias;
  int64_t B, D, L, N, R, chunk;
  bool softplus;
};

// The view of one channel (b, d): row offsets, scalar parameters, and A in registers.
template <typename T, int NM>
struct Chan {
  const Args<T>& a;
  int64_t b, d, row;  // row = (b·D + d)·L
  float skip, bias;
  float a2[NM];  // A·log2 e, so exp(δA) = 2^(δ·a2), as the Rust kernel
  float an[NM];  // A = −exp(a_log), evaluated in f64 then rounded (as the Rust kernel)

  __device__ Chan(const Args<T>& args, int64_t b_, int64_t d_) : a(args), b(b_), d(d_), row((b_ * args.D + d_) * args.L) {
    skip = a.dskip ? a.dskip[d] : 0.f;
    bias = a.bias ? a.bias[d] : 0.f;
#pragma unroll
    for (int n = 0; n < NM; ++n) {
      const double v = n < a.N ? -exp((double)a.a_log[d * a.N + n]) : 0.0;
      an[n] = (float)v;
      a2[n] = (float)(v * LOG2E);
    }
  }
  // δ_pre + bias at position t (low-rank: Σ_r w[d, r]·low[b, r, t] in order r = 0..R).
  __device__ __forceinline__ float pre(int64_t t) const {
    if (!a.w) return ld(a.delta, row + t) + bias;
    float p = 0.f;
    for (int64_t r = 0; r < a.R; ++r) p = fmaf(__ldg(a.w + d * a.R + r), ld(a.delta, (b * a.R + r) * a.L + t), p);
    return p + bias;
  }
  __device__ __forceinline__ float dt(float p) const { return a.softplus ? softplus(p) : p; }
  __device__ __forceinline__ float u(int64_t t) const { return ld(a.u, row + t); }
  // Row t of B or C into registers (0 in padded lanes).
  __device__ __forceinline__ void bc(const T* m, int64_t t, float (&out)[NM]) const {
#pragma unroll
    for (int n = 0; n < NM; ++n) out[n] = n < a.N ? ld(m, (b * a.L + t) * a.N + n) : 0.f;
  }
  // One step of the recurrence; returns δ.
  __device__ __forceinline__ float step(int64_t t, float (&h)[NM]) const {
    const float d_t = dt(pre(t));
    const float x = d_t * u(t);
    float bv[NM];
    bc(a.b, t, bv);
#pragma unroll
    for (int n = 0; n < NM; ++n) h[n] = fmaf(exp2f(d_t * a2[n]), h[n], x * bv[n]);
    return d_t;
  }
};

// (b, d, k) of this thread for a grid of (⌈K/WARPS⌉, ⌈D/32⌉, B) blocks; k is uniform within a warp.
struct Tid {
  int64_t b, d, k;
  __device__ Tid() : b(blockIdx.z), d((int64_t)blockIdx.y * LANES + threadIdx.x), k((int64_t)blockIdx.x * WARPS + threadIdx.y) {}
};

// Pass 1: per (b, d, chunk k): the chunk's end state from a zero start (into ckpt[k]) and Σδ.
template <typename T, int NM>
__global__ void fwd_local(Args<T> a, float* __restrict__ ckpt, float* __restrict__ dsum) {
  const Tid id;
  const int64_t K = (a.L + a.chunk - 1) / a.chunk;
  if (id.k >= K || id.d >= a.D) return;
  const Chan<T, NM> ch(a, id.b, id.d);
  float h[NM] = {0.f}, sum = 0.f;
  const int64_t t1 = min(a.L, (id.k + 1) * a.chunk);
  for (int64_t t = id.k * a.chunk; t < t1; ++t) sum += ch.step(t, h);
  const int64_t cell = (id.b * a.D + id.d) * K + id.k;
#pragma unroll
  for (int n = 0; n < NM; ++n)
    if (n < a.N) ckpt[cell * a.N + n] = h[n];
  dsum[cell] = sum;
}

// Pass 2 (and the backward's adjoint carries): one thread per (b, d) walks its K cells in order
// (reverse = from the last), replacing each cell's local value s_k by the carry entering it:
// c ← 0; for each k: s = grid[k]; grid[k] = c; c = exp(A·sums[k]) ⊙ c + s.
template <int NM>
__global__ void carry_pass(const float* __restrict__ a_log, int64_t B, int64_t D, int64_t N, int64_t K,
                           float* __restrict__ grid, const float* __restrict__ sums, bool reverse) {
  const int64_t bd = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (bd >= B * D) return;
  const int64_t d = bd % D;
  float a2[NM], c[NM];
#pragma unroll
  for (int n = 0; n < NM; ++n) {
    a2[n] = n < N ? (float)(-exp((double)a_log[d * N + n]) * LOG2E) : 0.f;
    c[n] = 0.f;
  }
  for (int64_t i = 0; i < K; ++i) {
    const int64_t k = reverse ? K - 1 - i : i;
    float* cell = grid + (bd * K + k) * N;
    const float s = sums[bd * K + k];
#pragma unroll
    for (int n = 0; n < NM; ++n) {
      if (n < N) {
        const float local = cell[n];
        cell[n] = c[n];
        c[n] = fmaf(exp2f(s * a2[n]), c[n], local);
      }
    }
  }
}

// Pass 3: per (b, d, chunk k): rescan from the checkpoint; y = (Σ C·h + D·u)·silu(z).
template <typename T, int NM>
__global__ void fwd_main(Args<T> a, const float* __restrict__ ckpt, float* __restrict__ y) {
  const Tid id;
  const int64_t K = (a.L + a.chunk - 1) / a.chunk;
  if (id.k >= K || id.d >= a.D) return;
  const Chan<T, NM> ch(a, id.b, id.d);
  float h[NM];
  const int64_t cell = (id.b * a.D + id.d) * K + id.k;
#pragma unroll
  for (int n = 0; n < NM; ++n) h[n] = n < a.N ? ckpt[cell * a.N + n] : 0.f;
  const int64_t t1 = min(a.L, (id.k + 1) * a.chunk);
  for (int64_t t = id.k * a.chunk; t < t1; ++t) {
    ch.step(t, h);
    float cv[NM];
    ch.bc(a.c, t, cv);
    float acc = 0.f;
#pragma unroll
    for (int n = 0; n < NM; ++n) acc = fmaf(cv[n], h[n], acc);
    float out = fmaf(ch.skip, ch.u(t), acc);
    if (a.z) {
      const float zz = ld(a.z, ch.row + t);
      out *= zz * sigmoid(zz);
    }
    y[ch.row + t] = out;
  }
}

}  // namespace seq2exp_cuda
