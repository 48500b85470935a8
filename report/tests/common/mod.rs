//! A small end-to-end fixture: the simulator's genome (3 chromosomes, 4 genes each; chrX is fold 11's
//! test split), a 20 kb store built from it (the demo's window), and four `runtime predict`-shaped model directories written
//! by the runtime's own writers — soft and discovery with masks and called elements, nomask and signal
//! with predictions only — plus a links table. Built once per test binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use seq2exp_runtime::links::table::{write_links, LinkRow};
use seq2exp_runtime::output::elements::{call_elements, write_bed, ElementParams};
use seq2exp_runtime::output::masks::{MaskFile, MaskParts};
use seq2exp_runtime::output::predictions::PredictionLog;
use seq2exp_simulate::{simulate, SimConfig};
use seq2exp_store::{Selection, Split, StoreReader};

pub const W: usize = 20_000;
pub const PROMOTER: usize = 1_000;
pub const MODELS: [&str; 4] = ["soft", "discovery", "nomask", "signal"];
pub const MASKED: [&str; 2] = ["soft", "discovery"];

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub sim: PathBuf,
    pub store: PathBuf,
}

impl Fixture {
    pub fn model_dir(&self, name: &str) -> PathBuf {
        self.root.join(format!("predict-{name}"))
    }

    pub fn links(&self) -> PathBuf {
        self.root.join("links.tsv")
    }

    /// The demo's command line (every input), writing `out`.
    pub fn full_args(&self, out: &Path) -> Vec<String> {
        let mut a = vec!["--store".into(), self.store.display().to_string()];
        for (flag, f) in
            [("--truth", "truth.bed"), ("--elements", "elements.bed"), ("--peaks", "dnase_peaks.narrowPeak")]
        {
            a.extend([flag.to_string(), self.sim.join(f).display().to_string()]);
        }
        for m in MODELS {
            a.extend(["--model".into(), format!("{m}={}", self.model_dir(m).display())]);
        }
        a.extend(["--links".into(), self.links().display().to_string()]);
        a.extend(["--split", "test", "--fold", "11", "--promoter-half-width"].map(String::from));
        a.extend([PROMOTER.to_string(), "--out".into(), out.display().to_string()]);
        a
    }
}

/// The shared fixture (built on first use).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let sim = root.join("sim");
    simulate(&SimConfig::small(5), &sim).unwrap();
    let store = sim_store(&sim, &root.join("store.h5"));
    let reader = StoreReader::open(&store).unwrap();
    let all: Vec<usize> = (0..reader.len()).collect();
    let test = reader.select(&Selection::Split { fold: 11, split: Split::Test }).unwrap();
    assert!(test.len() >= 3, "fixture: need test genes");
    for (k, m) in MODELS.iter().enumerate() {
        // One model predicted every gene, the others the test split only: the report selects.
        let order = if *m == "soft" { &all } else { &test };
        write_model(&reader, order, &root.join(format!("predict-{m}")), k, MASKED.contains(m));
    }
    write_links(&root.join("links.tsv"), &links(&reader, &sim)).unwrap();
    Fixture { _dir: dir, root, sim, store }
}

fn sim_store(sim: &Path, out: &Path) -> PathBuf {
    use seq2exp_build::{build_store, BuildConfig};
    let mut b =
        BuildConfig::new(sim.join("genome.fa"), sim.join("genes.gtf"), sim.join("expression.csv"), out.to_path_buf());
    b.bigwigs = vec![("h3k27ac".into(), sim.join("h3k27ac.bw")), ("dnase".into(), sim.join("dnase.bw"))];
    b.hic = Some(format!("{}::resolutions/5000", sim.join("contacts.mcool").display()));
    b.value_cols = vec!["K562_CAGE_128*3_sum".into()];
    b.window = W as u64;
    build_store(&b).unwrap().out
}

/// The fixture's mask of gene `i` for model `k`: the store's DNase squashed into (0, 1) with a
/// model-specific slope and a position ripple (so the two masks differ and have ties and non-ties),
/// blacklist 0, promoter 1 — the shape of a real inference mask.
pub fn mask(reader: &StoreReader, i: usize, k: usize) -> Vec<f32> {
    let spec = reader.signal_spec(&["dnase"]).unwrap();
    let ex = reader.read(i, &spec).unwrap();
    let slope = 0.5 + k as f32;
    (0..W)
        .map(|p| {
            if (W / 2 - PROMOTER..W / 2 + PROMOTER).contains(&p) {
                1.0
            } else {
                let x = ex.signals[p] * slope + 0.05 * ((p as f32) * 0.37 * (k + 1) as f32).sin();
                x / (1.0 + x.abs())
            }
        })
        .map(|v| (v * 64.0).round() / 64.0)
        .collect()
}

fn write_model(reader: &StoreReader, order: &[usize], dir: &Path, k: usize, masked: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let ids: Vec<&str> = reader.genes().iter().map(|g| g.id.as_str()).collect();
    let mut log = PredictionLog::open(dir, &ids).unwrap();
    let rows: Vec<(usize, &str, f32)> = order
        .iter()
        .map(|&i| {
            let t = reader.targets(i)[0];
            (i, ids[i], t * (0.6 + 0.1 * k as f32) + 0.3 * ((i * 7 + k) % 5) as f32 / 5.0)
        })
        .collect();
    log.append(&rows).unwrap();
    if masked {
        let mut parts = MaskParts::open(dir, W).unwrap();
        let values: Vec<f32> = order.iter().flat_map(|&i| mask(reader, i, k)).collect();
        parts.write(order, &values).unwrap();
        let h5 = parts.finish(reader, order, dir).unwrap();
        let params = ElementParams { threshold: 0.5, min_length: 20, promoter_half_width: PROMOTER };
        let elements = call_elements(&MaskFile::open(&h5).unwrap(), &reader.meta().chrom_sizes, &params).unwrap();
        write_bed(&elements, &dir.join("elements.bed")).unwrap();
    }
    log.finish(reader, order, Some(0), dir).unwrap();
}

/// Links: every planted element of a test gene's chromosome paired with that gene, scored by a
/// deterministic function of position (so some causal pairs rank high and some do not).
fn links(reader: &StoreReader, sim: &Path) -> Vec<LinkRow> {
    let test = reader.select(&Selection::Split { fold: 11, split: Split::Test }).unwrap();
    let elements = bed_rows(&sim.join("elements.bed"));
    let mut rows = Vec::new();
    for &i in &test {
        let g = &reader.genes()[i];
        for (chrom, s, e, name) in elements.iter().filter(|r| r.0 == g.chrom) {
            let mid = (s + e) / 2;
            rows.push(LinkRow {
                chr: chrom.clone(),
                start: *s,
                end: *e,
                name: name.clone(),
                class: "distal".into(),
                target_gene: g.name.clone(),
                target_gene_tss: g.tss,
                cell_type: "K562".into(),
                score: ((mid % 997) as f64) / 997.0,
                delta: -((mid % 997) as f64) / 997.0,
                mask_mean: 0.5,
                distance: mid as i64 - g.tss as i64,
                target_gene_id: g.id.clone(),
            });
        }
    }
    assert!(rows.len() > 20, "fixture: {} links", rows.len());
    rows
}

/// (chrom, start, end, name) of a BED file, read independently of the crate under test.
pub fn bed_rows(path: &Path) -> Vec<(String, u64, u64, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap(), f.get(3).unwrap_or(&"").to_string())
        })
        .collect()
}

/// `report ARGS`, output captured.
pub fn report(args: &[String]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_report")).args(args).env("RUST_LOG", "warn").output().unwrap()
}

pub fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "report failed: {}", String::from_utf8_lossy(&o.stderr));
}
