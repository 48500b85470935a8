//! `runtime merge`: predict (with masks), vep and links run once unsharded and as 3 shards on the small
//! simulated genome; the merged shards are the unsharded run's files — tables and run.json byte for byte,
//! masks.h5 dataset for dataset, mask.bw value for value through pyBigWig, the summaries but for their
//! `seconds`. Bad shard sets (missing, repeated, mixed, unfinished, overlapping) fail naming a directory.

mod common;
mod shards;

use common::ok;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use seq2exp_models::config::MaskMode;
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::Flavour;
use seq2exp_simulate::{simulate, SimConfig};
use seq2exp_store::StoreReader;

/// predict's window: TSSs are ~41 kb apart, so windows of neighbouring genes overlap, also across shards.
const WIDE: usize = 48_000;
/// vep's and links' window (as their own tests).
const NARROW: usize = 4_000;

struct Fixture {
    dir: PathBuf,
    sim: PathBuf,
    wide_store: PathBuf,
    wide_model: PathBuf,
    store: PathBuf,
    model: PathBuf,
    vcf: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("runtime-merge-") {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("runtime-merge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("narrow")).unwrap();
        let sim = dir.join("sim");
        simulate(&SimConfig::small(5), &sim).unwrap();
        let fasta = sim.join("genome.fa");
        let wide_store = common::sim_store(&sim, &fasta, &dir.join("wide.h5"), WIDE, true);
        let store = common::sim_store(&sim, &fasta, &dir.join("narrow.h5"), NARROW, true);
        // predict's own test model (its masks have runs above the element threshold).
        let mut cfg = common::config(MaskMode::Soft);
        cfg.window = WIDE;
        cfg.head.pool_width = 2000;
        cfg.mask.promoter_half_width = 500;
        let wide_model = dir.join("wide.onnx");
        let proto = build_model(&cfg, &common::weights(&cfg, 7), Flavour::Fast, &[]).unwrap();
        std::fs::write(&wide_model, to_bytes(&proto).unwrap()).unwrap();
        let model = common::scaled_model(&dir.join("narrow"), MaskMode::Soft, NARROW, 11);
        let vcf = shards::write_vcf(&dir, &fasta, &store);
        Fixture { dir, sim, wide_store, wide_model, store, model, vcf }
    })
}

fn runtime<P: AsRef<Path>>(args: &[&str], paths: &[(&str, P)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.args(args);
    for (flag, p) in paths {
        c.arg(flag).arg(p.as_ref());
    }
    c.env("RUST_LOG", "warn").output().unwrap()
}

fn merge(out: &Path, shards: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.arg("merge").arg("--out").arg(out).args(shards);
    c.env("RUST_LOG", "warn").output().unwrap()
}

/// One job run unsharded (moved to `single/` afterwards, so both ran with the same `--out`) and as 3
/// shards (`shards/k`), merged into `out/`.
struct Job {
    single: PathBuf,
    shards: Vec<PathBuf>,
    merged: PathBuf,
}

fn sharded(name: &str, args: &[&str], paths: &[(&str, &Path)]) -> Job {
    let base = fixture().dir.join(name);
    let (out, single) = (base.join("out"), base.join("single"));
    let with_out = |dir: &'_ Path| -> Vec<(&str, PathBuf)> {
        paths.iter().map(|(f, p)| (*f, p.to_path_buf())).chain([("--out", dir.to_path_buf())]).collect()
    };
    ok(&runtime(args, &with_out(&out)));
    std::fs::rename(&out, &single).unwrap();
    let shards: Vec<PathBuf> = (1..=3).map(|k| base.join(format!("shards/{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        let shard = format!("{}/3", k + 1);
        ok(&runtime(&[args, &["--shard", &shard]].concat(), &with_out(dir)));
    }
    // In reverse: merge orders shards by their index, not by the command line.
    let rev: Vec<&Path> = shards.iter().rev().map(PathBuf::as_path).collect();
    ok(&merge(&out, &rev));
    Job { single, shards, merged: out }
}

fn predict_job() -> &'static Job {
    static J: OnceLock<Job> = OnceLock::new();
    J.get_or_init(|| {
        let f = fixture();
        // All genes but the last: the shard boundaries then fall inside chromosomes.
        let reader = StoreReader::open(&f.wide_store).unwrap();
        let n = reader.genes().len();
        let genes: Vec<&str> = reader.genes()[..n - 1].iter().map(|g| g.id.as_str()).collect();
        let args = ["predict", "--masks", "--threads", "1", "--batch", "2", "--quiet", "--genes", &genes.join(",")];
        sharded("predict", &args, &[("--model", &f.wide_model), ("--store", &f.wide_store)])
    })
}

/// predict without masks on the narrow store (default batch): the shards the bad-input cases start from.
fn narrow_predict_shards() -> &'static Vec<PathBuf> {
    static J: OnceLock<Vec<PathBuf>> = OnceLock::new();
    J.get_or_init(|| {
        let f = fixture();
        let args = ["predict", "--threads", "1", "--quiet"];
        let job = sharded("narrow-predict", &args, &[("--model", &f.model), ("--store", &f.store)]);
        for name in ["predictions.tsv", "run.json"] {
            same_bytes(&job, name);
        }
        job.shards
    })
}

fn same_bytes(job: &Job, name: &str) {
    shards::assert_same_bytes(&job.single, &job.merged, name);
}

fn gene_windows(path: &Path) -> Vec<(String, i64)> {
    use hdf5::types::VarLenUnicode;
    let f = hdf5::File::open(path).unwrap();
    let chroms = f.dataset("chrom").unwrap().read_raw::<VarLenUnicode>().unwrap();
    let starts = f.dataset("start").unwrap().read_raw::<i64>().unwrap();
    chroms.iter().map(|c| c.to_string()).zip(starts).collect()
}

#[test]
fn merged_predict_shards_are_the_single_run() {
    let job = predict_job();
    for name in ["predictions.tsv", "elements.bed", "run.json"] {
        same_bytes(job, name);
    }
    assert!(!std::fs::read_to_string(job.merged.join("elements.bed")).unwrap().is_empty(), "no elements");
    assert_eq!(
        shards::masks_h5(&job.single.join("masks.h5")),
        shards::masks_h5(&job.merged.join("masks.h5")),
        "masks.h5"
    );
    // Some window of one shard overlaps one of another: mask.bw there is the max over both.
    let windows: Vec<Vec<(String, i64)>> = job.shards.iter().map(|d| gene_windows(&d.join("masks.h5"))).collect();
    let crosses = windows.iter().enumerate().any(|(i, a)| {
        windows[i + 1..].iter().flatten().any(|(c, s)| a.iter().any(|(c2, s2)| c == c2 && (s - s2).abs() < WIDE as i64))
    });
    assert!(crosses, "no window overlaps one of another shard: the mask.bw check is vacuous");
    let r = shards::assert_same_bigwig(&job.single.join("mask.bw"), &job.merged.join("mask.bw"));
    eprintln!("mask.bw: {r}");
    assert!(r["covered_bases"].as_u64().unwrap() > WIDE as u64, "{r}");
    // A finished job: predict rerun unsharded into the merged directory has nothing left to do.
    let f = fixture();
    let reader = StoreReader::open(&f.wide_store).unwrap();
    let genes: Vec<&str> = reader.genes()[..reader.genes().len() - 1].iter().map(|g| g.id.as_str()).collect();
    let o = runtime(
        &["predict", "--masks", "--threads", "1", "--batch", "2", "--quiet", "--genes", &genes.join(",")],
        &[("--model", &f.wide_model), ("--store", &f.wide_store), ("--out", &job.merged)],
    );
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 predicted now"), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn merged_vep_shards_are_the_single_run() {
    let f = fixture();
    let fasta = f.sim.join("genome.fa");
    let args = ["vep", "--threads", "1", "--allow-missing-chroms", "--quiet"];
    let job =
        sharded("vep", &args, &[("--model", &f.model), ("--store", &f.store), ("--vcf", &f.vcf), ("--fasta", &fasta)]);
    for name in ["vep.tsv", "vep.parquet", "vep.warnings.tsv", "run.json"] {
        same_bytes(&job, name);
    }
    let (a, b) =
        (shards::summary(&job.single.join("vep.summary.json")), shards::summary(&job.merged.join("vep.summary.json")));
    assert_eq!(a, b, "vep.summary.json");
    for reason in ["ref_mismatch", "symbolic_allele", "chrom_not_in_store"] {
        assert!(a["skipped"][reason].as_u64() >= Some(1), "no {reason}: the warnings check is vacuous ({a})");
    }
    assert!(a["pairs"].as_u64().unwrap() > 2 * a["genes"].as_u64().unwrap(), "two SNVs per gene and the deletion: {a}");
}

#[test]
fn merged_links_shards_are_the_single_run() {
    let f = fixture();
    let elements = f.sim.join("elements.bed");
    let args = ["links", "--threads", "1", "--cell-type", "K562", "--batch", "3", "--quiet"];
    let job = sharded("links", &args, &[("--model", &f.model), ("--store", &f.store), ("--elements", &elements)]);
    for name in ["links.tsv", "run.json"] {
        same_bytes(&job, name);
    }
    let a = shards::summary(&job.single.join("links.summary.json"));
    assert_eq!(a, shards::summary(&job.merged.join("links.summary.json")), "links.summary.json");
    let genes: HashSet<String> = std::fs::read_to_string(job.merged.join("links.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit('\t').next().unwrap().to_string())
        .collect();
    assert!(genes.len() >= 6, "links for only {} genes", genes.len());
}

/// `runtime merge` must fail: exit 1, one error line naming `dir` and saying `needle`, no table in `out`.
fn refuses(out: &Path, shards: &[&Path], dir: &Path, needle: &str) {
    let o = merge(out, shards);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "expected exit 1: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one error line: {stderr}");
    assert!(stderr.starts_with("error:") && stderr.contains(needle), "want {needle:?}: {stderr}");
    assert!(stderr.contains(&*dir.to_string_lossy()), "the error does not name {}: {stderr}", dir.display());
    assert!(!out.join("predictions.tsv").exists() && !out.join("vep.tsv").exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn bad_shard_sets_are_refused_naming_the_directory() {
    let f = fixture();
    let s = narrow_predict_shards();
    let (s1, s2, s3) = (s[0].as_path(), s[1].as_path(), s[2].as_path());
    let bad = f.dir.join("bad");
    let out = bad.join("out");
    refuses(&out, &[s1, s3], s3, "shard 2/3 is missing");
    refuses(&out, &[s1, s2, s3, s1], s1, "given twice");
    let again = bad.join("shard-2-again");
    copy_dir(s2, &again);
    refuses(&out, &[s1, s2, &again, s3], &again, "is shard 2/3 again");
    let o = merge(&s3.join("..").join("3"), &[s1, s2, s3]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.code() == Some(1) && stderr.contains("is also --out"), "{stderr}");

    // Another option (batch), another shard count, another kind of job.
    let run = |args: &[&str], dir: &Path| {
        ok(&runtime(args, &[("--model", f.model.as_path()), ("--store", &f.store), ("--out", dir)]));
    };
    let batch = bad.join("batch-2");
    run(&["predict", "--threads", "1", "--quiet", "--shard", "2/3", "--batch", "3"], &batch);
    refuses(&out, &[s1, &batch, s3], &batch, "differs in batch");
    let halves = bad.join("of-2");
    run(&["predict", "--threads", "1", "--quiet", "--shard", "2/2"], &halves);
    refuses(&out, &[s1, &halves], &halves, "is shard 2/2");
    let vep = bad.join("vep");
    ok(&runtime(
        &["vep", "--threads", "1", "--quiet", "--allow-missing-chroms", "--shard", "2/3"],
        &[("--model", &f.model), ("--store", &f.store), ("--vcf", &f.vcf), ("--out", &vep)],
    ));
    refuses(&out, &[s1, &vep, s3], &vep, "holds a vep shard");
    let single = bad.join("single");
    run(&["predict", "--threads", "1", "--quiet"], &single);
    refuses(&out, &[&single], &single, "not a shard");

    // An unfinished shard: its log is still there, or its table is missing.
    let unfinished = bad.join("unfinished");
    copy_dir(s3, &unfinished);
    std::fs::write(unfinished.join("predictions.log"), "").unwrap();
    refuses(&out, &[s1, s2, &unfinished], &unfinished, "unfinished shard 3/3");
    std::fs::remove_file(unfinished.join("predictions.log")).unwrap();
    std::fs::remove_file(unfinished.join("predictions.tsv")).unwrap();
    refuses(&out, &[s1, s2, &unfinished], &unfinished, "no predictions.tsv");

    // Overlapping genes: shard 2 edited to start with shard 1's last gene (and lose its own last).
    let overlap = bad.join("overlap");
    copy_dir(s2, &overlap);
    let first = std::fs::read_to_string(s1.join("predictions.tsv")).unwrap();
    let second = std::fs::read_to_string(s2.join("predictions.tsv")).unwrap();
    let mut rows: Vec<&str> = second.lines().collect();
    rows.pop();
    rows.insert(1, first.lines().last().unwrap());
    std::fs::write(overlap.join("predictions.tsv"), rows.join("\n") + "\n").unwrap();
    refuses(&out, &[s1, &overlap, s3], &overlap, "both hold gene");
    let left: Vec<_> =
        std::fs::read_dir(&out).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "a refused merge left {left:?} in {}", out.display());
}
