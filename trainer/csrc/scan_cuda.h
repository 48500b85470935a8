// C API of the CUDA selective scan (scan_cuda.cu), called by the autograd node (scan_autograd_cuda.cpp).
// Same layout and semantics as the Rust kernel (models/src/scan/mod.rs): u, delta, z, y [B, D, L];
// delta_low [B, R, L] with dt_weight [D, R] for a low-rank δ; a_log [D, N]; b, c [B, L, N]; d, bias [D].
// All pointers are device pointers of contiguous tensors; absent optional inputs/outputs are null.
// Data inputs (u, delta or delta_low, z, b, c) are all f32 or all bf16 (`bf16` flag); parameters
// (dt_weight, a_log, d, bias), dy, y, the checkpoints, the workspace and every gradient are f32.
// Launches are asynchronous on `stream`; a non-zero return means a bad shape or a launch error, with a
// message in `err`. No C++ exception leaves these functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

extern "C" {
struct Seq2expCudaShape {
  int64_t batch, dim, len, state, chunk, rank;  // rank 0: full δ
  int32_t bf16, softplus;
};

// Checkpoint grid [B, D, ceil(L/chunk), N]: the state before positions 0, T, 2T, … (as the Rust kernel).
int64_t seq2exp_cuda_ckpt_len(const Seq2expCudaShape* s);
// f32 elements of scratch the forward / backward need (allocated by the caller, e.g. from torch).
int64_t seq2exp_cuda_fwd_work_len(const Seq2expCudaShape* s);
int64_t seq2exp_cuda_bwd_work_len(const Seq2expCudaShape* s);

int32_t seq2exp_cuda_scan_fwd(const Seq2expCudaShape* s, const void* u, const void* delta, const float* dt_weight,
                              const float* a_log, const void* b, const void* c, const float* d, const void* z,
                              const float* bias, float* y, float* ckpt, float* work, cudaStream_t stream,
                              char* err, size_t err_len);

// Writes every gradient whose pointer is non-null except that du, ddelta (d delta_low when low-rank),
// da_log, db and dc are required, and ddt_weight when low-rank. `ckpt` comes from the forward.
int32_t seq2exp_cuda_scan_bwd(const Seq2expCudaShape* s, const void* u, const void* delta, const float* dt_weight,
                              const float* a_log, const void* b, const void* c, const float* d, const void* z,
                              const float* bias, const float* ckpt, const float* dy, float* du, float* ddelta,
                              float* ddt_weight, float* da_log, float* db, float* dc, float* dd, float* dz,
                              float* dbias, float* work, cudaStream_t stream, char* err, size_t err_len);
}
