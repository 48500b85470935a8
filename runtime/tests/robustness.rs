//! `runtime predict` against faults of its surroundings: a second job on the same `--out`, a corrupt
//! store chunk, a file size limit while writing. Each fails with an exit code and one `error:` line
//! naming the file and the place, with no temporary file left in `--out`.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use seq2exp_build::{build_store, BuildConfig};
use seq2exp_models::config::MaskMode;
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::Flavour;
use seq2exp_simulate::{simulate, SimConfig};
use seq2exp_store::output::DirLock;

const W: usize = 20_000;

struct Fixture {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    model: PathBuf,
}

/// A small store (12 genes, 20 kb windows) and a tiny random-weight model for it.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let sim = tmp.path().join("sim");
        simulate(&SimConfig::small(8), &sim).unwrap();
        let mut b = BuildConfig::new(
            sim.join("genome.fa"),
            sim.join("genes.gtf"),
            sim.join("expression.csv"),
            tmp.path().join("store.h5"),
        );
        b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
        b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
        b.window = W as u64;
        let store = build_store(&b).unwrap().out;
        let mut cfg = common::config(MaskMode::Soft);
        cfg.window = W;
        cfg.head.pool_width = 2000;
        cfg.mask.promoter_half_width = 500;
        let model = tmp.path().join("model.onnx");
        std::fs::write(
            &model,
            to_bytes(&build_model(&cfg, &common::weights(&cfg, 3), Flavour::Fast, &[]).unwrap()).unwrap(),
        )
        .unwrap();
        Fixture { _tmp: tmp, store, model }
    })
}

fn predict(store: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.env("RUST_LOG", "warn")
        .arg("predict")
        .arg("--model")
        .arg(&fixture().model)
        .arg("--store")
        .arg(store)
        .arg("--out")
        .arg(out);
    c.args(["--threads", "1", "--batch", "1", "--quiet"]).args(extra);
    c
}

/// Every path under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            out.extend(tree(&e.path()).into_iter().map(|n| format!("{name}/{n}")));
        }
        out.push(name);
    }
    out.sort();
    out
}

/// Exit code 1, the last stderr line `error: …` containing each of `needles`, no panic; returns it.
fn failed(o: &Output, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = err.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string();
    println!("ERROR LINE: {line}");
    assert!(line.starts_with("error:"), "{err}");
    for n in needles {
        assert!(line.contains(n), "error line does not say '{n}': {line}");
    }
    line
}

fn no_temporary_files(out: &Path) {
    let leftovers: Vec<String> =
        tree(out).into_iter().filter(|p| p.rsplit('/').next().is_some_and(|n| n.contains(".tmp-"))).collect();
    assert!(leftovers.is_empty(), "temporary files left in {}: {leftovers:?}", out.display());
}

/// While another process (here: this test, through the same lock) holds `--out`, a second job is
/// refused at once and writes nothing; once the holder is gone (the kernel drops the lock of a dead
/// process the same way), the job runs.
#[test]
fn second_job_on_the_same_out_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pred");
    std::fs::create_dir(&out).unwrap();
    let held = DirLock::try_lock(&out).unwrap().expect("lock free");
    let started = Instant::now();
    let o = predict(&fixture().store, &out, &["--masks"]).output().unwrap();
    failed(&o, &[&out.display().to_string(), "another job is writing to this directory"]);
    assert!(started.elapsed() < Duration::from_secs(30), "refused only after {:?}", started.elapsed());
    assert_eq!(tree(&out), Vec::<String>::new(), "a refused job must write nothing");
    drop(held);
    let o = predict(&fixture().store, &out, &["--masks"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("predictions.tsv").is_file() && out.join("mask.bw").is_file());
    no_temporary_files(&out);
}

/// Zeroes gene `gene`'s chunk of `dataset` in the file (the deflate stream no longer inflates).
fn corrupt_chunk(store: &Path, dataset: &str, gene: usize) {
    let (addr, size) = {
        let f = hdf5::File::open(store).unwrap();
        let ds = f.dataset(dataset).unwrap();
        let n = ds.num_chunks().unwrap();
        let c =
            (0..n).filter_map(|i| ds.chunk_info(i)).find(|c| c.offset[0] == gene as u64).expect("chunk of the gene");
        (c.addr as usize, c.size as usize)
    };
    let mut bytes = std::fs::read(store).unwrap();
    bytes[addr..addr + size].fill(0);
    std::fs::write(store, bytes).unwrap();
}

#[test]
fn corrupt_store_chunk_names_the_gene_and_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.h5");
    std::fs::copy(&fixture().store, &store).unwrap();
    let gene = seq2exp_store::StoreReader::open(&store).unwrap().genes()[5].id.clone();
    corrupt_chunk(&store, "dna", 5);
    let out = dir.path().join("pred");
    let o = predict(&store, &out, &[]).output().unwrap();
    failed(&o, &[&store.display().to_string(), &format!("gene {gene}"), "dataset dna", "corrupt"]);
    assert!(!out.join("predictions.tsv").exists(), "no predictions file from a failed job");
    no_temporary_files(&out);
}

/// A file size limit while the first mask part is written: plain words naming that file (not its
/// temporary), exit code 1 rather than a SIGXFSZ kill, and no temporary file left.
#[test]
fn file_size_limit_while_writing_masks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pred");
    let mut cmd = predict(&fixture().store, &out, &["--masks"]);
    // SAFETY: only async-signal-safe setrlimit between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Below one gene's uncompressed mask part (20,000 floats).
            let lim = libc::rlimit { rlim_cur: 40_000, rlim_max: 40_000 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let part = out.join("masks.parts").join("part-000000.h5");
    failed(&o, &[&part.display().to_string(), "file size limit reached"]);
    no_temporary_files(&out);
}
