// Host launchers of the CUDA selective scan (API in scan_cuda.h, kernels and their scheme in
// scan_cuda_common.cuh and scan_cuda_bwd.cuh). Compiled by the trainer's build.rs with nvcc for sm_80 and
// sm_90 under the `cuda` feature; `make cuda-check` compiles it alone.
#include "scan_cuda.h"
#include "scan_cuda_bwd.cuh"
#include "scan_cuda_common.cuh"

#include <cstdio>
#include <cstring>

namespace {
using namespace seq2exp_cuda;

constexpr int64_t MAX_STATE = 64;  // largest register block instantiated below

int32_t fail(char* err, size_t len, const char* msg) {
  if (err && len > 0) {
    std::strncpy(err, msg, len - 1);
    err[len - 1] = 0;
  }
  return 1;
}

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// nullptr when the shape is usable, else why not.
const char* check_shape(const Seq2expCudaShape* s) {
  if (!s) return "null shape";
  if (s->batch < 0 || s->dim < 0 || s->len < 0 || s->state < 0 || s->rank < 0) return "negative size";
  if (s->chunk < 1) return "chunk must be >= 1";
  if (s->state > MAX_STATE) return "the CUDA scan supports at most 64 states (N)";
  if (s->batch > 65535) return "the CUDA scan supports at most 65535 sequences per batch";
  if (cdiv(s->dim, LANES) > 65535) return "too many channels for the CUDA scan";
  return nullptr;
}

int64_t n_chunks(const Seq2expCudaShape* s) { return cdiv(s->len, s->chunk); }
int64_t n_segs(const Seq2expCudaShape* s) { return cdiv(s->len, SEG); }
int64_t bdl(const Seq2expCudaShape* s) { return s->batch * s->dim * s->len; }

// Blocks of (32 channels × WARPS cells) over `cells` cells (chunks or segments) per channel.
dim3 cell_grid(const Seq2expCudaShape* s, int64_t cells) {
  return dim3((unsigned)cdiv(cells, WARPS), (unsigned)cdiv(s->dim, LANES), (unsigned)s->batch);
}
const dim3 CELL_BLOCK(LANES, WARPS);

template <typename T>
Args<T> args_of(const Seq2expCudaShape* s, const void* u, const void* delta, const float* w, const float* a_log,
                const void* b, const void* c, const float* d, const void* z, const float* bias) {
  return Args<T>{static_cast<const T*>(u), static_cast<const T*>(delta), static_cast<const T*>(z),
                 static_cast<const T*>(b), static_cast<const T*>(c), s->rank > 0 ? w : nullptr, a_log, d, bias,
                 s->batch, s->dim, s->len, s->state, s->rank, s->chunk, s->softplus != 0};
}

int32_t launch_status(char* err, size_t len) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return 0;
  char msg[256];
  std::snprintf(msg, sizeof msg, "CUDA launch failed: %s", cudaGetErrorString(e));
  return fail(err, len, msg);
}

template <typename T, int NM>
void forward(const Args<T>& a, const Seq2expCudaShape* s, float* y, float* ckpt, float* dsum, cudaStream_t st) {
  const int64_t K = n_chunks(s);
  fwd_local<T, NM><<<cell_grid(s, K), CELL_BLOCK, 0, st>>>(a, ckpt, dsum);
  const int64_t bd = s->batch * s->dim;
  carry_pass<NM><<<(unsigned)cdiv(bd, 128), 128, 0, st>>>(a.a_log, s->batch, s->dim, s->state, K, ckpt, dsum, false);
  fwd_main<T, NM><<<cell_grid(s, K), CELL_BLOCK, 0, st>>>(a, ckpt, y);
}

// The backward's scratch, carved out of one f32 workspace (lengths in seq2exp_cuda_bwd_work_len).
struct BwdWork {
  float *S, *carry, *dsum, *dbias, *pb, *pc, *dpre;
  BwdWork(const Seq2expCudaShape* s, float* w) {
    const int64_t bd = s->batch * s->dim, ns = n_segs(s), n = s->state;
    const int64_t part = cdiv(s->dim, LANES) * s->batch * s->len * n;
    S = w, carry = S + bd * ns * n, dsum = carry + bd * ns * n, dbias = dsum + bd * ns;
    pb = dbias + bd * ns, pc = pb + part, dpre = pc + part;
  }
  static int64_t len(const Seq2expCudaShape* s) {
    const int64_t bd = s->batch * s->dim, ns = n_segs(s), n = s->state;
    const int64_t part = cdiv(s->dim, LANES) * s->batch * s->len * n;
    return 2 * bd * ns * n + 2 * bd * ns + 2 * part + (s->rank > 0 ? bdl(s) : 0);
  }
};

struct Grads {
  float *du, *ddelta, *ddt_weight, *da_log, *db, *dc, *dd, *dz, *dbias;
};

template <typename T, int NM>
void backward(const Args<T>& a, const Seq2expCudaShape* s, const float* ckpt, const float* dy, const Grads& g,
              float* work, cudaStream_t st) {
  const int64_t ns = n_segs(s), bd = s->batch * s->dim;
  BwdWork w(s, work);
  bwd_states<T, NM><<<cell_grid(s, n_chunks(s)), CELL_BLOCK, 0, st>>>(a, ckpt, w.S, ns);
  bwd_local<T, NM><<<cell_grid(s, ns), CELL_BLOCK, 0, st>>>(a, dy, w.carry, w.dsum, ns);
  carry_pass<NM><<<(unsigned)cdiv(bd, 128), 128, 0, st>>>(a.a_log, s->batch, s->dim, s->state, ns, w.carry, w.dsum, true);
  float* dpre = s->rank > 0 ? w.dpre : g.ddelta;
  // The per-segment partials of dA, dD and dbias overwrite the carries and Σδ once those are read.
  const BwdOut o{g.du, dpre, g.dz, w.pb, w.pc, w.carry, w.dsum, w.dbias};
  bwd_main<T, NM><<<cell_grid(s, ns), CELL_BLOCK, 0, st>>>(a, dy, w.S, w.carry, o, ns);
  const int64_t bln = s->batch * s->len * s->state;
  if (bln > 0) reduce_bc<<<(unsigned)cdiv(bln, 256), 256, 0, st>>>(w.pb, w.pc, cdiv(s->dim, LANES), bln, g.db, g.dc);
  const int64_t chan = s->dim * (s->state > 0 ? s->state : 1);
  reduce_chan<<<(unsigned)cdiv(chan, 128), 128, 0, st>>>(a.a_log, w.carry, w.dsum, w.dbias, s->batch, s->dim,
                                                         s->state, ns, g.da_log, g.dd, g.dbias);
  if (s->rank > 0) {
    const int64_t brl = s->batch * s->rank * s->len;
    reduce_low<<<(unsigned)cdiv(brl, 256), 256, 0, st>>>(a.w, dpre, s->batch, s->dim, s->rank, s->len, g.ddelta);
    reduce_dtw<T><<<(unsigned)(s->dim * s->rank), RED_THREADS, 0, st>>>(a.delta, dpre, s->batch, s->dim, s->rank,
                                                                         s->len, g.ddt_weight);
  }
}

// Empty B·D·L: every gradient is zero (parameters' ones included), nothing to scan.
void zero_grads(const Seq2expCudaShape* s, const Grads& g, cudaStream_t st) {
  const auto z = [st](float* p, int64_t n) {
    if (p && n > 0) cudaMemsetAsync(p, 0, (size_t)n * sizeof(float), st);
  };
  const int64_t bln = s->batch * s->len * s->state;
  z(g.da_log, s->dim * s->state), z(g.db, bln), z(g.dc, bln), z(g.dd, s->dim), z(g.dbias, s->dim);
  z(g.ddt_weight, s->dim * s->rank);
  if (s->rank > 0) z(g.ddelta, s->batch * s->rank * s->len);
}

// Calls F<NM> with the smallest register block that holds N states.
template <template <int> class F, typename... A>
void by_state(int64_t n, A&&... args) {
  if (n <= 8) F<8>::run(args...);
  else if (n <= 16) F<16>::run(args...);
  else if (n <= 32) F<32>::run(args...);
  else F<64>::run(args...);
}

template <typename T>
struct Fwd {
  template <int NM>
  struct At {
    static void run(const Args<T>& a, const Seq2expCudaShape* s, float* y, float* ck, float* ds, cudaStream_t st) {
      forward<T, NM>(a, s, y, ck, ds, st);
    }
  };
};

template <typename T>
struct Bwd {
  template <int NM>
  struct At {
    static void run(const Args<T>& a, const Seq2expCudaShape* s, const float* ck, const float* dy, const Grads& g,
                    float* w, cudaStream_t st) {
      backward<T, NM>(a, s, ck, dy, g, w, st);
    }
  };
};
}  // namespace

extern "C" int64_t seq2exp_cuda_ckpt_len(const Seq2expCudaShape* s) {
  return check_shape(s) ? -1 : s->batch * s->dim * n_chunks(s) * s->state;
}

extern "C" int64_t seq2exp_cuda_fwd_work_len(const Seq2expCudaShape* s) {
  return check_shape(s) ? -1 : s->batch * s->dim * n_chunks(s);
}

extern "C" int64_t seq2exp_cuda_bwd_work_len(const Seq2expCudaShape* s) {
  return check_shape(s) ? -1 : BwdWork::len(s);
}

extern "C" int32_t seq2exp_cuda_scan_fwd(const Seq2expCudaShape* s, const void* u, const void* delta,
                                         const float* dt_weight, const float* a_log, const void* b, const void* c,
                                         const float* d, const void* z, const float* bias, float* y, float* ckpt,
                                         float* work, cudaStream_t stream, char* err, size_t err_len) {
  if (const char* why = check_shape(s)) return fail(err, err_len, why);
  if (bdl(s) == 0) return 0;
  if (!u || !delta || !a_log || !b || !c || !y || !work || (s->rank > 0 && !dt_weight) || (s->state > 0 && !ckpt))
    return fail(err, err_len, "null pointer for a required input or output");
  if (s->bf16) {
    const auto a = args_of<__nv_bfloat16>(s, u, delta, dt_weight, a_log, b, c, d, z, bias);
    by_state<Fwd<__nv_bfloat16>::template At>(s->state, a, s, y, ckpt, work, stream);
  } else {
    const auto a = args_of<float>(s, u, delta, dt_weight, a_log, b, c, d, z, bias);
    by_state<Fwd<float>::template At>(s->state, a, s, y, ckpt, work, stream);
  }
  return launch_status(err, err_len);
}

extern "C" int32_t seq2exp_cuda_scan_bwd(const Seq2expCudaShape* s, const void* u, const void* delta,
                                         const float* dt_weight, const float* a_log, const void* b, const void* c,
                                         const float* d, const void* z, const float* bias, const float* ckpt,
                                         const float* dy, float* du, float* ddelta, float* ddt_weight, float* da_log,
                                         float* db, float* dc, float* dd, float* dz, float* dbias, float* work,
                                         cudaStream_t stream, char* err, size_t err_len) {
  if (const char* why = check_shape(s)) return fail(err, err_len, why);
  const Grads g{du, ddelta, ddt_weight, da_log, db, dc, dd, dz, dbias};
  if (bdl(s) == 0) {
    zero_grads(s, g, stream);
    return launch_status(err, err_len);
  }
  if (!u || !delta || !a_log || !b || !c || !dy || !du || !ddelta || !da_log || !db || !dc || !work ||
      (s->rank > 0 && (!dt_weight || !ddt_weight)) || (s->state > 0 && !ckpt))
    return fail(err, err_len, "null pointer for a required input or gradient");
  if (s->bf16) {
    const auto a = args_of<__nv_bfloat16>(s, u, delta, dt_weight, a_log, b, c, d, z, bias);
    by_state<Bwd<__nv_bfloat16>::template At>(s->state, a, s, ckpt, dy, g, work, stream);
  } else {
    const auto a = args_of<float>(s, u, delta, dt_weight, a_log, b, c, d, z, bias);
    by_state<Bwd<float>::template At>(s->state, a, s, ckpt, dy, g, work, stream);
  }
  return launch_status(err, err_len);
}
