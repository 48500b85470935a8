//! The Snakemake workflow (`workflow/Snakefile`, local profile) on the small simulated genome: predict
//! (with masks), vep and links as 3 shards each, merged, equal to one unsharded process per command —
//! tables and run.json byte for byte, masks.h5 dataset for dataset, mask.bw value for value (pyBigWig),
//! the summaries but for their `seconds`. Needs `snakemake` in the venv scripts/setup.sh installs; a
//! missing one fails the test.

mod common;
mod shards;

use common::ok;

use std::path::{Path, PathBuf};
use std::process::Command;

use seq2exp_models::config::MaskMode;
use seq2exp_simulate::{simulate, SimConfig};

const W: usize = 4_000;

/// (command, flags, path arguments) of one single-process run.
type Job<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a Path)>);

fn snakemake() -> PathBuf {
    let python = common::venv_python();
    let bin = python.parent().unwrap().join("snakemake");
    assert!(bin.exists(), "{} does not exist: run scripts/setup.sh (it installs snakemake)", bin.display());
    bin
}

fn runtime(args: &[&str], paths: &[(&str, &Path)]) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.args(args).args(["--threads", "1", "--quiet"]);
    for (flag, p) in paths {
        c.arg(flag).arg(p);
    }
    ok(&c.env("RUST_LOG", "warn").output().unwrap());
}

#[test]
fn snakemake_local_profile_merges_to_the_single_process_run() {
    let snakemake = snakemake();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    simulate(&SimConfig::small(5), &sim).unwrap();
    let fasta = sim.join("genome.fa");
    let store = common::sim_store(&sim, &fasta, &d.join("store.h5"), W, true);
    let model = common::scaled_model(d, MaskMode::Soft, W, 11);
    let vcf = shards::write_vcf(d, &fasta, &store);
    let elements = sim.join("elements.bed");
    let out = d.join("results");

    // One process per command, with the options the workflow passes, into the directory the workflow
    // merges into (so the summaries name the same files), then moved aside.
    let single = d.join("single");
    std::fs::create_dir_all(&single).unwrap();
    let (m, s) = (("--model", model.as_path()), ("--store", store.as_path()));
    let jobs: [Job; 3] = [
        ("predict", vec!["--masks"], vec![m, s]),
        ("vep", vec!["--allow-missing-chroms"], vec![m, s, ("--vcf", &vcf), ("--fasta", &fasta)]),
        ("links", vec!["--cell-type", "K562"], vec![m, s, ("--elements", &elements)]),
    ];
    for (cmd, args, paths) in &jobs {
        let dest = out.join(cmd);
        runtime(&[&[*cmd][..], args].concat(), &[&paths[..], &[("--out", dest.as_path())]].concat());
        std::fs::rename(&dest, single.join(cmd)).unwrap();
    }

    let config = write_config(d, &out, &[&model, &store, &vcf, &fasta, &elements]);
    let workflow = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflow");
    let snake = |extra: &[&str]| {
        let o = Command::new(&snakemake)
            .arg("--snakefile")
            .arg(workflow.join("Snakefile"))
            .arg("--profile")
            .arg(workflow.join("profiles/local"))
            .arg("--directory")
            .arg(d)
            .arg("--configfile")
            .arg(&config)
            .arg("--config")
            .arg(format!("runtime={}", env!("CARGO_BIN_EXE_runtime")))
            .args(["--cores", "2"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        (o.status.success(), log)
    };
    let (success, log) = snake(&[]);
    assert!(success, "snakemake failed:\n{log}");
    for cmd in ["predict", "vep", "links"] {
        for k in 1..=3 {
            assert!(out.join(format!("{cmd}.shards/{k}/run.json")).is_file(), "no {cmd} shard {k}:\n{log}");
        }
    }

    assert_merged_equal(&single, &out);

    // Everything is up to date: a second invocation has nothing to do.
    let (success, log) = snake(&["--dry-run"]);
    assert!(success && log.contains("Nothing to be done"), "a rerun has work to do:\n{log}");
}

/// Each command's merged directory in `out` against its single-process one in `single`.
fn assert_merged_equal(single: &Path, out: &Path) {
    let (a, b) = (|cmd: &str| single.join(cmd), |cmd: &str| out.join(cmd));
    for name in ["predictions.tsv", "elements.bed", "run.json"] {
        shards::assert_same_bytes(&a("predict"), &b("predict"), name);
    }
    let masks = |dir: PathBuf| shards::masks_h5(&dir.join("masks.h5"));
    assert_eq!(masks(a("predict")), masks(b("predict")), "masks.h5");
    shards::assert_same_bigwig(&a("predict").join("mask.bw"), &b("predict").join("mask.bw"));
    for name in ["vep.tsv", "vep.parquet", "vep.warnings.tsv", "run.json"] {
        shards::assert_same_bytes(&a("vep"), &b("vep"), name);
    }
    for name in ["links.tsv", "run.json"] {
        shards::assert_same_bytes(&a("links"), &b("links"), name);
    }
    for (cmd, summary) in [("vep", "vep.summary.json"), ("links", "links.summary.json")] {
        let (x, y) = (shards::summary(&a(cmd).join(summary)), shards::summary(&b(cmd).join(summary)));
        assert_eq!(x, y, "{summary}");
    }
}

/// The workflow's config for the test: `[model, store, vcf, fasta, elements]`, 3 shards, every command
/// with the options the single runs use, one thread per job.
fn write_config(d: &Path, out: &Path, files: &[&Path; 5]) -> PathBuf {
    let [model, store, vcf, fasta, elements] = files;
    let config = d.join("test.yaml");
    let r = |key: &str, threads: usize| format!("  {key}: {{threads: {threads}, mem_mb: 1000, runtime: 10}}\n");
    let text = format!(
        "model: {}\nstore: {}\nout: {}\nshards: 3\ncommands: [predict, vep, links]\n\
         predict: {{masks: true, extra: ''}}\n\
         vep: {{vcf: {}, fasta: {}, extra: '--allow-missing-chroms'}}\n\
         links: {{elements: {}, extra: '--cell-type K562'}}\nresources:\n{}{}{}{}",
        model.display(),
        store.display(),
        out.display(),
        vcf.display(),
        fasta.display(),
        elements.display(),
        r("predict", 1),
        r("vep", 1),
        r("links", 1),
        r("merge", 1),
    );
    std::fs::write(&config, text).unwrap();
    config
}
