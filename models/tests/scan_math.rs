//! The f32 polynomial exp, softplus and sigmoid against f64 libm.

use seq2exp_models::scan::math::{
    exp2_f32, exp2_f32_fused, exp_f32, exp_f32_fused, sigmoid_f32, sigmoid_f32_fused, softplus_f32, softplus_f32_fused,
    EXP2_HI, EXP2_LO, EXP_HI, EXP_LO,
};

type F32Fn = fn(f32) -> f32;

/// Points spaced `step` apart over [lo, hi], plus a finer grid (1e-3) over [−1, 1].
fn dense(lo: f32, hi: f32, step: f32) -> impl Iterator<Item = f32> {
    let n = ((hi - lo) / step) as usize;
    (0..=n).map(move |i| lo + (i as f32) * step).chain((-1000..=1000).map(|i| i as f32 * 1e-3))
}

fn max_rel_err(f: F32Fn, exact: fn(f64) -> f64, xs: impl Iterator<Item = f32>) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for x in xs {
        let want = exact(x as f64);
        let got = f(x) as f64;
        assert!(!got.is_nan(), "NaN at {x}");
        let err = (got - want).abs() / want.abs();
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

#[test]
fn exp_relative_error_over_scan_range() {
    // δ·A ≤ 0 in the scan, down to far below the underflow point; positive arguments are covered
    // too because without softplus δ may be negative.
    for (name, f) in [("exp_f32", exp_f32 as F32Fn), ("exp_f32_fused", exp_f32_fused)] {
        // From ln(f32::MIN_POSITIVE): below it the true value is subnormal (see exp_limits).
        let (err, at) = max_rel_err(f, f64::exp, dense(-87.33, EXP_HI - 1e-3, 3e-5));
        eprintln!("{name}: max relative error {err:.3e} at {at}");
        assert!(err < 5e-7, "{name}: relative error {err:.3e} at x = {at}");
    }
}

#[test]
fn exp_limits() {
    for f in [exp_f32 as F32Fn, exp_f32_fused] {
        for x in [EXP_LO, -88.1, -100.0, -1e4, -1e30, f32::MIN, f32::NEG_INFINITY] {
            assert_eq!(f(x), 0.0, "exp({x})");
        }
        // Between EXP_LO and ln(f32::MIN_POSITIVE) the true value is subnormal: tiny, never NaN.
        for i in 0..=1000 {
            let x = EXP_LO + (-87.33 - EXP_LO) * i as f32 / 1000.0;
            let y = f(x);
            assert!((0.0..1.2e-38).contains(&y), "exp({x}) = {y}");
        }
        let top = f(EXP_HI);
        assert!(top.is_finite() && top > 2e38);
        for x in [88.5f32, 1e4, f32::MAX, f32::INFINITY] {
            assert_eq!(f(x), top, "exp({x}) saturates");
        }
        assert!(f(f32::NAN).is_nan());
        assert_eq!(f(0.0), 1.0);
    }
}

#[test]
fn exp2_relative_error_over_scan_range() {
    // What the scan evaluates: 2^(δ·A·log2 e), from 0 down past the underflow point.
    for (name, f) in [("exp2_f32", exp2_f32 as F32Fn), ("exp2_f32_fused", exp2_f32_fused)] {
        let (err, at) = max_rel_err(f, f64::exp2, dense(-126.0, EXP2_HI, 4e-5));
        eprintln!("{name}: max relative error {err:.3e} at {at}");
        assert!(err < 5e-7, "{name}: relative error {err:.3e} at t = {at}");
        for t in [EXP2_LO, -127.3, -200.0, -1e30, f32::NEG_INFINITY] {
            assert_eq!(f(t), 0.0, "2^{t}");
        }
        for i in 0..=1000 {
            let t = EXP2_LO + i as f32 / 1000.0;
            let y = f(t);
            assert!((0.0..1.2e-38).contains(&y), "2^{t} = {y}");
        }
        let top = f(EXP2_HI);
        assert!(top.is_finite() && top > 2e38);
        assert_eq!(f(1e9), top);
        assert!(f(f32::NAN).is_nan());
        assert_eq!(f(0.0), 1.0);
        assert_eq!(f(-3.0), 0.125);
    }
}

fn softplus64(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn softplus_relative_error() {
    for (name, f) in [("softplus_f32", softplus_f32 as F32Fn), ("softplus_f32_fused", softplus_f32_fused)] {
        // Down to −87 the result is a normal float; beyond, it is flushed to 0 (checked below).
        let (err, at) = max_rel_err(f, softplus64, dense(-87.3, 100.0, 1e-4));
        eprintln!("{name}: max relative error {err:.3e} at {at}");
        assert!(err < 1e-6, "{name}: relative error {err:.3e} at {at}");
        for x in [-88.0f32, -90.0, -1e4, f32::NEG_INFINITY] {
            assert_eq!(f(x), 0.0);
        }
        assert_eq!(f(1e30), 1e30);
        assert!(f(f32::NAN).is_nan());
    }
}

#[test]
fn sigmoid_relative_error() {
    for (name, f) in [("sigmoid_f32", sigmoid_f32 as F32Fn), ("sigmoid_f32_fused", sigmoid_f32_fused)] {
        let (err, at) = max_rel_err(f, sigmoid64, dense(-87.0, 87.0, 1e-4));
        eprintln!("{name}: max relative error {err:.3e} at {at}");
        assert!(err < 1e-6, "{name}: relative error {err:.3e} at {at}");
        for x in [-88.4f32, -1000.0, f32::NEG_INFINITY] {
            assert!((0.0..5e-39).contains(&f(x)), "sigmoid({x}) = {}", f(x));
        }
        assert_eq!(f(1000.0), 1.0);
        assert_eq!(f(f32::INFINITY), 1.0);
        assert!(f(f32::NAN).is_nan());
    }
}
