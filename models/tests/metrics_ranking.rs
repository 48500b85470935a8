//! Average precision against hand calculations and scikit-learn; positive fraction; mask ratio.
//!
//! The "sklearn" numbers were computed offline with scikit-learn 1.9.1
//! `average_precision_score(labels, scores)` (numpy 2.4.6), printed with `repr`. sklearn rejects
//! NaN and ±inf scores, so where a case has them the sklearn input replaces them by finite values
//! below every other score, which is the ordering `average_precision` promises.

use seq2exp_models::metrics::{average_precision, mask_ratio, positive_fraction, ApAccumulator, MaskRatioAccumulator};

fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!((actual - expected).abs() <= tol, "{actual:e} vs expected {expected:e}");
}

fn ap(scores: &[f32], labels: &[u8]) -> Option<f64> {
    let labels: Vec<bool> = labels.iter().map(|&l| l != 0).collect();
    average_precision(scores, &labels)
}

/// See `metrics_regression.rs`: (i·mult mod 2³²) / 2³², reproducible in NumPy.
fn weyl(i: u64, mult: u64) -> f64 {
    ((i * mult) % (1 << 32)) as f64 / 4_294_967_296.0
}

#[test]
fn hand_computed_case() {
    // Ranks: + − + −. Recall steps ½ at precision 1 and ½ at precision ⅔.
    let got = ap(&[0.9, 0.8, 0.7, 0.6], &[1, 0, 1, 0]).unwrap();
    assert_close(got, 0.5 + 0.5 * 2.0 / 3.0, 1e-15);
    // Both positives last: steps ½ at precision ⅓ and ½ at precision 2/4.
    let got = ap(&[0.9, 0.8, 0.7, 0.6], &[0, 0, 1, 1]).unwrap();
    assert_close(got, 0.5 / 3.0 + 0.5 * 0.5, 1e-15);
}

#[test]
fn ties_form_one_threshold() {
    let scores = [0.9, 0.8, 0.8, 0.8, 0.3, 0.3, 0.1, 0.6, 0.6, 0.2];
    let labels = [0, 1, 0, 1, 1, 0, 0, 1, 1, 0];
    // sklearn: 0.5916666666666666. By hand (P = 5): thresholds 0.8 (2 of 4 seen), 0.6 (4 of 6),
    // 0.3 (5 of 8): 2/5·1/2 + 2/5·2/3 + 1/5·5/8.
    let got = ap(&scores, &labels).unwrap();
    assert_close(got, 0.5916666666666666, 1e-15);
    assert_close(got, 0.4 * 0.5 + 0.4 * 2.0 / 3.0 + 0.2 * 5.0 / 8.0, 1e-15);
    // Breaking the tie order must not change anything: reorder within each tied group.
    let scores_r = [0.9, 0.8, 0.8, 0.8, 0.3, 0.3, 0.1, 0.6, 0.6, 0.2];
    let labels_r = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    assert_eq!(ap(&scores_r, &labels_r), Some(got));
}

#[test]
fn all_equal_scores_give_the_positive_fraction() {
    // sklearn: 0.42857142857142855 (= 3/7: a single threshold at precision P/N, recall 1).
    let labels = [0, 1, 0, 0, 1, 1, 0];
    assert_close(ap(&[0.5; 7], &labels).unwrap(), 0.42857142857142855, 1e-15);
    let bools: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
    assert_close(positive_fraction(&bools).unwrap(), 3.0 / 7.0, 1e-15);
}

#[test]
fn single_positive() {
    // sklearn: 0.25 both (1 / rank; in a tie, 1 / size of the prefix through the tie).
    assert_eq!(ap(&[0.9, 0.8, 0.7, 0.6, 0.5], &[0, 0, 0, 1, 0]), Some(0.25));
    assert_eq!(ap(&[0.9, 0.7, 0.7, 0.7, 0.1], &[0, 0, 1, 0, 0]), Some(0.25));
    assert_eq!(ap(&[0.2], &[1]), Some(1.0));
}

#[test]
fn perfect_rankings_and_missing_positives() {
    // sklearn: 1.0 for all-positive labels.
    assert_eq!(ap(&[0.3, 0.1, 0.2], &[1, 1, 1]), Some(1.0));
    let n = 10_000;
    let scores: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();
    let labels: Vec<u8> = (0..n).map(|i| u8::from(i >= n - 1234)).collect();
    assert_eq!(ap(&scores, &labels), Some(1.0));
    assert_eq!(ap(&[0.3, 0.1], &[0, 0]), None);
    assert_eq!(average_precision(&[], &[]), None);
    assert!(ApAccumulator::new().finish().is_none());
}

#[test]
fn nan_ranks_lowest_and_signed_zeros_tie() {
    let nan = f32::NAN;
    let scores = [0.4, nan, 0.9, -0.0, 0.0, -nan, 0.7, f32::NEG_INFINITY, 0.4, 0.1];
    let labels = [1, 1, 0, 1, 0, 0, 1, 0, 0, 1];
    // sklearn with NaN → −10 and −inf → −5: 0.5342857142857143.
    assert_close(ap(&scores, &labels).unwrap(), 0.5342857142857143, 1e-15);
    // If −0.0 ranked above +0.0 the answer would differ: swap their labels and compare.
    let labels_swapped = [1, 1, 0, 0, 1, 0, 1, 0, 0, 1];
    assert_eq!(ap(&scores, &labels_swapped), ap(&scores, &labels));
}

#[test]
fn input_order_does_not_matter_bit_for_bit() {
    let n = 50_000u64;
    let scores: Vec<f32> = (0..n).map(|i| ((weyl(i, 2_654_435_761) * 50.0).floor() / 50.0) as f32).collect();
    let labels: Vec<bool> = (0..n).map(|i| weyl(i, 3_266_489_917) < 0.3 * weyl(i, 2_654_435_761)).collect();
    let fwd = average_precision(&scores, &labels).unwrap();
    let rs: Vec<f32> = scores.iter().rev().copied().collect();
    let rl: Vec<bool> = labels.iter().rev().copied().collect();
    assert_eq!(average_precision(&rs, &rl).unwrap().to_bits(), fwd.to_bits());
}

/// 10⁶ bases, 1000 distinct scores (heavy ties), every 997th score NaN, labels correlated with
/// the score. NumPy: `s = (floor(u1*1000)/1000).astype(float32)`, `lab = u3 < 0.02 + 0.2*u1`.
fn large_case() -> (Vec<f32>, Vec<bool>) {
    (0..1_000_000u64)
        .map(|i| {
            let (u1, u3) = (weyl(i, 2_654_435_761), weyl(i, 3_266_489_917));
            let s = if i % 997 == 0 { f32::NAN } else { ((u1 * 1000.0).floor() / 1000.0) as f32 };
            (s, u3 < 0.02 + 0.2 * u1)
        })
        .unzip()
}

#[test]
fn large_input_matches_sklearn_and_the_accumulator_exactly() {
    let (scores, labels) = large_case();
    let one_shot = average_precision(&scores, &labels).unwrap();
    // sklearn with the NaN scores set to −1: 0.1838139454365289; 120004 positives.
    assert_close(one_shot, 0.1838139454365289, 1e-12);
    assert_close(positive_fraction(&labels).unwrap(), 0.120004, 1e-15);

    // Genes of uneven lengths, appended in order and then in reverse gene order.
    let lens = [1usize, 0, 17, 200_000, 3, 99_999, 150_000];
    let mut bounds = vec![0];
    for len in lens.iter().cycle() {
        let end = (bounds.last().unwrap() + len).min(scores.len());
        bounds.push(end);
        if end == scores.len() {
            break;
        }
    }
    let mut fwd = ApAccumulator::new();
    let mut rev = ApAccumulator::with_capacity(scores.len());
    for w in bounds.windows(2) {
        fwd.extend(&scores[w[0]..w[1]], &labels[w[0]..w[1]]);
    }
    for w in bounds.windows(2).rev() {
        for i in w[0]..w[1] {
            rev.push(scores[i], labels[i]);
        }
    }
    assert_eq!((fwd.len(), fwd.n_positives()), (1_000_000, 120_004));
    assert_eq!(fwd.positive_fraction(), positive_fraction(&labels));
    assert_eq!(fwd.finish().unwrap().to_bits(), one_shot.to_bits());
    assert_eq!(rev.finish().unwrap().to_bits(), one_shot.to_bits());
}

#[test]
fn binary_hard_mask_scores() {
    // A 0/1 mask has two thresholds: AP = R₁·P₁ + (1 − R₁)·P_all, counted here independently.
    let n = 1_000_000u64;
    let mask: Vec<f32> = (0..n).map(|i| f32::from(u8::from(weyl(i, 2_246_822_519) < 0.07))).collect();
    let truth: Vec<bool> =
        (0..n).map(|i| weyl(i, 3_266_489_917) < if mask[i as usize] == 1.0 { 0.6 } else { 0.05 }).collect();
    let (mut tp1, mut sel, mut pos) = (0u64, 0u64, 0u64);
    for (&m, &t) in mask.iter().zip(&truth) {
        sel += u64::from(m == 1.0);
        tp1 += u64::from(m == 1.0 && t);
        pos += u64::from(t);
    }
    let r1 = tp1 as f64 / pos as f64;
    let expected = r1 * (tp1 as f64 / sel as f64) + (1.0 - r1) * (pos as f64 / n as f64);
    assert_close(average_precision(&mask, &truth).unwrap(), expected, 1e-14);
}

#[test]
#[should_panic(expected = "differ in length")]
fn length_mismatch_panics() {
    average_precision(&[0.5, 0.2], &[true]);
}

#[test]
fn positive_fraction_and_mask_ratio() {
    assert_eq!(positive_fraction(&[true, false, false, true, false]), Some(0.4));
    assert_eq!(positive_fraction(&[]), None);

    // ≥ threshold is selected; NaN is not (but counts as a base).
    let soft = [0.0, 0.49, 0.5, 0.51, 1.0, f32::NAN, 0.2, 0.9];
    assert_eq!(mask_ratio(&soft, 0.5), Some(0.5));
    assert_eq!(mask_ratio(&[0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 0.5), Some(0.3));
    assert_eq!(mask_ratio(&[], 0.5), None);

    // Pooled over genes (2 of 10 bases), not the mean of per-gene ratios (½ · (1 + 0)).
    let mut acc = MaskRatioAccumulator::new(0.5);
    assert_eq!(acc.ratio(), None);
    acc.push(&[1.0, 0.7]);
    acc.push(&[0.0; 8]);
    assert_eq!((acc.selected(), acc.total(), acc.ratio()), (2, 10, Some(0.2)));
}
