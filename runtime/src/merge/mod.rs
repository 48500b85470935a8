//! `runtime merge`: combines the output directories of the `n` shards of one `predict`, `vep` or
//! `links` job (`--shard k/n`) into what one unsharded process writes.
//!
//! Each shard directory names its job in `run.json`. Merging checks, before anything is written, that
//! every directory holds a finished shard (its outputs present, its log gone, no job writing to it) of
//! the same job — same model, store, inputs and options, the same `n` — and that shards `1..n` are all
//! there, once each, with disjoint genes in store order. The merged directory then gets exactly the
//! unsharded run's files: tables concatenated in store order, `masks.h5` rebuilt from the shards'
//! masks, `mask.bw` and `elements.bed` as the single run derives them, and `run.json` as the single run
//! records it (shard `null`, the whole selection), so an unsharded rerun into it finds the job
//! complete. The one field that differs is `seconds` in the vep/links summaries: the shards' sum
//! rather than one process's wall time. Every file is written atomically.

mod predict;
mod tables;

use std::path::{Path, PathBuf};

use seq2exp_store::output::DirLock;
use seq2exp_store::StoreReader;
use serde_json::Value;

use crate::output::OutputError;
use crate::predict::{claim_dir, RUN_FILE};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Store(#[from] seq2exp_store::StoreError),
}

/// Which command wrote the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Predict,
    Vep,
    Links,
}

impl Kind {
    fn parse(dir: &Path, run: &Value) -> Result<Self, OutputError> {
        match run.get("job").and_then(Value::as_str) {
            Some("predict") => Ok(Self::Predict),
            Some("vep") => Ok(Self::Vep),
            Some("links") => Ok(Self::Links),
            _ => Err(invalid(
                dir,
                format!("{RUN_FILE} names no predict, vep or links job (written by an older runtime? rerun the shard)"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Predict => "predict",
            Self::Vep => "vep",
            Self::Links => "links",
        }
    }

    /// `run.json` fields that differ between the shards of one job (the rest must be equal).
    fn shard_fields(self) -> &'static [&'static str] {
        match self {
            Self::Predict => &["shard", "genes", "first_gene", "last_gene"],
            Self::Vep | Self::Links => &["shard"],
        }
    }

    /// The logs of an unfinished job (their presence means the shard did not complete).
    fn logs(self) -> &'static [&'static str] {
        match self {
            Self::Predict => &[crate::output::predictions::LOG_NAME, crate::output::masks::PARTS_DIR],
            Self::Vep => &[crate::vep::LOG_NAME],
            Self::Links => &[crate::links::delete::LOG_NAME],
        }
    }
}

/// One finished shard directory, locked against a job writing to it while it is read.
pub(crate) struct ShardDir {
    pub dir: PathBuf,
    pub index: usize,
    pub count: usize,
    pub run: Value,
    _lock: DirLock,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MergeSummary {
    pub kind: &'static str,
    pub shards: usize,
    /// Genes of the whole job.
    pub genes: usize,
    pub files: Vec<PathBuf>,
}

pub(crate) fn invalid(dir: &Path, message: impl Into<String>) -> OutputError {
    OutputError::invalid(dir.display(), message)
}

/// Merges `shards` (directories, any order) into `out`.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<MergeSummary, MergeError> {
    if shards.is_empty() {
        return Err(OutputError::invalid("runtime merge", "no shard directories given").into());
    }
    let (kind, shards) = open_shards(shards, out)?;
    let store = shards[0].run.get("store").and_then(Value::as_str).map(PathBuf::from);
    let store = store.ok_or_else(|| invalid(&shards[0].dir.join(RUN_FILE), "no `store`"))?;
    let reader = StoreReader::open(&store)?;
    let summary = match kind {
        Kind::Predict => predict::merge_predict(&reader, &shards, out)?,
        Kind::Vep => tables::merge_vep(&reader, &shards, out)?,
        Kind::Links => tables::merge_links(&reader, &shards, out)?,
    };
    Ok(summary)
}

/// Reads and checks every shard; returns them ordered by shard index.
fn open_shards(dirs: &[PathBuf], out: &Path) -> Result<(Kind, Vec<ShardDir>), OutputError> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut shards = Vec::with_capacity(dirs.len());
    let mut kind = None;
    for (i, dir) in dirs.iter().enumerate() {
        if abs(dir) == abs(out) {
            return Err(invalid(dir, "is also --out: merge into a new directory"));
        }
        if dirs[..i].iter().any(|d| abs(d) == abs(dir)) {
            return Err(invalid(dir, "is given twice"));
        }
        let k = open_shard(dir, &mut shards)?;
        match kind {
            None => kind = Some(k),
            Some(first) if first != k => {
                return Err(invalid(
                    dir,
                    format!("holds a {} shard, but {} holds a {} shard", k.name(), dirs[0].display(), first.name()),
                ))
            }
            _ => {}
        }
    }
    let kind = kind.expect("at least one shard");
    check_same_job(kind, &shards)?;
    shards.sort_by_key(|s| s.index);
    let count = shards[0].count;
    for pair in shards.windows(2) {
        if pair[0].index == pair[1].index {
            return Err(invalid(
                &pair[1].dir,
                format!("is shard {}/{count} again (also {})", pair[1].index, pair[0].dir.display()),
            ));
        }
    }
    let have: Vec<usize> = shards.iter().map(|s| s.index).collect();
    if let Some(missing) = (1..=count).find(|k| !have.contains(k)) {
        let dir = shards.iter().find(|s| s.index > missing).unwrap_or(&shards[shards.len() - 1]);
        return Err(invalid(
            &dir.dir,
            format!("shard {missing}/{count} is missing: {} of {count} shard directories given", shards.len()),
        ));
    }
    for s in &shards {
        check_finished(kind, s)?;
    }
    Ok((kind, shards))
}

/// Opens one shard directory (appended to `shards`) and returns its kind.
fn open_shard(dir: &Path, shards: &mut Vec<ShardDir>) -> Result<Kind, OutputError> {
    if !dir.is_dir() {
        return Err(invalid(dir, "not a directory"));
    }
    let lock = DirLock::try_lock(dir).map_err(|e| OutputError::io(dir, e))?.ok_or_else(|| {
        invalid(dir, "unfinished shard: a job is still writing to this directory; wait for it to finish")
    })?;
    let path = dir.join(RUN_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
    let run: Value = serde_json::from_str(&text).map_err(|e| invalid(&path, e.to_string()))?;
    let kind = Kind::parse(dir, &run)?;
    let shard = match run.get("shard") {
        Some(Value::String(s)) => s.parse::<crate::select::Shard>().map_err(|e| invalid(&path, e))?,
        _ => return Err(invalid(dir, format!("not a shard: its {} job ran without --shard", kind.name()))),
    };
    shards.push(ShardDir { dir: dir.to_path_buf(), index: shard.index, count: shard.count, run, _lock: lock });
    Ok(kind)
}

/// Every shard's `run.json` must equal the first's but for the per-shard fields.
fn check_same_job(kind: Kind, shards: &[ShardDir]) -> Result<(), OutputError> {
    let common = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            for f in kind.shard_fields() {
                m.remove(*f);
            }
        }
        v
    };
    let (first, want) = (&shards[0], common(&shards[0].run));
    for s in &shards[1..] {
        let got = common(&s.run);
        if got != want {
            let keys: Vec<String> = want
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| got.get(k.as_str()) != Some(v))
                .map(|(k, _)| k.clone())
                .chain(
                    got.as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| want.get(k.as_str()).is_none())
                        .map(|(k, _)| k.clone()),
                )
                .collect();
            return Err(invalid(
                &s.dir,
                format!("is a shard of another run than {} (differs in {})", first.dir.display(), keys.join(", ")),
            ));
        }
        if s.count != first.count {
            return Err(invalid(
                &s.dir,
                format!("is shard {}/{}, but {} is one of {}", s.index, s.count, first.dir.display(), first.count),
            ));
        }
    }
    Ok(())
}

/// A shard is finished when its log is gone and its outputs are all there.
fn check_finished(kind: Kind, s: &ShardDir) -> Result<(), OutputError> {
    let unfinished = |what: String| {
        invalid(
            &s.dir,
            format!("unfinished shard {}/{} ({what}): rerun its {} job to finish it", s.index, s.count, kind.name()),
        )
    };
    if let Some(log) = kind.logs().iter().find(|l| s.dir.join(l).exists()) {
        return Err(unfinished(format!("{log} is still there")));
    }
    match outputs(kind, &s.run).into_iter().find(|f| !s.dir.join(f).is_file()) {
        Some(f) => Err(unfinished(format!("no {f}"))),
        None => Ok(()),
    }
}

/// The files a finished job of `kind` leaves besides `run.json`.
fn outputs(kind: Kind, run: &Value) -> Vec<&'static str> {
    use crate::output::{bigwig::BIGWIG_NAME, elements::BED_NAME, masks::MASKS_NAME, predictions::TSV_NAME};
    match kind {
        Kind::Predict if run.get("masks").is_some_and(|m| !m.is_null()) => {
            vec![MASKS_NAME, BIGWIG_NAME, BED_NAME, TSV_NAME]
        }
        Kind::Predict => vec![TSV_NAME],
        Kind::Vep => {
            use crate::vep::{parquet::PARQUET_NAME, SUMMARY_NAME, TSV_NAME, WARNINGS_NAME};
            vec![TSV_NAME, WARNINGS_NAME, SUMMARY_NAME, PARQUET_NAME]
        }
        Kind::Links => vec![crate::links::delete::LINKS_NAME, crate::links::delete::SUMMARY_NAME],
    }
}

/// Checks that shard `k` of `n` holds `size` genes of a selection of `total` (as [`crate::select::Shard`]
/// splits it).
pub(crate) fn check_block_sizes(shards: &[ShardDir], sizes: &[usize]) -> Result<(), OutputError> {
    let total: usize = sizes.iter().sum();
    for (s, &size) in shards.iter().zip(sizes) {
        let want = s.index * total / s.count - (s.index - 1) * total / s.count;
        if size != want {
            return Err(invalid(
                &s.dir,
                format!("holds {size} genes where shard {}/{} of {total} genes has {want}", s.index, s.count),
            ));
        }
    }
    Ok(())
}

/// Claims `out` for the merged job, whose identity is `run` (the unsharded run's `run.json`), and
/// clears what a killed earlier merge or unfinished run of that same job left there.
pub(crate) fn claim_out(kind: Kind, out: &Path, run: &Value) -> Result<DirLock, OutputError> {
    let lock = claim_dir(out, run)?;
    for log in kind.logs() {
        let p = out.join(log);
        let removed = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(OutputError::io(&p, e)),
            _ => {}
        }
    }
    Ok(lock)
}

/// The unsharded run's `run.json`: the shards' common fields with `shard` null.
pub(crate) fn unsharded_run(first: &ShardDir) -> Value {
    let mut run = first.run.clone();
    run["shard"] = Value::Null;
    run
}
