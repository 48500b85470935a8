//! Hard-mask inference compacts (docs/model.md, "Mask"): the tch forward (Pass::Eval) equals running the
//! predictor by hand on the gathered selected bases and pooling the selected bases of the centre window,
//! and differs from the uncompacted zero-vector forward.

use seq2exp_models::config::{MaskConfig, Preset, Seq2ExpConfig};
use seq2exp_trainer::model::{ModelInput, Pass, Seq2Exp};
use tch::{Device, Kind, Tensor};

const L: usize = 256;
const B: usize = 2;

fn config(pool_width: usize) -> Seq2ExpConfig {
    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.window = L;
    c.head.pool_width = pool_width;
    c.mask = MaskConfig::hard();
    c.mask.promoter_half_width = 16;
    c
}

/// Sparse signal peaks (so the hard mask selects some bases and not others) and two blacklisted runs.
fn input() -> ModelInput {
    let dna: Vec<i64> = (0..B * L).map(|i| ((i * 7 + i / 11) % 5) as i64).collect();
    let signals: Vec<f32> =
        (0..B * L * 3).map(|i| if (i / 3 + 17 * (i / (3 * L))) % 23 < 9 { 6.0 } else { 0.05 }).collect();
    let blacklist: Vec<f32> = (0..B * L)
        .map(|i| if (20..40).contains(&(i % L)) || (150..160).contains(&(i % L)) { 1.0 } else { 0.0 })
        .collect();
    let features: Vec<f32> = (0..B * 9).map(|i| 0.1 * (i % 7) as f32 - 0.3).collect();
    ModelInput {
        dna: Tensor::from_slice(&dna).reshape([B as i64, L as i64]),
        signals: Tensor::from_slice(&signals).reshape([B as i64, L as i64, 3]),
        features: Tensor::from_slice(&features).reshape([B as i64, 9]),
        blacklist: Some(Tensor::from_slice(&blacklist).reshape([B as i64, L as i64])),
        peaks: None,
    }
}

/// The predictor input before masking, `[B, L, d]`, from the model's embedding weights.
fn embedding(net: &Seq2Exp, x: &ModelInput) -> Tensor {
    let v = net.vs.variables();
    let onehot = x.dna.one_hot(5).narrow(-1, 0, 4).to_kind(Kind::Float);
    onehot.linear(&v["seq_embed.weight"], Some(&v["seq_embed.bias"]))
        + x.signals.linear(&v["sig_embed.weight"], Some(&v["sig_embed.bias"]))
}

fn max_abs(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn compacted_inference_equals_the_predictor_on_the_gathered_bases() {
    // 32 = the promoter (TSS ± 16); 96 = a window that also holds unselected bases.
    for pool_width in [32, 96] {
        tch::manual_seed(5);
        let cfg = config(pool_width);
        let net = Seq2Exp::new(&cfg, Device::Cpu);
        tch::no_grad(|| {
            // Non-zero embedding biases, so zero vectors and absent bases differ as much as they can.
            let v = net.vs.variables();
            v["seq_embed.bias"]
                .shallow_clone()
                .copy_(&(Tensor::arange(cfg.d_model() as i64, (Kind::Float, Device::Cpu)) * 0.05 - 0.4));
        });
        let x = input();
        let out = tch::no_grad(|| net.forward(&x, Pass::Eval));
        let mask = out.mask.as_ref().unwrap();
        let mask_v: Vec<f32> = Vec::try_from(mask.flatten(0, -1)).unwrap();
        assert!(mask_v.iter().all(|&m| m == 0.0 || m == 1.0), "hard mask must be binary");
        let selected = mask_v.iter().filter(|&&m| m == 1.0).count();
        assert!(selected > B * 40 && selected < B * (L - 40), "mask selects {selected} of {} bases: vacuous", B * L);

        let emb = embedding(&net, &x);
        let predictor = net.predictor().unwrap();
        let start = (L - pool_width) / 2;
        let pooled: Vec<Tensor> = (0..B)
            .map(|b| {
                let idx: Vec<i64> = (0..L).filter(|&p| mask_v[b * L + p] == 1.0).map(|p| p as i64).collect();
                let hidden = tch::no_grad(|| {
                    predictor.forward(&emb.get(b as i64).index_select(0, &Tensor::from_slice(&idx)).unsqueeze(0))
                })
                .get(0);
                // Compacted positions whose original base lies in the pooled window.
                let inside: Vec<i64> = idx
                    .iter()
                    .enumerate()
                    .filter(|(_, &p)| (start as i64..(start + pool_width) as i64).contains(&p))
                    .map(|(j, _)| j as i64)
                    .collect();
                hidden.index_select(0, &Tensor::from_slice(&inside)).mean_dim([0].as_slice(), false, Kind::Float)
            })
            .collect();
        let by_hand = tch::no_grad(|| net.head.forward(&Tensor::stack(&pooled, 0), &x.features));
        let d = max_abs(&out.pred, &by_hand);
        assert!(d <= 1e-5, "pool {pool_width}: forward {:?} vs by hand {:?}", out.pred, by_hand);

        let zero_vectors = tch::no_grad(|| {
            net.head.forward(&net.head.pool(&predictor.forward(&(&emb * mask.unsqueeze(-1)))), &x.features)
        });
        let d = max_abs(&out.pred, &zero_vectors);
        assert!(d > 1e-4, "pool {pool_width}: compacted and zero-vector forwards agree ({d}): the test is vacuous");
    }
}
