//! Everything the report reads: the store, each model's `runtime predict` directory, the simulator's
//! planted truth, elements and peaks, and a links table. Each reader's errors name the file and the
//! place in it.

pub mod intervals;
pub mod links;
pub mod masks;
pub mod predictions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use seq2exp_formats::error::InputError;
use seq2exp_store::{Selection, Split, StoreReader};

use intervals::{IntervalSet, Label};
use masks::MaskFile;

/// `NAME=DIR`: a model's label in the report and its `runtime predict` output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub name: String,
    pub dir: PathBuf,
}

impl std::str::FromStr for ModelSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((name, dir)) if !name.trim().is_empty() && !dir.is_empty() => {
                Ok(Self { name: name.trim().to_string(), dir: PathBuf::from(dir) })
            }
            _ => Err(format!("'{s}' is not NAME=DIR (e.g. soft=predict-soft)")),
        }
    }
}

/// One model's outputs: predictions always; masks and called elements when it has a mask.
#[derive(Debug)]
pub struct ModelRun {
    pub name: String,
    pub dir: PathBuf,
    pub predictions: HashMap<String, f64>,
    pub masks: Option<MaskFile>,
    pub called: Option<IntervalSet>,
}

pub const PREDICTIONS: &str = "predictions.tsv";
pub const MASKS: &str = "masks.h5";
pub const ELEMENTS: &str = "elements.bed";

impl ModelRun {
    /// Reads `DIR/predictions.tsv`, and `DIR/masks.h5` and `DIR/elements.bed` where present.
    pub fn read(spec: &ModelSpec, window: usize) -> anyhow::Result<Self> {
        if !spec.dir.is_dir() {
            return Err(InputError::new(&spec.dir, format!("model {}: not a directory", spec.name)).into());
        }
        let predictions = predictions::read_predictions(&spec.dir.join(PREDICTIONS))?;
        let masks_path = spec.dir.join(MASKS);
        let masks = masks_path.is_file().then(|| MaskFile::open(&masks_path)).transpose()?;
        if let Some(m) = &masks {
            if m.window() != window {
                let msg = format!("masks of {} bases, the store's windows are {window}", m.window());
                return Err(InputError::new(m.path(), msg).into());
            }
        }
        let bed = spec.dir.join(ELEMENTS);
        let called = bed.is_file().then(|| IntervalSet::read(&bed, Label::Name)).transpose()?;
        tracing::info!(
            "model {}: {} predictions{}{}",
            spec.name,
            predictions.len(),
            if masks.is_some() { ", masks" } else { ", no mask" },
            if called.is_some() { ", called elements" } else { "" }
        );
        Ok(Self { name: spec.name.clone(), dir: spec.dir.clone(), predictions, masks, called })
    }
}

/// The optional side files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideFiles {
    pub truth: Option<PathBuf>,
    pub elements: Option<PathBuf>,
    pub peaks: Option<PathBuf>,
    pub links: Option<PathBuf>,
}

/// What the report is drawn from.
#[derive(Debug)]
pub struct Inputs {
    pub store: StoreReader,
    /// Store indices of the evaluated genes: the split's genes with a finite target.
    pub genes: Vec<usize>,
    pub target: usize,
    pub models: Vec<ModelRun>,
    pub truth: Option<IntervalSet>,
    pub elements: Option<IntervalSet>,
    pub peaks: Option<IntervalSet>,
    pub links: Option<PathBuf>,
}

impl Inputs {
    /// Opens the store, selects `split` of `fold` (genes with a finite `target`), and reads every file.
    pub fn read(
        store: &Path,
        models: &[ModelSpec],
        side: &SideFiles,
        (split, fold, target): (Split, usize, usize),
    ) -> anyhow::Result<Self> {
        let store = StoreReader::open(store)?;
        let nt = store.meta().target_names.len();
        if target >= nt {
            return Err(InputError::new(store.path(), format!("no target column {target} (the store has {nt})")).into());
        }
        let genes: Vec<usize> = store
            .select(&Selection::Split { fold, split })?
            .into_iter()
            .filter(|&i| store.targets(i)[target].is_finite())
            .collect();
        if genes.is_empty() {
            let msg = format!("fold {fold} has no {split} genes with a target; choose another --split or --fold");
            return Err(InputError::new(store.path(), msg).into());
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = models.iter().find(|m| !seen.insert(m.name.as_str())) {
            anyhow::bail!("--model {}: the name {} is given twice", dup.dir.display(), dup.name);
        }
        let runs = models.iter().map(|m| ModelRun::read(m, store.window())).collect::<anyhow::Result<Vec<_>>>()?;
        let ids: std::collections::HashSet<&str> = store.genes().iter().map(|g| g.id.as_str()).collect();
        for run in &runs {
            if let Some(id) = run.predictions.keys().find(|id| !ids.contains(id.as_str())) {
                let msg = format!("gene {id} is not in {} (predictions of another store?)", store.path().display());
                return Err(InputError::new(run.dir.join(PREDICTIONS), msg).into());
            }
        }
        let read = |p: &Option<PathBuf>, label| p.as_deref().map(|p| IntervalSet::read(p, label)).transpose();
        tracing::info!(genes = genes.len(), models = runs.len(), "read {split} genes of fold {fold}");
        Ok(Self {
            genes,
            target,
            models: runs,
            truth: read(&side.truth, Label::Name)?,
            elements: read(&side.elements, Label::Kind)?,
            peaks: read(&side.peaks, Label::Name)?,
            links: side.links.clone(),
            store,
        })
    }

    /// The gene id of store index `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.store.genes()[i].id
    }

    /// Window start of store index `i`.
    pub fn window_start(&self, i: usize) -> i64 {
        self.store.genes()[i].window_start(self.store.window() as u64)
    }
}
