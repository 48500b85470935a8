//! Shared helpers for the `build_*` acceptance tests: simulate a small genome, run the `data-prep`
//! binary on it as a user would, and look at what it printed and left behind.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use seq2exp_simulate::{simulate, SimConfig};

/// Seed of the small genome the tests share.
pub const SEED: u64 = 4242;
/// Expression value column of the simulator's expression.csv (matches the tracks).
pub const VALUE_COL: &str = "K562_CAGE_128*3_sum";

/// The `data-prep` binary of this package.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_data-prep"))
}

/// A simulated input directory that lives as long as this value.
pub struct Sim {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub cfg: SimConfig,
}

/// Simulates `cfg` into a fresh temporary directory.
pub fn simulate_into(cfg: &SimConfig) -> Sim {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("sim");
    simulate(cfg, &dir).unwrap_or_else(|e| panic!("simulate failed: {e}"));
    Sim { tmp, dir, cfg: cfg.clone() }
}

/// Copies every plain file of `src` into `dst` (created).
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

/// The arguments of a full build of the simulator's files in `dir` into `out` (what a user would type,
/// as listed in the README).
pub fn build_args(dir: &Path, out: &Path, window: u64) -> Vec<OsString> {
    let p = |name: &str| dir.join(name).into_os_string();
    let mut hic = dir.join("contacts.mcool").into_os_string();
    hic.push("::resolutions/5000");
    let mut h3 = OsString::from("h3k27ac=");
    h3.push(dir.join("h3k27ac.bw"));
    let mut dn = OsString::from("dnase=");
    dn.push(dir.join("dnase.bw"));
    vec![
        "build".into(),
        "--fasta".into(),
        p("genome.fa"),
        "--genes".into(),
        p("genes.gtf"),
        "--bigwig".into(),
        h3,
        "--bigwig".into(),
        dn,
        "--hic".into(),
        hic,
        "--expression".into(),
        p("expression.csv"),
        "--id-col".into(),
        "ENSID".into(),
        "--value-col".into(),
        VALUE_COL.into(),
        "--features".into(),
        p("features.csv"),
        "--blacklist".into(),
        p("blacklist.bed"),
        "--window".into(),
        window.to_string().into(),
        "--out".into(),
        out.as_os_str().to_owned(),
    ]
}

/// Replaces the value of option `flag` (e.g. `--window`) in `args`; panics if it is absent.
pub fn set_arg(args: &mut [OsString], flag: &str, value: impl AsRef<OsStr>) {
    let i = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("no {flag} in the arguments"));
    args[i + 1] = value.as_ref().to_owned();
}

/// Runs `data-prep` with `args` (no progress bars: stderr is a pipe).
pub fn data_prep<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(bin()).args(args).env("RUST_LOG", "warn").output().expect("run data-prep")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `data-prep` and asserts success, showing stderr when it fails.
pub fn data_prep_ok<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let o = data_prep(&args);
    assert!(o.status.success(), "data-prep {args:?} failed ({}):\n{}", o.status, stderr(&o));
    o
}

/// The last non-empty line of `text`, trimmed.
pub fn last_line(text: &str) -> String {
    text.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

/// File names in `dir`, sorted (empty when `dir` does not exist).
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// The Python of the project's venv (`$SEQ2EXP_VENV/bin/python`, set by cargo's `[env]` from
/// `scripts/setup.sh`), or why it is unavailable.
pub fn venv_python() -> Result<PathBuf, String> {
    let venv = std::env::var_os("SEQ2EXP_VENV")
        .map(PathBuf::from)
        .or_else(|| option_env!("SEQ2EXP_VENV").map(PathBuf::from))
        .ok_or_else(|| "SEQ2EXP_VENV is not set (run scripts/setup.sh, which writes .cargo/config.toml)".to_string())?;
    let py = venv.join("bin/python");
    if !py.is_file() {
        return Err(format!("{} does not exist (run scripts/setup.sh)", py.display()));
    }
    Ok(py)
}

/// log10(x + 1) in f64, rounded to the store's f32.
pub fn log10p1(x: f64) -> f32 {
    (x + 1.0).log10() as f32
}

/// A CSV file as (header, rows), split by hand on commas (the simulator never quotes).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string).collect();
    let rows = lines.filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect();
    (header, rows)
}

/// The 12 leave-chromosome-out folds written out from docs/model.md, independently of store/src/folds.rs:
/// fold k ≤ 10 tests chr(k+1), chr(k+11) and validates chr(k), chr(k+10); fold 11 tests chr22, chrX and
/// validates chr3, chr21; fold 12 tests chr1 and validates chr2, chr22. Codes 0 train, 1 valid, 2 test,
/// 255 excluded.
pub fn expected_split(chrom: &str, fold: usize) -> u8 {
    let n: u32 = match chrom.strip_prefix("chr") {
        Some("X") => 23,
        Some(b) => match b.parse() {
            Ok(n) if (1..=22).contains(&n) => n,
            _ => return 255,
        },
        None => return 255,
    };
    let (test, valid): (Vec<u32>, Vec<u32>) = match fold {
        11 => (vec![22, 23], vec![3, 21]),
        12 => (vec![1], vec![2, 22]),
        k => {
            let k = k as u32;
            (vec![k + 1, k + 11], vec![k, k + 10])
        }
    };
    if test.contains(&n) {
        2
    } else if valid.contains(&n) {
        1
    } else {
        0
    }
}

/// Window of the bad-input builds.
pub const WINDOW: u64 = 20_000;

/// The small simulated input set the bad-input tests copy.
pub fn base() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| simulate_into(&SimConfig::small(SEED)))
}

/// A private copy of the simulated inputs and an empty output directory.
pub struct Case {
    pub _tmp: tempfile::TempDir,
    pub input: PathBuf,
    pub out_dir: PathBuf,
}

impl Case {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        let out_dir = tmp.path().join("out");
        copy_dir(&base().dir, &input);
        std::fs::create_dir(&out_dir).unwrap();
        Self { _tmp: tmp, input, out_dir }
    }

    pub fn p(&self, name: &str) -> PathBuf {
        self.input.join(name)
    }

    pub fn out(&self) -> PathBuf {
        self.out_dir.join("store.h5")
    }

    pub fn args(&self) -> Vec<OsString> {
        build_args(&self.input, &self.out(), WINDOW)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.p(name)).unwrap()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.p(name), text).unwrap();
    }

    /// Runs the build and checks the failure contract; returns the error line.
    pub fn fails(&self, args: &[OsString], file: &Path, places: &[&str]) -> String {
        self.failed(data_prep(args), file, places)
    }

    /// Checks the failure contract on a finished run: a non-zero exit status (not a signal), a last
    /// stderr line `error: …` naming `file` and each of `places`, no panic message, and an empty output
    /// directory (no store, no temporary file).
    pub fn failed(&self, o: Output, file: &Path, places: &[&str]) -> String {
        let err = stderr(&o);
        assert!(
            matches!(o.status.code(), Some(c) if c != 0),
            "build did not fail with an exit code ({}); stderr:\n{err}",
            o.status
        );
        let line = last_line(&err);
        println!("ERROR LINE: {line}");
        assert!(line.starts_with("error:"), "last stderr line does not start with 'error:': {line:?}\nstderr:\n{err}");
        assert!(!err.contains("panicked"), "a panic reached stderr:\n{err}");
        let f = file.display().to_string();
        assert!(line.contains(&f), "error line does not name {f}: {line}");
        for p in places {
            assert!(line.contains(p), "error line does not say '{p}': {line}");
        }
        assert_eq!(list_dir(&self.out_dir), Vec::<String>::new(), "output directory not empty after a failed build");
        line
    }
}
