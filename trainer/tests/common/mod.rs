//! A small simulated store and a tiny configuration for the trainer's CLI tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use seq2exp_build::{build_store, BuildConfig};
use seq2exp_simulate::{simulate, SimConfig};

pub const WINDOW: u64 = 4_000;

pub fn store(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    simulate(&SimConfig::small(31), &sim).unwrap();
    let mut cfg = BuildConfig::new(
        sim.join("genome.fa"),
        sim.join("genes.gtf"),
        sim.join("expression.csv"),
        dir.join("store.h5"),
    );
    cfg.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    cfg.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    cfg.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    cfg.window = WINDOW;
    build_store(&cfg).unwrap().out
}

/// A tiny model on 4 kb windows; fold 1 (the small genome has chr1–chr3: valid chr1, test chr2).
pub fn config(dir: &Path) -> PathBuf {
    use seq2exp_models::config::{Preset, Seq2ExpConfig, TrainConfig};
    let mut model = Seq2ExpConfig::preset(Preset::Tiny);
    model.window = WINDOW as usize;
    model.head.pool_width = 1000;
    model.mask.promoter_half_width = 500;
    let mut train = TrainConfig::preset(Preset::Tiny);
    (train.steps, train.batch_size, train.validate_every, train.fold, train.warmup_steps) = (16, 2, 4, 1, 4);
    let mut model = serde_json::to_value(model).unwrap();
    // The mode comes from the preset or `--mode`; a file that also names one must agree with the flag.
    model["mask"].as_object_mut().unwrap().remove("mode");
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::json!({ "model": model, "train": train }).to_string()).unwrap();
    path
}

pub fn train_cmd(store: &Path, cfg: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainer"));
    c.args(["train", "--preset", "tiny", "--device", "cpu", "--checkpoint-every", "2"])
        .arg("--store")
        .arg(store)
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// `trainer export` of `run` to `out` in `flavour`, parity-checked on 3 genes of `store`.
pub fn export_cli(run: &Path, out: &Path, flavour: &str, store: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["export", "--flavour", flavour, "--genes", "3", "--threads", "2"])
        .arg("--run")
        .arg(run)
        .arg("--out")
        .arg(out)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert!(o.status.success(), "export {flavour}: {}", String::from_utf8_lossy(&o.stderr));
    eprintln!("{}", String::from_utf8_lossy(&o.stdout));
    assert!(out.exists() && no_temporary_file(out));
}

/// No `.NAME.tmp-PID` sibling of `out` (the atomic writer's temporary file) is left.
pub fn no_temporary_file(out: &Path) -> bool {
    let prefix = format!(".{}.tmp-", out.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with(&prefix))
}

pub const BENCHMARK_WINDOW: u64 = 8_000;

/// The simulated benchmark of the mask and links tests, at `dir/sim` with its store `dir/store.h5`:
/// 23 chromosomes × 16 genes, elements within ±4 kb, 1–2 causal elements (8-mer × 6) and one decoy of
/// each kind per gene.
pub fn benchmark_store(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    let cfg = SimConfig {
        seed: 11,
        genes_per_chrom: 16,
        gene_spacing: 20_000,
        design_window: BENCHMARK_WINDOW,
        effect_range: BENCHMARK_WINDOW / 2,
        causal_per_gene: (1, 2),
        open_decoys_per_gene: 1,
        motif_decoys_per_gene: 1,
        motif_length: 8,
        motif_copies: 6,
        ..SimConfig::default()
    };
    simulate(&cfg, &sim).unwrap();
    let mut b = BuildConfig::new(
        sim.join("genome.fa"),
        sim.join("genes.gtf"),
        sim.join("expression.csv"),
        dir.join("store.h5"),
    );
    b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    b.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    b.features = Some(sim.join("features.csv"));
    b.blacklist = Some(sim.join("blacklist.bed"));
    b.window = BENCHMARK_WINDOW;
    build_store(&b).unwrap().out
}

/// A synthetic model input of `b` genes × `l` bases, 3 signals and 9 features: DNA codes 0..4 shifted by
/// `dna_seed`, and signals in blocks of 4.0 and 0.1 whose pattern shifts with `signal_seed`.
pub fn toy_input(b: usize, l: usize, dna_seed: i64, signal_seed: usize) -> seq2exp_trainer::model::ModelInput {
    use tch::Tensor;
    let dna: Vec<i64> = (0..b * l).map(|i| (i as i64 * 7 + dna_seed + i as i64 / 11) % 5).collect();
    let signals: Vec<f32> =
        (0..b * l * 3).map(|i| if (i / 3 + 13 * (i / (3 * l)) + signal_seed) % 19 < 7 { 4.0 } else { 0.1 }).collect();
    let features: Vec<f32> = (0..b * 9).map(|i| 0.1 * (i % 7) as f32 - 0.3).collect();
    seq2exp_trainer::model::ModelInput {
        dna: Tensor::from_slice(&dna).reshape([b as i64, l as i64]),
        signals: Tensor::from_slice(&signals).reshape([b as i64, l as i64, 3]),
        features: Tensor::from_slice(&features).reshape([b as i64, 9]),
        blacklist: None,
        peaks: None,
    }
}
