//! MSE, MAE, Pearson r and R² against hand calculations and against NumPy / SciPy / scikit-learn.
//!
//! The "sklearn" numbers were computed offline (numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1) with
//! `mean_squared_error(t, p)`, `mean_absolute_error(t, p)`, `scipy.stats.pearsonr(p, t).statistic`
//! and `r2_score(t, p)`, printed with `repr`.

use seq2exp_models::metrics::{regression_metrics, RegressionAccumulator, RegressionMetrics};

/// |actual − expected| ≤ tol · max(1, |expected|).
fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    let err = (actual - expected).abs();
    assert!(err <= tol * expected.abs().max(1.0), "{what}: {actual:e} vs expected {expected:e} (err {err:e})");
}

fn assert_metrics(m: &RegressionMetrics, mse: f64, mae: f64, pearson: f64, r2: f64, tol: f64) {
    assert_close(m.mse, mse, tol, "mse");
    assert_close(m.mae, mae, tol, "mae");
    assert_close(m.pearson, pearson, tol, "pearson");
    assert_close(m.r2, r2, tol, "r2");
}

/// Weyl-sequence value in [0, 1): (i·mult mod 2³²) / 2³², exactly reproducible in NumPy as
/// `((i.astype(uint64) * uint64(mult)) % uint64(2**32)).astype(float64) / 2.0**32`.
fn weyl(i: u64, mult: u64) -> f64 {
    ((i * mult) % (1 << 32)) as f64 / 4_294_967_296.0
}

const SMALL_P: [f32; 12] = [0.5, 1.25, -0.75, 2.0, 3.5, 0.0, 1.0, 2.25, -1.5, 4.0, 0.75, 1.5];
const SMALL_T: [f32; 12] = [0.25, 1.5, -0.5, 2.5, 3.0, 0.5, 0.75, 2.0, -1.0, 3.25, 1.25, 1.0];
// sklearn / scipy on SMALL_P, SMALL_T (see the module docs).
const SMALL_MSE: f64 = 0.19791666666666666;
const SMALL_MAE: f64 = 0.4166666666666667;
const SMALL_PEARSON: f64 = 0.9675128964510225;
const SMALL_R2: f64 = 0.8764897074756229;

#[test]
fn hand_computed_case() {
    // Errors 0, 0, 0, −1. mean p = 2.5, mean t = 2.75; deviations p: −1.5 −.5 .5 1.5,
    // t: −1.75 −.75 .25 2.25 → Σdp·dt = 6.5, Σdp² = 5, Σdt² = SST = 8.75.
    let m = regression_metrics(&[1.0f32, 2.0, 3.0, 4.0], &[1.0f32, 2.0, 3.0, 5.0]);
    assert_eq!((m.n, m.n_skipped), (4, 0));
    assert_metrics(&m, 0.25, 0.25, 6.5 / (5.0f64 * 8.75).sqrt(), 1.0 - 1.0 / 8.75, 1e-15);
}

#[test]
fn matches_sklearn_on_a_small_case() {
    let m = regression_metrics(&SMALL_P, &SMALL_T);
    assert_eq!(m.n, 12);
    assert_metrics(&m, SMALL_MSE, SMALL_MAE, SMALL_PEARSON, SMALL_R2, 1e-14);
    // f64 inputs give the same numbers (the values are exact in f32).
    let p64: Vec<f64> = SMALL_P.iter().map(|&x| x.into()).collect();
    let t64: Vec<f64> = SMALL_T.iter().map(|&x| x.into()).collect();
    assert_eq!(regression_metrics(&p64, &t64), m);
}

#[test]
fn nan_pairs_are_skipped_and_counted() {
    // SMALL with NaN pairs spliced in: pred NaN, target NaN, both NaN, and one at each end.
    let mut p = Vec::new();
    let mut t = Vec::new();
    let nan = f32::NAN;
    let spliced = [(0, nan, 1.0), (3, 2.0, nan), (7, nan, nan), (12, 0.5, nan)];
    let mut k = 0;
    for i in 0..=SMALL_P.len() {
        while k < spliced.len() && spliced[k].0 == i {
            p.push(spliced[k].1);
            t.push(spliced[k].2);
            k += 1;
        }
        if i < SMALL_P.len() {
            p.push(SMALL_P[i]);
            t.push(SMALL_T[i]);
        }
    }
    let m = regression_metrics(&p, &t);
    assert_eq!((m.n, m.n_skipped), (12, 4));
    assert_metrics(&m, SMALL_MSE, SMALL_MAE, SMALL_PEARSON, SMALL_R2, 1e-14);
}

#[test]
fn constant_predictions_have_no_pearson() {
    let p = [2.0f32; 12];
    let m = regression_metrics(&p, &SMALL_T);
    assert!(m.pearson.is_nan(), "pearson {}", m.pearson);
    // sklearn: mean_squared_error, mean_absolute_error, r2_score(SMALL_T, [2.0] * 12).
    assert_close(m.mse, 2.2291666666666665, 1e-14, "mse");
    assert_close(m.mae, 1.25, 1e-14, "mae");
    assert_close(m.r2, -0.39111592632719394, 1e-14, "r2");
}

#[test]
fn constant_targets_have_no_pearson_and_no_r2() {
    let m = regression_metrics(&[1.0f32, 2.0, 3.0], &[2.0f32, 2.0, 2.0]);
    assert!(m.pearson.is_nan() && m.r2.is_nan(), "{m:?}");
    assert_close(m.mse, 2.0 / 3.0, 1e-15, "mse");
    assert_close(m.mae, 2.0 / 3.0, 1e-15, "mae");
}

#[test]
fn perfect_and_reversed_predictions() {
    let m = regression_metrics(&SMALL_T, &SMALL_T);
    assert_eq!((m.mse, m.mae, m.r2), (0.0, 0.0, 1.0));
    assert_close(m.pearson, 1.0, 1e-15, "pearson");
    // p = 3 − t: perfectly anti-correlated; exact pearson −1 after the clamp at most.
    let rev: Vec<f32> = SMALL_T.iter().map(|&t| 3.0 - t).collect();
    let m = regression_metrics(&rev, &SMALL_T);
    assert_close(m.pearson, -1.0, 1e-15, "pearson");
    assert!(m.pearson >= -1.0);
}

#[test]
fn exactly_linear_data_never_gives_abs_pearson_above_one() {
    // Rounding can land r one ulp past ±1 (e.g. n = 2, or p = t with n = 4); it must not escape.
    for n in 2..40usize {
        for k in 1..50usize {
            let t: Vec<f64> = (0..n).map(|i| ((i * 7919 + k * 13) % 101) as f64 / 8.0).collect();
            for slope in [k as f64 * 0.1, 1.0, -(k as f64) * 0.3] {
                let p: Vec<f64> = t.iter().map(|&x| x * slope + 3.0).collect();
                let r = regression_metrics(&p, &t).pearson;
                assert!(r.abs() <= 1.0 && (r.abs() - 1.0).abs() < 1e-14, "n {n} k {k}: {r:e}");
                assert_eq!(r.signum(), slope.signum());
            }
        }
    }
}

#[test]
fn degenerate_sizes() {
    let empty: [f32; 0] = [];
    let m = regression_metrics(&empty, &empty);
    assert_eq!((m.n, m.n_skipped), (0, 0));
    assert!(m.mse.is_nan() && m.mae.is_nan() && m.pearson.is_nan() && m.r2.is_nan());

    let m = regression_metrics(&[f32::NAN, 1.0, f32::NAN], &[1.0f32, f32::NAN, f32::NAN]);
    assert_eq!((m.n, m.n_skipped), (0, 3));
    assert!(m.mse.is_nan() && m.r2.is_nan());

    // One pair: errors are defined, correlation and R² are not (n < 2, SST = 0).
    let m = regression_metrics(&[1.5f32], &[0.5f32]);
    assert_eq!((m.n, m.mse, m.mae), (1, 1.0, 1.0));
    assert!(m.pearson.is_nan() && m.r2.is_nan());
}

#[test]
#[should_panic(expected = "differ in length")]
fn length_mismatch_panics() {
    regression_metrics(&[1.0f32, 2.0], &[1.0f32]);
}

fn large_case() -> (Vec<f32>, Vec<f32>) {
    // NumPy: t = (5*u1).astype(float32); p = (5*u1 + 2*u2 - 1).astype(float32).
    (0..1_000_000u64)
        .map(|i| {
            let (u1, u2) = (weyl(i, 2_654_435_761), weyl(i, 2_246_822_519));
            ((5.0 * u1 + 2.0 * u2 - 1.0) as f32, (5.0 * u1) as f32)
        })
        .unzip()
}

#[test]
fn large_input_matches_numpy_and_the_accumulator_forms() {
    let (p, t) = large_case();
    let m = regression_metrics(&p, &t);
    assert_eq!(m.n, 1_000_000);
    // sklearn / scipy on the float32 arrays of `large_case`.
    assert_metrics(&m, 0.33333388613922565, 0.5000001279630687, 0.9284754246537258, 0.8399997467208966, 1e-11);

    // Streaming one pair at a time is the one-shot function, bit for bit.
    let mut acc = RegressionAccumulator::new();
    for (&pi, &ti) in p.iter().zip(&t) {
        acc.push(pi, ti);
    }
    assert_eq!(acc.finish(), m);

    // Uneven per-thread chunks merged: equal up to rounding.
    let mut merged = RegressionAccumulator::new();
    let mut start = 0;
    for (k, len) in [1usize, 7, 999, 123_456, 0, 400_000].into_iter().cycle().enumerate() {
        let end = (start + len + k).min(p.len());
        let mut part = RegressionAccumulator::new();
        part.extend(&p[start..end], &t[start..end]);
        merged.merge(&part);
        start = end;
        if start == p.len() {
            break;
        }
    }
    let mm = merged.finish();
    assert_eq!(mm.n, m.n);
    assert_metrics(&mm, m.mse, m.mae, m.pearson, m.r2, 1e-12);
}

#[test]
fn a_large_common_offset_does_not_cancel() {
    // Σx² − n·mean² would lose every digit here (Σx² ≈ 1e22, SST ≈ 2e6).
    let (p, t) = large_case();
    let mut acc = RegressionAccumulator::new();
    for (&pi, &ti) in p.iter().zip(&t) {
        acc.push(f64::from(pi) + 1e8, f64::from(ti) + 1e8);
    }
    let m = acc.finish();
    // sklearn / scipy on p.astype(float64) + 1e8, t.astype(float64) + 1e8 (two-pass in NumPy).
    assert_metrics(&m, 0.33333388613937537, 0.5000001279627979, 0.9284754246536857, 0.8399997467208513, 1e-11);

    // Exactly representable shift of SMALL: every metric is shift-invariant.
    let mut acc = RegressionAccumulator::new();
    for (&pi, &ti) in SMALL_P.iter().zip(&SMALL_T) {
        acc.push(f64::from(pi) + 1e12, f64::from(ti) + 1e12);
    }
    assert_metrics(&acc.finish(), SMALL_MSE, SMALL_MAE, SMALL_PEARSON, SMALL_R2, 1e-14);
}

#[test]
fn merge_handles_empty_sides_and_keeps_skips() {
    let mut a = RegressionAccumulator::new();
    a.push(f32::NAN, 1.0f32);
    let mut b = RegressionAccumulator::new();
    b.extend(&SMALL_P, &SMALL_T);
    b.push(1.0f32, f32::NAN);
    a.merge(&b);
    let m = a.finish();
    assert_eq!((m.n, m.n_skipped), (12, 2));
    assert_metrics(&m, SMALL_MSE, SMALL_MAE, SMALL_PEARSON, SMALL_R2, 1e-14);
    a.merge(&RegressionAccumulator::new());
    assert_eq!(a.finish(), m);
    assert!(!a.is_empty() && a.len() == 12);
}

#[test]
fn json_writes_nan_as_null() {
    let m = regression_metrics(&[1.0f32, 2.0], &[2.0f32, 2.0]);
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"n":2,"n_skipped":0,"mse":0.5,"mae":0.5,"pearson":null,"r2":null}"#);
}
