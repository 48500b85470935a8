//! The Beta mask maths: KL against independent numbers, sampling expectation, straight-through gradient.

use seq2exp_models::config::{MaskConfig, Preset, Seq2ExpConfig};
use seq2exp_trainer::model::{apply_overrides, beta_mean, kl_beta, sample_beta, signal_prior, straight_through};
use tch::{Device, Kind, Tensor};

#[test]
fn kl_matches_numerical_integration() {
    // KL(Beta(a, b) ‖ Beta(10, 90)) by numerical integration of p·log(p/q):
    // scipy 1.17.1, integrate.quad(lambda x: p.pdf(x)*(p.logpdf(x)-q.logpdf(x)), 0, 1) with stats.beta.
    let cases = [
        (10.0, 90.0, 0.0),
        (12.5, 30.25, 11.128457729787803),
        (2.0, 3.0, 29.222025376839785),
        (1.5, 18.8, 2.538562735500878),
        (50.0, 20.0, 84.98834108425824),
        (0.7, 0.9, 57.8938964510018),
    ];
    let a = Tensor::from_slice(&cases.map(|c| c.0)).to_kind(Kind::Double);
    let b = Tensor::from_slice(&cases.map(|c| c.1)).to_kind(Kind::Double);
    let kl = kl_beta(&a, &b, 10.0, 90.0);
    for (i, (_, _, want)) in cases.iter().enumerate() {
        let got = kl.double_value(&[i as i64]);
        assert!((got - want).abs() <= 1e-8 * want.max(1.0), "case {i}: {got} vs {want}");
    }
}

#[test]
fn sampled_mask_has_the_beta_mean_as_expectation() {
    tch::manual_seed(17);
    let n = 200_000;
    let params = [(2.0f32, 3.0f32), (5.0, 1.0), (30.0, 10.0), (10.0, 18.8)];
    for (a, b) in params {
        let alpha = Tensor::full([n], a as f64, (Kind::Float, Device::Cpu));
        let beta = Tensor::full([n], b as f64, (Kind::Float, Device::Cpu));
        let s = sample_beta(&alpha, &beta);
        let mean = s.mean(Kind::Double).double_value(&[]);
        let want = (a / (a + b)) as f64;
        let var = want * (1.0 - want) / ((a + b) as f64 + 1.0);
        let se = (var / n as f64).sqrt();
        assert!((mean - want).abs() < 4.0 * se, "Beta({a},{b}): sample mean {mean}, Beta mean {want} (se {se})");
        assert!(s.min().double_value(&[]) >= 0.0 && s.max().double_value(&[]) <= 1.0);
        assert!((beta_mean(&alpha, &beta).double_value(&[0]) - want).abs() < 1e-6);
    }
}

#[test]
fn reparameterised_sample_passes_gradients_to_both_parameters() {
    tch::manual_seed(3);
    let alpha = Tensor::full([100_000], 2.0, (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let beta = Tensor::full([100_000], 3.0, (Kind::Float, Device::Cpu)).set_requires_grad(true);
    sample_beta(&alpha, &beta).mean(Kind::Float).backward();
    // d/da E[X] = b / (a+b)² = 0.12 and d/db = −a / (a+b)² = −0.08, summed over the mean's 1/n weights.
    let (ga, gb) = (alpha.grad().sum(Kind::Double).double_value(&[]), beta.grad().sum(Kind::Double).double_value(&[]));
    assert!((ga - 0.12).abs() < 0.01, "{ga}");
    assert!((gb + 0.08).abs() < 0.01, "{gb}");
}

#[test]
fn straight_through_is_hard_forward_and_identity_backward() {
    let x = Tensor::from_slice(&[0.1f32, 0.49, 0.5, 0.9]).set_requires_grad(true);
    let w = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]);
    let y = straight_through(&x, 0.5);
    assert_eq!(Vec::<f32>::try_from(&y.detach()).unwrap(), vec![0.0, 0.0, 1.0, 1.0]);
    (&y * &w).sum(Kind::Float).backward();
    assert_eq!(Vec::<f32>::try_from(&x.grad()).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn soft_prior_is_the_closed_form() {
    let cfg = MaskConfig::soft();
    // [H3K27ac, DNase, Hi-C] → α2 = 10 + 4·H3K27ac + 4·DNase + 2·Hi-C, β2 = 18.8.
    let s = Tensor::from_slice(&[0.0f32, 0.0, 0.0, 1.0, 2.0, 0.5]).reshape([1, 2, 3]);
    let (alpha2, beta2) = signal_prior(&cfg, &s);
    let a: Vec<f32> = Vec::try_from(alpha2.flatten(0, -1)).unwrap();
    assert!((a[0] - 10.0).abs() < 1e-5 && (a[1] - (10.0 + 4.0 + 8.0 + 1.0)).abs() < 1e-5, "{a:?}");
    assert!((beta2 - 18.8).abs() < 1e-12);
    assert!(Seq2ExpConfig::preset(Preset::Paper).validate().is_ok());
}

#[test]
fn overrides_zero_the_blacklist_then_force_the_promoter() {
    let mask = Tensor::full([2, 10], 0.3, (Kind::Float, Device::Cpu));
    let mut bl = vec![0f32; 20];
    bl[1] = 1.0; // outside the promoter
    bl[5] = 1.0; // inside: the promoter wins
    let bl = Tensor::from_slice(&bl).reshape([2, 10]);
    let m: Vec<f32> = Vec::try_from(apply_overrides(&mask, Some(&bl), 2).flatten(0, -1)).unwrap();
    assert_eq!(&m[..10], &[0.3, 0.0, 0.3, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3, 0.3]);
    assert_eq!(&m[10..], &[0.3, 0.3, 0.3, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3, 0.3]);
}
