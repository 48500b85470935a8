//! The Rust kernel behind the C++ autograd node: `extern "C"` entry points over raw buffers. Nothing may
//! unwind across this boundary, so each body runs under `catch_unwind` and reports errors as a code plus
//! a message written into the caller's buffer.
//!
//! δ travels through one pointer in either form: `delta` is `[B, D, L]` when `shape.rank` is 0, else it is
//! delta_low `[B, R, L]` and `dt_weight` `[D, R]` is set; its gradient (`ddelta`, `ddt_weight`) likewise.

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use seq2exp_models::scan::{
    checkpoint_len, scan_backward, scan_forward, Delta, DeltaGrad, ScanDims, ScanFloat, ScanGrads, ScanInputs,
};

/// Mirrors `Seq2expScanShape` in csrc/scan_autograd.cpp.
#[repr(C)]
pub struct Seq2expScanShape {
    batch: i64,
    dim: i64,
    len: i64,
    state: i64,
    chunk: i64,
    /// R of a low-rank δ; 0 for a full one.
    rank: i64,
    is_f64: i32,
    softplus: i32,
}

impl Seq2expScanShape {
    fn dims(&self) -> ScanDims {
        ScanDims {
            batch: self.batch as usize,
            dim: self.dim as usize,
            len: self.len as usize,
            state: self.state as usize,
        }
    }
}

fn write_err(err: *mut c_char, len: usize, msg: &str) {
    if err.is_null() || len == 0 {
        return;
    }
    let n = msg.len().min(len - 1);
    // SAFETY: the caller provides `len` writable bytes at `err`.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr(), err as *mut u8, n);
        *err.add(n) = 0;
    }
}

fn guarded(err: *mut c_char, err_len: usize, body: impl FnOnce() -> Result<(), String>) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => 0,
        Ok(Err(msg)) => {
            write_err(err, err_len, &msg);
            1
        }
        Err(_) => {
            write_err(err, err_len, "panic in the selective-scan kernel");
            2
        }
    }
}

/// # Safety
/// Pointers must be valid for the lengths implied by the shape (null for absent optional inputs).
unsafe fn slice<'a, T>(p: *const c_void, n: usize) -> Option<&'a [T]> {
    (!p.is_null()).then(|| std::slice::from_raw_parts(p as *const T, n))
}

unsafe fn slice_mut<'a, T>(p: *mut c_void, n: usize) -> Option<&'a mut [T]> {
    (!p.is_null()).then(|| std::slice::from_raw_parts_mut(p as *mut T, n))
}

struct Raw {
    u: *const c_void,
    delta: *const c_void,
    dt_weight: *const c_void,
    a_log: *const c_void,
    b: *const c_void,
    c: *const c_void,
    d: *const c_void,
    z: *const c_void,
    bias: *const c_void,
}

unsafe fn inputs<'a, T: ScanFloat>(s: &Seq2expScanShape, r: &Raw) -> Result<ScanInputs<'a, T>, String> {
    let d = s.dims();
    let bdl = d.batch * d.dim * d.len;
    let bln = d.batch * d.len * d.state;
    let need = |p: Option<&'a [T]>, what: &str| p.ok_or_else(|| format!("{what} is null"));
    let rank = s.rank as usize;
    let delta = match rank {
        0 => Delta::Full(need(slice(r.delta, bdl), "delta")?),
        _ => Delta::LowRank {
            low: need(slice(r.delta, d.batch * rank * d.len), "delta_low")?,
            weight: need(slice(r.dt_weight, d.dim * rank), "dt_weight")?,
            rank,
        },
    };
    Ok(ScanInputs {
        u: need(slice(r.u, bdl), "u")?,
        delta,
        a_log: need(slice(r.a_log, d.dim * d.state), "a_log")?,
        b: need(slice(r.b, bln), "b")?,
        c: need(slice(r.c, bln), "c")?,
        d_skip: slice(r.d, d.dim),
        z: slice(r.z, bdl),
        delta_bias: slice(r.bias, d.dim),
        delta_softplus: s.softplus != 0,
    })
}

unsafe fn forward<T: ScanFloat>(
    s: &Seq2expScanShape,
    r: &Raw,
    y: *mut c_void,
    ckpt: *mut c_void,
) -> Result<(), String> {
    let d = s.dims();
    let x = inputs::<T>(s, r)?;
    let y = slice_mut::<T>(y, d.batch * d.dim * d.len).ok_or("y is null")?;
    let n_ckpt = checkpoint_len(d, s.chunk as usize).map_err(|e| e.to_string())?;
    let ckpt = slice_mut::<T>(ckpt, n_ckpt);
    scan_forward(d, &x, y, ckpt, s.chunk as usize).map_err(|e| e.to_string())
}

#[no_mangle]
pub extern "C" fn seq2exp_scan_ckpt_len(s: *const Seq2expScanShape) -> i64 {
    // SAFETY: the C++ caller passes a valid shape.
    let s = unsafe { &*s };
    checkpoint_len(s.dims(), s.chunk as usize).map_or(-1, |n| n as i64)
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn seq2exp_scan_fwd(
    s: *const Seq2expScanShape,
    u: *const c_void,
    delta: *const c_void,
    dt_weight: *const c_void,
    a_log: *const c_void,
    b: *const c_void,
    c: *const c_void,
    d: *const c_void,
    z: *const c_void,
    bias: *const c_void,
    y: *mut c_void,
    ckpt: *mut c_void,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    guarded(err, err_len, || {
        // SAFETY: the C++ node passes contiguous tensors of the shapes in `s`.
        let s = unsafe { &*s };
        let r = Raw { u, delta, dt_weight, a_log, b, c, d, z, bias };
        unsafe {
            if s.is_f64 != 0 {
                forward::<f64>(s, &r, y, ckpt)
            } else {
                forward::<f32>(s, &r, y, ckpt)
            }
        }
    })
}

struct RawGrads {
    du: *mut c_void,
    ddelta: *mut c_void,
    ddt_weight: *mut c_void,
    da_log: *mut c_void,
    db: *mut c_void,
    dc: *mut c_void,
    dd: *mut c_void,
    dz: *mut c_void,
    dbias: *mut c_void,
}

unsafe fn backward<T: ScanFloat>(
    s: &Seq2expScanShape,
    r: &Raw,
    ckpt: *const c_void,
    dy: *const c_void,
    g: &RawGrads,
) -> Result<(), String> {
    let d = s.dims();
    let bdl = d.batch * d.dim * d.len;
    let bln = d.batch * d.len * d.state;
    let x = inputs::<T>(s, r)?;
    let n_ckpt = checkpoint_len(d, s.chunk as usize).map_err(|e| e.to_string())?;
    let ckpt = slice::<T>(ckpt, n_ckpt).ok_or("checkpoints are null")?;
    let dy = slice::<T>(dy, bdl).ok_or("dy is null")?;
    let rank = s.rank as usize;
    let ddelta = match rank {
        0 => DeltaGrad::Full(slice_mut(g.ddelta, bdl).ok_or("ddelta is null")?),
        _ => DeltaGrad::LowRank {
            low: slice_mut(g.ddelta, d.batch * rank * d.len).ok_or("ddelta_low is null")?,
            weight: slice_mut(g.ddt_weight, d.dim * rank).ok_or("ddt_weight is null")?,
        },
    };
    let mut grads = ScanGrads {
        du: slice_mut(g.du, bdl).ok_or("du is null")?,
        ddelta,
        da_log: slice_mut(g.da_log, d.dim * d.state).ok_or("da_log is null")?,
        db: slice_mut(g.db, bln).ok_or("db is null")?,
        dc: slice_mut(g.dc, bln).ok_or("dc is null")?,
        dd_skip: slice_mut(g.dd, d.dim),
        dz: slice_mut(g.dz, bdl),
        ddelta_bias: slice_mut(g.dbias, d.dim),
    };
    scan_backward(d, &x, ckpt, s.chunk as usize, dy, &mut grads).map_err(|e| e.to_string())
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn seq2exp_scan_bwd(
    s: *const Seq2expScanShape,
    u: *const c_void,
    delta: *const c_void,
    dt_weight: *const c_void,
    a_log: *const c_void,
    b: *const c_void,
    c: *const c_void,
    d: *const c_void,
    z: *const c_void,
    bias: *const c_void,
    ckpt: *const c_void,
    dy: *const c_void,
    du: *mut c_void,
    ddelta: *mut c_void,
    ddt_weight: *mut c_void,
    da_log: *mut c_void,
    db: *mut c_void,
    dc: *mut c_void,
    dd: *mut c_void,
    dz: *mut c_void,
    dbias: *mut c_void,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    guarded(err, err_len, || {
        // SAFETY: as in `seq2exp_scan_fwd`; gradient buffers match their inputs' shapes.
        let s = unsafe { &*s };
        let r = Raw { u, delta, dt_weight, a_log, b, c, d, z, bias };
        let g = RawGrads { du, ddelta, ddt_weight, da_log, db, dc, dd, dz, dbias };
        unsafe {
            if s.is_f64 != 0 {
                backward::<f64>(s, &r, ckpt, dy, &g)
            } else {
                backward::<f32>(s, &r, ckpt, dy, &g)
            }
        }
    })
}
