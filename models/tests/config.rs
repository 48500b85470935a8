//! Presets, validation and the checkpoint parameter list.

use seq2exp_models::config::*;

#[test]
fn paper_preset_matches_the_reference_sizes() {
    let c = Seq2ExpConfig::preset(Preset::Paper);
    c.validate().unwrap();
    assert_eq!(c.window, 200_000);
    let shapes = c.generator.parameter_shapes();
    let get =
        |n: &str| shapes.iter().find(|(k, _)| k == n).map(|(_, s)| s.clone()).unwrap_or_else(|| panic!("{n} missing"));
    assert_eq!(get("layers.0.mixer.mamba_fwd.in_proj.weight"), vec![512, 128]);
    assert_eq!(get("layers.3.mixer.mamba_rev.conv1d.weight"), vec![256, 1, 4]);
    assert_eq!(get("layers.1.mixer.mamba_fwd.x_proj.weight"), vec![40, 256]);
    assert_eq!(get("layers.1.mixer.mamba_rev.dt_proj.weight"), vec![256, 8]);
    assert_eq!(get("layers.2.mixer.mamba_fwd.A_log"), vec![256, 16]);
    assert_eq!(get("layers.2.mixer.mamba_rev.out_proj.weight"), vec![128, 256]);
    assert_eq!(get("norm_f.weight"), vec![128]);
    // 4 layers × (2 directions × 9 tensors + norm) + norm_f
    assert_eq!(shapes.len(), 4 * (2 * 9 + 1) + 1);
    // Tied projections are counted once: per stack ≈ 0.5 M parameters, two stacks + head ≈ 1.1 M.
    let tied: Vec<String> = c.generator.tied_names().into_iter().map(|(r, _)| r).collect();
    let unique: usize =
        shapes.iter().filter(|(n, _)| !tied.contains(n)).map(|(_, s)| s.iter().product::<usize>()).sum();
    assert!((450_000..600_000).contains(&unique), "{unique}");
}

#[test]
fn soft_prior_constants_match_the_closed_form() {
    // α2 = Σ w (x + m) s with x = 0 → 10; β2 = Σ w (b + m) s = 18.8 (docs/model.md).
    let m = MaskConfig::soft();
    let alpha0: f64 = m.prior_weights.iter().map(|w| w * m.prior_shift * m.prior_scale).sum();
    let beta: f64 =
        m.prior_weights.iter().zip(&m.prior_offsets).map(|(w, b)| w * (b + m.prior_shift) * m.prior_scale).sum();
    assert!((alpha0 - 10.0).abs() < 1e-12 && (beta - 18.8).abs() < 1e-12, "{alpha0} {beta}");
}

#[test]
fn impossible_configs_are_rejected_with_the_field_named() {
    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.validate().unwrap();
    c.mask.prior_weights = vec![0.5, 0.4, 0.2];
    let e = c.validate().unwrap_err();
    assert!(e.to_string().contains("prior_weights") && e.to_string().contains("sum to 1"), "{e}");

    let mut c = Seq2ExpConfig::preset(Preset::Tiny);
    c.predictor.mamba.d_state = 0;
    assert!(c.validate().unwrap_err().to_string().contains("predictor.mamba.d_state"));

    let json = serde_json::to_string(&Seq2ExpConfig::preset(Preset::Tiny))
        .unwrap()
        .replace("\"d_inner\":32", "\"d_inner\":-3");
    assert!(serde_json::from_str::<Seq2ExpConfig>(&json).is_err(), "negative sizes cannot deserialise");

    let mut t = TrainConfig::preset(Preset::Tiny);
    t.fold = 13;
    assert!(t.validate().unwrap_err().to_string().contains("fold"));
}

#[test]
fn configs_round_trip_through_json() {
    for p in [Preset::Paper, Preset::Tiny] {
        let c = Seq2ExpConfig::preset(p);
        let back: Seq2ExpConfig = serde_json::from_str(&serde_json::to_string_pretty(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}

/// A run's config.json must read back equal, or resuming the run is refused: every mode's derived
/// constants (the hard KL target 0.1·0.55/0.45, …) survive a JSON round trip exactly.
#[test]
fn every_mode_round_trips_through_json_exactly() {
    use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig};
    for preset in [Preset::Paper, Preset::Tiny] {
        for mode in [
            MaskMode::Soft,
            MaskMode::Hard,
            MaskMode::Discovery,
            MaskMode::Nomask,
            MaskMode::Peakmask,
            MaskMode::Signal,
        ] {
            let mut cfg = Seq2ExpConfig::preset(preset);
            cfg.mask = MaskConfig::for_mode(mode);
            let back: Seq2ExpConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
            assert_eq!(back, cfg, "{preset:?} {mode:?}");
        }
    }
}

/// The discovery options: a run directory written before they existed reads back with the defaults (the
/// hidden readout, a generator that reads the signals), and the alternatives round-trip by name.
#[test]
fn discovery_options_default_and_round_trip() {
    let old: DiscoveryConfig = serde_json::from_str(r#"{"smooth": 201, "sum_scale": 1000.0}"#).unwrap();
    assert_eq!(old.readout, Readout::Hidden);
    assert!(old.generator_signals);
    assert_eq!(old, MaskConfig::discovery().discovery.unwrap());
    let new: DiscoveryConfig = serde_json::from_str(
        r#"{"smooth": 201, "sum_scale": 1000.0, "readout": "signals", "generator_signals": false}"#,
    )
    .unwrap();
    assert_eq!(new.readout, Readout::Signals);
    let mut cfg = Seq2ExpConfig::preset(Preset::Tiny);
    cfg.mask = MaskConfig::discovery();
    cfg.mask.discovery = Some(new.clone());
    assert!(!cfg.mask.generator_reads_signals());
    assert!(cfg.signal_readout());
    assert_eq!(cfg.pooled_width(), cfg.signals.len());
    let back: Seq2ExpConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
    let bad = serde_json::from_str::<DiscoveryConfig>(r#"{"smooth": 201, "sum_scale": 1.0, "readout": "pool"}"#);
    assert!(bad.unwrap_err().to_string().contains("unknown variant"));
}

/// A training configuration written before the mask's schedule options existed loads with them off; each
/// out-of-range value is refused with its key named; a pretraining section round-trips.
#[test]
fn mask_schedule_options_default_off_and_are_checked() {
    let mut json = serde_json::to_value(TrainConfig::preset(Preset::Tiny)).unwrap();
    let obj = json.as_object_mut().unwrap();
    assert!(!obj.contains_key("pretrain"), "no pretraining section unless one is configured");
    obj.remove("mask_warmup_steps");
    obj.remove("mask_lr_scale");
    let old: TrainConfig = serde_json::from_value(json).unwrap();
    assert_eq!((old.pretrain.clone(), old.mask_warmup_steps, old.mask_lr_scale), (None, 0, 1.0));

    let pre: PretrainConfig = serde_json::from_value(serde_json::json!({ "steps": 100, "lr": 0.01 })).unwrap();
    assert_eq!(pre.mask_rate, 0.15);
    let with = TrainConfig { pretrain: Some(pre.clone()), ..old.clone() };
    let back: TrainConfig = serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
    assert_eq!(back, with);
    with.validate().unwrap();

    let field = |c: TrainConfig| c.validate().unwrap_err().field;
    assert_eq!(field(TrainConfig { mask_lr_scale: -0.5, ..old.clone() }), "train.mask_lr_scale");
    assert_eq!(field(TrainConfig { mask_lr_scale: f64::NAN, ..old.clone() }), "train.mask_lr_scale");
    let bad = |p: PretrainConfig| field(TrainConfig { pretrain: Some(p), ..old.clone() });
    assert_eq!(bad(PretrainConfig { steps: 0, ..pre.clone() }), "train.pretrain.steps");
    assert_eq!(bad(PretrainConfig { lr: 0.0, ..pre.clone() }), "train.pretrain.lr");
    assert_eq!(bad(PretrainConfig { mask_rate: 1.0, ..pre }), "train.pretrain.mask_rate");
}
