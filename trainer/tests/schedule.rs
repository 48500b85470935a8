//! The mask's training schedule (docs/model.md, "Pretraining the generator"): masked-base pretraining of a
//! DNA-only generator before the task, the mask's warm-up (frozen while the readout fits) and its
//! learning-rate scale.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{store, train_cmd, WINDOW};
use seq2exp_models::config::{MaskConfig, MaskMode, Preset, PretrainConfig, Seq2ExpConfig, TrainConfig};
use seq2exp_trainer::checkpoint::read_weights;
use seq2exp_trainer::model::Seq2Exp;
use seq2exp_trainer::train::{check_schedule, RunConfig, RunDir};
use tch::{Device, Tensor};

/// A discovery run whose generator reads DNA alone, on the small store, with `train` merged in.
fn config(dir: &Path, name: &str, train: serde_json::Value) -> PathBuf {
    let mut json = serde_json::json!({
        "model": {
            "window": WINDOW,
            "head": { "pool_width": 1000 },
            "mask": {
                "promoter_half_width": 500,
                "discovery": { "smooth": 51, "sum_scale": 100.0, "readout": "signals", "generator_signals": false }
            }
        },
        "train": { "steps": 4, "batch_size": 2, "validate_every": 2, "fold": 1, "warmup_steps": 1 }
    });
    for (k, v) in train.as_object().unwrap() {
        json["train"][k] = v.clone();
    }
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

fn train(store: &Path, cfg: &Path, out: &Path) {
    let out = train_cmd(store, cfg, out).args(["--mode", "discovery"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn weights(path: &Path) -> HashMap<String, Tensor> {
    read_weights(path).unwrap().0.into_iter().collect()
}

/// The run's model as the trainer initialises it, before any step.
fn initial(run: &Path) -> (Seq2Exp, HashMap<String, Tensor>) {
    let cfg = RunDir::new(run).read_config().unwrap();
    tch::manual_seed(cfg.train.seed as i64);
    let model = Seq2Exp::new(&cfg.model, Device::Cpu);
    let init = model.vs.variables().into_iter().map(|(n, t)| (n, t.detach().copy())).collect();
    (model, init)
}

#[test]
fn pretraining_runs_once_and_a_rerun_after_it_ends_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = config(dir.path(), "pre", serde_json::json!({ "pretrain": { "steps": 3, "lr": 0.01 } }));
    let run = dir.path().join("run");
    train(&store, &cfg, &run);
    let dir_ = RunDir::new(&run);
    let log = std::fs::read_to_string(dir_.pretrain_log()).unwrap();
    let losses: Vec<f64> =
        log.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"].as_f64().unwrap()).collect();
    assert_eq!(losses.len(), 3);
    // Four bases: a loss near ln 4 = 1.386 at the start.
    assert!(losses.iter().all(|l| (0.5..3.0).contains(l)), "{losses:?}");

    // Pretraining moved the generator and the sequence embedding, nothing else.
    let pre = weights(&dir_.pretrained());
    let (model, init) = initial(&run);
    for (name, t) in &init {
        match pre.get(name) {
            Some(p) if name.starts_with("generator.") && name.ends_with("in_proj.weight") => {
                assert!(!p.equal(t), "{name} was not pretrained")
            }
            Some(_) => assert!(name.starts_with("generator.") || name.starts_with("seq_embed."), "{name}"),
            None => assert!(!name.starts_with("generator.") && !name.starts_with("seq_embed."), "{name} missing"),
        }
    }
    assert!(pre.keys().any(|k| k.starts_with("pretrain_head.")));
    drop(model);

    // A run killed after pretraining but before its first checkpoint reuses the pretrained weights and
    // ends where the uninterrupted run did.
    let first = weights(&dir_.last());
    let stamp = std::fs::metadata(dir_.pretrain_log()).unwrap().modified().unwrap();
    for f in [dir_.last(), dir_.best(), dir_.metrics()] {
        std::fs::remove_file(f).unwrap();
    }
    train(&store, &cfg, &run);
    assert_eq!(std::fs::metadata(dir_.pretrain_log()).unwrap().modified().unwrap(), stamp, "pretrained again");
    let second = weights(&dir_.last());
    assert_eq!(first.len(), second.len());
    for (name, t) in &first {
        assert!(t.equal(&second[name]), "{name} differs after the rerun");
    }
}

#[test]
fn the_mask_warm_up_freezes_exactly_the_mask_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    for (name, warmup, frozen) in [("all", 4, true), ("half", 2, false)] {
        let cfg = config(dir.path(), name, serde_json::json!({ "mask_warmup_steps": warmup }));
        let run = dir.path().join(name);
        train(&store, &cfg, &run);
        let last = weights(&RunDir::new(&run).last());
        let (model, init) = initial(&run);
        for (n, t) in &init {
            let same = last[n].equal(t);
            if n.starts_with("sig_embed.") {
                // Read by nothing here (the generator reads DNA alone, the readout has no predictor).
                assert!(same, "{name}: {n}");
            } else if model.is_mask_parameter(n) {
                // Every other mask tensor gets a gradient, so each moves once it is allowed to.
                assert_eq!(same, frozen, "{name}: {n}");
            } else if n.starts_with("head.mlp.") {
                assert!(!same, "{name}: the readout's {n} did not learn");
            }
        }
    }
}

#[test]
fn schedule_options_are_refused_where_they_mean_nothing() {
    let run = |mask: MaskConfig, edit: &dyn Fn(&mut TrainConfig)| {
        let mut model = Seq2ExpConfig::preset(Preset::Tiny);
        model.mask = mask;
        let mut train = TrainConfig::preset(Preset::Tiny);
        edit(&mut train);
        RunConfig { model, train, peaks: None, mask_from: None }
    };
    let pretrain = |t: &mut TrainConfig| t.pretrain = Some(PretrainConfig { steps: 10, lr: 0.01, mask_rate: 0.15 });
    let warmup = |t: &mut TrainConfig| t.mask_warmup_steps = 5;
    let mut dna_only = MaskConfig::discovery();
    dna_only.discovery.as_mut().unwrap().generator_signals = false;
    assert!(check_schedule(&run(dna_only.clone(), &pretrain)).is_ok());
    assert!(check_schedule(&run(MaskConfig::soft(), &pretrain)).is_ok());
    assert!(check_schedule(&run(dna_only, &warmup)).is_ok());
    let err = check_schedule(&run(MaskConfig::discovery(), &pretrain)).unwrap_err().to_string();
    assert!(err.contains("train.pretrain") && err.contains("generator_signals"), "{err}");
    let err = check_schedule(&run(MaskConfig::hard(), &warmup)).unwrap_err().to_string();
    assert!(err.contains("mask_warmup_steps"), "{err}");
    let mut nomask = MaskConfig::soft();
    nomask.mode = MaskMode::Nomask;
    let err = check_schedule(&run(nomask, &|t: &mut TrainConfig| t.mask_lr_scale = 0.5)).unwrap_err().to_string();
    assert!(err.contains("mask_lr_scale"), "{err}");
}
