//! The `runtime` binary end to end on a small simulated store (windows of 48 kb, so neighbouring genes'
//! windows overlap) with a tiny random-weight model: resuming after `kill -9`, shards, workers, the mask outputs
//! (masks.h5, mask.bw, elements.bed) checked against independent readers, bad input, `eval` and `info`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use seq2exp_build::{build_store, BuildConfig};
use seq2exp_models::config::{MaskMode, Seq2ExpConfig};
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::Flavour;
use seq2exp_simulate::{simulate, SimConfig};

/// Window of the test store: the small simulated genome spaces TSSs ~41 kb apart, so 48 kb windows overlap.
const W: usize = 48_000;
const THRESHOLD: f32 = 0.5;
const MIN_LENGTH: usize = 50;
const PROMOTER_HALF_WIDTH: usize = 500;

struct Fixture {
    dir: PathBuf,
    store: PathBuf,
    model: PathBuf,
}

fn model_config(window: usize) -> Seq2ExpConfig {
    let mut cfg = common::config(MaskMode::Soft);
    cfg.window = window;
    cfg.head.pool_width = 2000;
    cfg.mask.promoter_half_width = PROMOTER_HALF_WIDTH;
    cfg
}

fn write_model(cfg: &Seq2ExpConfig, path: &Path) {
    let proto = build_model(cfg, &common::weights(cfg, 7), Flavour::Fast, &[]).unwrap();
    std::fs::write(path, to_bytes(&proto).unwrap()).unwrap();
}

/// One store and one model for every test of this file (under the target's test scratch directory).
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Directories of earlier runs of this test binary whose process is gone.
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("runtime-predict-") {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("runtime-predict-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sim = dir.join("sim");
        simulate(&SimConfig::small(5), &sim).unwrap();
        let mut b = BuildConfig::new(
            sim.join("genome.fa"),
            sim.join("genes.gtf"),
            sim.join("expression.csv"),
            dir.join("store.h5"),
        );
        b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
        b.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
        b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
        b.blacklist = Some(sim.join("blacklist.bed"));
        b.window = W as u64;
        let store = build_store(&b).unwrap().out;
        let model = dir.join("model.onnx");
        write_model(&model_config(W), &model);
        Fixture { dir, store, model }
    })
}

fn runtime() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runtime"));
    c.env("RUST_LOG", "warn");
    c
}

/// `runtime predict` on the fixture into `out` with `extra` arguments (one thread, batch 1, quiet).
fn predict_cmd(out: &Path, extra: &[&str]) -> Command {
    let f = fixture();
    let mut c = runtime();
    c.arg("predict").arg("--model").arg(&f.model).arg("--store").arg(&f.store).arg("--out").arg(out);
    c.args(["--threads", "1", "--batch", "1", "--quiet"]).args(extra);
    c
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "runtime failed ({:?}): {}", o.status, String::from_utf8_lossy(&o.stderr));
    o
}

/// The uninterrupted reference run, with masks.
fn reference() -> &'static PathBuf {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| {
        let out = fixture().dir.join("reference");
        ok(predict_cmd(&out, &["--masks"]).output().unwrap());
        out
    })
}

/// `predictions.tsv` as (header, rows of columns).
fn read_tsv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split('\t').map(String::from).collect();
    (header, lines.map(|l| l.split('\t').map(String::from).collect()).collect())
}

fn store_gene_ids() -> Vec<String> {
    let r = seq2exp_store::StoreReader::open(&fixture().store).unwrap();
    r.genes().iter().map(|g| g.id.clone()).collect()
}

#[test]
fn predictions_file_has_every_gene_once_in_store_order() {
    let (header, rows) = read_tsv(&reference().join("predictions.tsv"));
    assert_eq!(header, ["gene_id", "gene_name", "chrom", "tss", "strand", "prediction", "target"]);
    let ids: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, store_gene_ids());
    for r in &rows {
        assert_eq!(r.len(), 7, "{r:?}");
        assert!(r[5].parse::<f32>().unwrap().is_finite(), "{r:?}");
    }
    for leftover in ["predictions.log", "masks.parts"] {
        assert!(!reference().join(leftover).exists(), "{leftover} left behind");
    }
}

fn log_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn kill_mid_run_then_rerun_gives_the_same_files() {
    let out = fixture().dir.join("killed");
    let n = store_gene_ids().len();
    let mut child = predict_cmd(&out, &["--masks"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let log = out.join("predictions.log");
    let started = Instant::now();
    while log_lines(&log) < 1 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before its first batch was logged");
        assert!(started.elapsed() < Duration::from_secs(300), "no batch logged in 300 s");
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let logged = log_lines(&log);
    assert!(logged >= 1 && logged < n, "the kill did not land mid-run: {logged} of {n} genes logged");
    assert!(!out.join("predictions.tsv").exists(), "predictions.tsv written by an interrupted run");
    let o = ok(predict_cmd(&out, &["--masks"]).output().unwrap());
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains(&format!("{n} genes")), "{said}");
    let predicted_now: usize =
        said.split('(').nth(1).and_then(|s| s.split_whitespace().next()).and_then(|v| v.parse().ok()).unwrap();
    assert!(predicted_now < n, "the rerun predicted every gene again: {said}");
    for f in ["predictions.tsv", "elements.bed"] {
        let (a, b) = (std::fs::read(reference().join(f)).unwrap(), std::fs::read(out.join(f)).unwrap());
        assert!(a == b, "{f} differs after kill + resume");
    }
    let (_, rows) = read_tsv(&out.join("predictions.tsv"));
    assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), store_gene_ids(), "missing or duplicate genes");
    let (a, b) = (read_masks(&reference().join("masks.h5")), read_masks(&out.join("masks.h5")));
    assert_eq!(a.ids, b.ids);
    assert!(a.mask == b.mask, "masks.h5 differs after kill + resume");
    // A third run finds the job finished and changes nothing.
    let o = ok(predict_cmd(&out, &["--masks"]).output().unwrap());
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 predicted now"), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(
        std::fs::read(out.join("predictions.tsv")).unwrap()
            == std::fs::read(reference().join("predictions.tsv")).unwrap()
    );
}

/// Two sessions predicting batches at once (one thread each, as the reference) write the same files:
/// results arrive out of order but the outputs are put in selection order.
#[test]
fn workers_write_the_same_files_as_one_session() {
    let out = fixture().dir.join("workers");
    ok(predict_cmd(&out, &["--masks", "--workers", "2"]).output().unwrap());
    for f in ["predictions.tsv", "elements.bed"] {
        let (a, b) = (std::fs::read(reference().join(f)).unwrap(), std::fs::read(out.join(f)).unwrap());
        assert!(a == b, "{f} differs with 2 workers");
    }
    let (a, b) = (read_masks(&reference().join("masks.h5")), read_masks(&out.join("masks.h5")));
    assert_eq!(a.ids, b.ids);
    assert!(a.mask == b.mask, "masks.h5 differs with 2 workers");
}

#[test]
fn shards_cover_every_gene_exactly_once() {
    let (_, reference_rows) = read_tsv(&reference().join("predictions.tsv"));
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let out = fixture().dir.join(format!("shard-{k}"));
        ok(predict_cmd(&out, &["--shard", &format!("{k}/3")]).output().unwrap());
        let (_, rows) = read_tsv(&out.join("predictions.tsv"));
        sizes.push(rows.len());
        for r in rows {
            assert!(seen.insert(r[0].clone(), r).is_none(), "a gene is in two shards");
        }
    }
    assert!(sizes.iter().all(|&s| s > 0), "empty shard: {sizes:?}");
    assert_eq!(seen.len(), reference_rows.len(), "shards {sizes:?} do not cover the {} genes", reference_rows.len());
    for r in &reference_rows {
        assert_eq!(seen.get(&r[0]), Some(r), "gene {} differs between sharded and unsharded runs", r[0]);
    }
}

struct Masks {
    ids: Vec<String>,
    chroms: Vec<String>,
    starts: Vec<i64>,
    window: usize,
    mask: Vec<f32>,
}

/// masks.h5 through the hdf5 crate directly (not the runtime's reader).
fn read_masks(path: &Path) -> Masks {
    use hdf5::types::VarLenUnicode;
    let f = hdf5::File::open(path).unwrap();
    let strings = |n: &str| -> Vec<String> {
        f.dataset(n).unwrap().read_raw::<VarLenUnicode>().unwrap().iter().map(|s| s.as_str().to_string()).collect()
    };
    let format: VarLenUnicode = f.attr("format").unwrap().read_scalar().unwrap();
    assert_eq!(format.as_str(), "seq2exp-masks");
    let window = f.attr("window").unwrap().read_scalar::<u64>().unwrap() as usize;
    let ds = f.dataset("mask").unwrap();
    let ids = strings("gene_id");
    assert_eq!(ds.shape(), vec![ids.len(), window]);
    Masks {
        chroms: strings("chrom"),
        starts: f.dataset("start").unwrap().read_raw().unwrap(),
        mask: ds.read_raw().unwrap(),
        ids,
        window,
    }
}

#[test]
fn masks_bigwig_and_elements_agree_with_the_per_gene_masks() {
    let out = reference();
    for f in ["masks.h5", "mask.bw", "elements.bed"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let m = read_masks(&out.join("masks.h5"));
    assert_eq!(m.window, W);
    assert_eq!(m.ids, store_gene_ids());
    let reader = seq2exp_store::StoreReader::open(&fixture().store).unwrap();
    for (i, g) in reader.genes().iter().enumerate() {
        assert_eq!((m.chroms[i].as_str(), m.starts[i]), (g.chrom.as_str(), g.window_start(W as u64)));
    }
    assert!(m.mask.iter().all(|v| (0.0..=1.0).contains(v)));

    // elements.bed, parsed independently, against runs called here from masks.h5.
    let text = std::fs::read_to_string(out.join("elements.bed")).unwrap();
    let mut got = Vec::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(c.len(), 6, "not BED6: {line}");
        assert_eq!(c[5], ".");
        got.push((
            c[0].to_string(),
            c[1].parse::<i64>().unwrap(),
            c[2].parse::<i64>().unwrap(),
            c[3].to_string(),
            c[4].parse::<u32>().unwrap(),
        ));
    }
    let row: HashMap<&str, usize> = m.ids.iter().enumerate().map(|(i, g)| (g.as_str(), i)).collect();
    for (chrom, s, e, gene, score) in &got {
        let r = row[gene.as_str()];
        assert_eq!(chrom, &m.chroms[r]);
        let mask = &m.mask[r * W..(r + 1) * W];
        let (a, b) = ((s - m.starts[r]) as usize, (e - m.starts[r]) as usize);
        assert!(b - a >= MIN_LENGTH, "{gene} {s}-{e}: shorter than {MIN_LENGTH}");
        assert!(mask[a..b].iter().all(|&v| v >= THRESHOLD), "{gene} {s}-{e}: mask below {THRESHOLD} inside");
        let mean = mask[a..b].iter().map(|&v| v as f64).sum::<f64>() / (b - a) as f64;
        assert_eq!(*score, (1000.0 * mean).round() as u32, "{gene} {s}-{e}: score");
    }
    let mut expected = Vec::new();
    for r in 0..m.ids.len() {
        let mask = &m.mask[r * W..(r + 1) * W];
        let promoter = W / 2 - PROMOTER_HALF_WIDTH..W / 2 + PROMOTER_HALF_WIDTH;
        let mut k = 0;
        while k < W {
            if mask[k] < THRESHOLD || promoter.contains(&k) {
                k += 1;
                continue;
            }
            let a = k;
            while k < W && mask[k] >= THRESHOLD && !promoter.contains(&k) {
                k += 1;
            }
            if k - a >= MIN_LENGTH {
                expected.push((m.ids[r].clone(), m.starts[r] + a as i64, m.starts[r] + k as i64));
            }
        }
    }
    let mut called: Vec<(String, i64, i64)> = got.iter().map(|(_, s, e, g, _)| (g.clone(), *s, *e)).collect();
    called.sort();
    expected.sort();
    assert!(
        !expected.is_empty(),
        "no run of the random model's masks reaches {THRESHOLD}: the element check is vacuous"
    );
    assert_eq!(called, expected, "elements.bed is not the set of qualifying runs");

    // mask.bw through pyBigWig: the max over overlapping windows, to within quantum / 2.
    let python = common::venv_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_mask_bigwig.py");
    let o = Command::new(python)
        .arg(script)
        .arg(out.join("masks.h5"))
        .arg(out.join("mask.bw"))
        .arg("0.01")
        .output()
        .unwrap();
    assert!(o.status.success(), "check_mask_bigwig.py: {}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("mask.bw check: {r}");
    assert!(r["overlap_bases"].as_u64().unwrap() > 0, "no overlapping windows: the max check is vacuous");
    assert_eq!(r["coverage_mismatches"].as_u64().unwrap(), 0, "bases with a value where no window is, or the reverse");
    assert!(r["max_abs_error"].as_f64().unwrap() <= 0.005 + 1e-6, "{r}");
    assert!(r["checked_bases"].as_u64().unwrap() > W as u64);
}

/// Runs a command that must fail: exit 1, one `error:` line containing `needle`, nothing left in `out`.
fn fails(mut c: Command, out: &Path, needle: &str) {
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "expected exit 1: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line: {stderr}");
    assert!(errors[0].contains(needle), "the error does not name {needle}: {}", errors[0]);
    assert!(stderr.lines().count() == 1, "more than the error line on stderr: {stderr}");
    let left: Vec<_> = std::fs::read_dir(out).map(|d| d.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{} holds {left:?} after a failed run", out.display());
}

#[test]
fn bad_input_fails_with_one_error_line_and_no_output() {
    let f = fixture();
    let dir = f.dir.join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let with_model = |model: &Path, out: &Path| {
        let mut c = runtime();
        c.arg("predict").arg("--model").arg(model).arg("--store").arg(&f.store).arg("--out").arg(out).arg("--quiet");
        c
    };
    // A model on other windows.
    let other_window = dir.join("window-4000.onnx");
    let mut cfg = model_config(4000);
    cfg.head.pool_width = 1000;
    write_model(&cfg, &other_window);
    fails(with_model(&other_window, &dir.join("o1")), &dir.join("o1"), other_window.to_str().unwrap());
    // A model reading a signal the store lacks.
    let other_signals = dir.join("signals.onnx");
    let mut cfg = model_config(W);
    cfg.signals.insert(2, "h3k4me3".into());
    (cfg.mask.prior_weights, cfg.mask.prior_offsets) = (vec![0.3, 0.3, 0.2, 0.2], vec![1.5, 0.2, 1.0, 1.0]);
    write_model(&cfg, &other_signals);
    fails(with_model(&other_signals, &dir.join("o2")), &dir.join("o2"), other_signals.to_str().unwrap());
    // A truncated model file.
    let truncated = dir.join("truncated.onnx");
    let bytes = std::fs::read(&f.model).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    fails(with_model(&truncated, &dir.join("o3")), &dir.join("o3"), truncated.to_str().unwrap());
    // A store of another schema version.
    let old = dir.join("schema-99.h5");
    std::fs::copy(&f.store, &old).unwrap();
    {
        let h = hdf5::File::open_rw(&old).unwrap();
        h.attr("schema_version").unwrap().write_scalar(&99u32).unwrap();
    }
    let mut c = predict_cmd(&dir.join("o4"), &[]);
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    c = runtime();
    for a in args {
        c.arg(if a == f.store.as_os_str() { old.as_os_str().to_owned() } else { a });
    }
    fails(c, &dir.join("o4"), old.to_str().unwrap());
    // Empty gene lists, on the command line and in a file.
    fails(predict_cmd(&dir.join("o5"), &["--genes", ""]), &dir.join("o5"), "empty");
    let empty = dir.join("genes.txt");
    std::fs::write(&empty, "# no genes\n\n").unwrap();
    fails(
        predict_cmd(&dir.join("o6"), &["--genes", empty.to_str().unwrap()]),
        &dir.join("o6"),
        empty.to_str().unwrap(),
    );
    // An unknown gene (next to a known one).
    let known = &store_gene_ids()[0];
    fails(
        predict_cmd(&dir.join("o7"), &["--genes", &format!("{known},NO_SUCH_GENE")]),
        &dir.join("o7"),
        "NO_SUCH_GENE",
    );
}

#[test]
fn eval_reproduces_the_mse_of_the_predictions_file() {
    let tsv = reference().join("predictions.tsv");
    let o = ok(runtime()
        .arg("eval")
        .arg("--predictions")
        .arg(&tsv)
        .arg("--store")
        .arg(&fixture().store)
        .arg("--json")
        .output()
        .unwrap());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (header, rows) = read_tsv(&tsv);
    let (p, t) =
        (header.iter().position(|h| h == "prediction").unwrap(), header.iter().position(|h| h == "target").unwrap());
    let pairs: Vec<(f64, f64)> =
        rows.iter().filter(|r| r[t] != "NA").map(|r| (r[p].parse().unwrap(), r[t].parse().unwrap())).collect();
    assert!(pairs.len() >= 3);
    let mse = pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / pairs.len() as f64;
    let got = r["metrics"]["mse"].as_f64().unwrap();
    assert!((got - mse).abs() <= 1e-6 * mse.max(1.0), "eval MSE {got}, from the file {mse}");
    assert_eq!(r["metrics"]["n"].as_u64().unwrap() as usize, pairs.len());
}

#[test]
fn info_prints_flavour_and_window() {
    let o = ok(runtime().arg("info").arg(&fixture().model).output().unwrap());
    let text = String::from_utf8_lossy(&o.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line: {text}"))
            .to_string()
    };
    assert!(line("flavour").contains("fast"), "{text}");
    assert!(line("window").contains(&W.to_string()), "{text}");
    let o = ok(runtime().arg("info").arg("--json").arg(&fixture().model).output().unwrap());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((j["flavour"].as_str(), j["window"].as_u64()), (Some("fast"), Some(W as u64)));
}
