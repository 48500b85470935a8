//! Gradients by central finite differences in f64, independent of any hand-written adjoint:
//! loss = Σ w·y; for a random direction v of each input, (loss(x+εv) − loss(x−εv)) / 2ε must equal
//! ⟨grad, v⟩. Checked for the f64 kernel (every ISA) and for the reference's backward.

mod common;

use common::{random_vec, Case, Opts, FULL, NO_SOFTPLUS};
use seq2exp_models::scan::{reference, Isa, ScanDims};

const EPS: f64 = 1e-5;
/// Central differences have O(ε²) truncation error; with ε = 1e-5 and f64 this leaves ~1e-8.
const RTOL: f64 = 1e-6;

/// The inputs a gradient is taken for, with accessors into a case.
const INPUTS: [&str; 10] = ["u", "delta", "delta_low", "dt_weight", "a_log", "b", "c", "d_skip", "z", "delta_bias"];

/// The input `name` of `case`, or `None` when the case does not have it (absent option, or the
/// other form of δ).
fn input_mut<'a>(case: &'a mut Case<f64>, name: &str) -> Option<&'a mut Vec<f64>> {
    match name {
        "u" => Some(&mut case.u),
        "delta" => case.low_rank.is_none().then_some(&mut case.delta),
        "delta_low" => case.low_rank.as_mut().map(|lr| &mut lr.low),
        "dt_weight" => case.low_rank.as_mut().map(|lr| &mut lr.weight),
        "a_log" => Some(&mut case.a_log),
        "b" => Some(&mut case.b),
        "c" => Some(&mut case.c),
        "d_skip" => case.skip.as_mut(),
        "z" => case.z.as_mut(),
        "delta_bias" => case.bias.as_mut(),
        _ => unreachable!(),
    }
}

fn grad_of<'a>(g: &'a common::Grads<f64>, name: &str) -> &'a [f64] {
    match name {
        "u" => &g.du,
        "delta" | "delta_low" => &g.ddelta, // the gradient of whichever form δ has
        "dt_weight" => g.ddt_weight.as_deref().unwrap(),
        "a_log" => &g.da_log,
        "b" => &g.db,
        "c" => &g.dc,
        "d_skip" => &g.dd_skip,
        "z" => g.dz.as_deref().unwrap(),
        "delta_bias" => &g.ddelta_bias,
        _ => unreachable!(),
    }
}

fn loss(case: &Case<f64>, w: &[f64]) -> f64 {
    let y = reference::forward(case.dims, &case.inputs()).unwrap().y;
    y.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// Directional derivative of the loss along `v` for input `name`, by central differences.
fn fd(case: &Case<f64>, w: &[f64], name: &str, v: &[f64]) -> f64 {
    let shifted = |sign: f64| {
        let mut c = case.clone();
        for (x, d) in input_mut(&mut c, name).unwrap().iter_mut().zip(v) {
            *x += sign * EPS * d;
        }
        loss(&c, w)
    };
    (shifted(1.0) - shifted(-1.0)) / (2.0 * EPS)
}

fn check(dims: ScanDims, opts: Opts, chunk: usize, seed: u64) {
    check_case(Case::random(dims, opts, seed), chunk, seed);
}

/// Every input's gradient (kernel on each ISA, and the reference) against finite differences.
fn check_case(mut case: Case<f64>, chunk: usize, seed: u64) {
    let dims = case.dims;
    let w = random_vec(case.u.len(), seed + 1);
    let reference = reference::backward(dims, &case.inputs(), &w).unwrap();
    let (z, low) = (case.z.is_some(), case.low_rank.is_some());
    let reference = common::Grads::from_ref(reference, z, low);
    let mut kernels: Vec<(String, common::Grads<f64>)> = vec![("reference".into(), reference)];
    for isa in Isa::available() {
        kernels.push((format!("{isa:?}"), case.backward(chunk, isa, &w)));
    }
    let mut worst: f64 = 0.0;
    for (k, name) in INPUTS.iter().enumerate() {
        let Some(x) = input_mut(&mut case, name) else {
            continue;
        };
        let v = random_vec(x.len(), seed * 100 + k as u64);
        let numeric = fd(&case, &w, name, &v);
        for (who, g) in &kernels {
            let analytic: f64 = grad_of(g, name).iter().zip(&v).map(|(a, b)| a * b).sum();
            let err = (analytic - numeric).abs() / numeric.abs().max(analytic.abs()).max(1e-3);
            worst = worst.max(err);
            assert!(
                err < RTOL,
                "{who} d/d{name}: analytic {analytic} vs finite difference {numeric} ({err:.2e}) {dims:?}"
            );
        }
        eprintln!("d/d{name}: finite difference {numeric:.6e}");
    }
    eprintln!("{dims:?}: worst relative error {worst:.2e}");
}

#[test]
fn directional_derivatives_full() {
    check(ScanDims::new(2, 3, 40, 5), FULL, 16, 11);
    check(ScanDims::new(1, 2, 37, 16), FULL, 8, 12);
}

#[test]
fn directional_derivatives_no_softplus_and_multi_block() {
    check(ScanDims::new(2, 2, 30, 5), NO_SOFTPLUS, 7, 13);
    check(ScanDims::new(1, 18, 20, 20), FULL, 16, 14);
}

#[test]
fn directional_derivatives_low_rank() {
    let dims = ScanDims::new(2, 3, 40, 5);
    check_case(Case::random_low_rank(dims, FULL, 3, 15), 16, 15);
    let dims = ScanDims::new(1, 18, 20, 16); // two channel blocks
    check_case(Case::random_low_rank(dims, FULL, 8, 16), 8, 16);
    let dims = ScanDims::new(2, 2, 30, 5);
    check_case(Case::random_low_rank(dims, NO_SOFTPLUS, 2, 17), 7, 17);
}

#[test]
fn single_coordinates_low_rank() {
    let dims = ScanDims::new(2, 3, 12, 5);
    let case = Case::random_low_rank(dims, FULL, 2, 23);
    let w = random_vec(case.u.len(), 24);
    let got = case.backward(4, Isa::detect(), &w);
    // [B, R, L] = [2, 2, 12]: 5 is batch 0 row 0, 30 is batch 1 row 0, 47 is batch 1 row 1.
    for (name, idx) in [("delta_low", 5), ("delta_low", 30), ("delta_low", 47), ("dt_weight", 0), ("dt_weight", 5)] {
        let mut v = vec![0.0; grad_of(&got, name).len()];
        v[idx] = 1.0;
        let numeric = fd(&case, &w, name, &v);
        let analytic = grad_of(&got, name)[idx];
        let err = (analytic - numeric).abs() / numeric.abs().max(1e-3);
        assert!(err < RTOL, "d/d{name}[{idx}]: {analytic} vs {numeric}");
    }
}

#[test]
fn single_coordinates() {
    // A few individual entries, so that a gradient landing on the wrong index cannot hide in a
    // random projection.
    let dims = ScanDims::new(2, 2, 12, 5);
    let case = Case::random(dims, FULL, 21);
    let w = random_vec(case.u.len(), 22);
    let got = case.backward(4, Isa::detect(), &w);
    for (name, idx) in [("u", 17), ("delta", 30), ("a_log", 7), ("b", 55), ("c", 3), ("z", 44)] {
        let mut v = vec![0.0; grad_of(&got, name).len()];
        v[idx] = 1.0;
        let numeric = fd(&case, &w, name, &v);
        let analytic = grad_of(&got, name)[idx];
        let err = (analytic - numeric).abs() / numeric.abs().max(1e-3);
        assert!(err < RTOL, "d/d{name}[{idx}]: {analytic} vs {numeric}");
    }
}
