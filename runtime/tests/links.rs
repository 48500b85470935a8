//! `runtime links` on the simulator's genome: one row per (element, gene window) overlap, each Δ the
//! model's prediction on the window with that element deleted as documented (DNA → N, activity tracks
//! → 0, Hi-C kept) minus the REF prediction; the table reads back in the ABC shape; bad input fails.

mod common;

use common::{ok, run_quiet};

use std::path::{Path, PathBuf};

use seq2exp_models::config::MaskMode;
use seq2exp_runtime::links::table::read_links;
use seq2exp_runtime::{InputBatch, LoadOptions, Model};
use seq2exp_simulate::{simulate, SimConfig};
use seq2exp_store::StoreReader;

const W: usize = 4_000;

fn model(dir: &Path, mode: MaskMode) -> PathBuf {
    common::scaled_model(dir, mode, W, 3)
}

fn setup(d: &Path) -> (PathBuf, PathBuf) {
    let sim = d.join("sim");
    simulate(&SimConfig::small(5), &sim).unwrap();
    let store = common::sim_store(&sim, &sim.join("genome.fa"), &d.join("store.h5"), W, false);
    (sim, store)
}

/// (chrom, start, end) of a BED file.
fn elements(bed: &Path) -> Vec<(String, i64, i64)> {
    std::fs::read_to_string(bed)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn deleting_each_given_element_is_the_documented_edit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (sim, store) = setup(d);
    let m = model(d, MaskMode::Soft);
    let reader = StoreReader::open(&store).unwrap();
    // The planted elements, plus one element per gene over its promoter: an untrained model mixes only
    // over short ranges, so only elements near the pooled centre move its prediction.
    let mut bed = std::fs::read_to_string(sim.join("elements.bed")).unwrap();
    for g in reader.genes() {
        bed.push_str(&format!("{}\t{}\t{}\tpromoter_{}\n", g.chrom, g.tss - 150, g.tss + 50, g.name));
    }
    let bed_path = d.join("candidates.bed");
    std::fs::write(&bed_path, &bed).unwrap();
    let out = d.join("links");
    let args = ["links", "--cell-type", "K562", "--batch", "3"];
    let paths = [("--model", m.as_path()), ("--store", &store), ("--out", &out), ("--elements", &bed_path)];
    ok(&run_quiet(&args, &paths));
    let rows = read_links(&out.join("links.tsv")).unwrap();
    // Independently: every (gene, element) pair whose intervals overlap, clipped to the window.
    let mut want = Vec::new();
    for g in reader.genes() {
        let ws = g.window_start(W as u64);
        for (c, s, e) in elements(&bed_path) {
            if c == g.chrom && e > ws && s < ws + W as i64 {
                want.push((g.name.clone(), s.max(ws), e.min(ws + W as i64)));
            }
        }
    }
    let mut got: Vec<(String, i64, i64)> =
        rows.iter().map(|r| (r.target_gene.clone(), r.start as i64, r.end as i64)).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "one link per element–gene overlap");
    assert!(rows.iter().all(|r| r.cell_type == "K562" && (r.score + r.delta).abs() < 1e-12));
    assert!(rows.iter().any(|r| r.delta != 0.0), "no deletion changed the prediction");

    // One link recomputed by hand.
    let model = Model::load(&m, &LoadOptions { threads: Some(1), ..Default::default() }).unwrap();
    let names: Vec<&str> = model.info().signal_names.iter().map(String::as_str).collect();
    let spec = reader.signal_spec(&names).unwrap();
    for r in [
        rows.iter().find(|r| r.class == "distal").expect("a distal link"),
        rows.iter().find(|r| r.class == "promoter").unwrap(),
    ] {
        let gi = reader.genes().iter().position(|g| g.name == r.target_gene).unwrap();
        let ex = reader.read(gi, &spec).unwrap();
        let ws = reader.genes()[gi].window_start(W as u64);
        let (a, b) = ((r.start as i64 - ws) as usize, (r.end as i64 - ws) as usize);
        let (mut dna, mut signals) = (ex.dna.clone(), ex.signals.clone());
        let c = names.len();
        for pos in a..b {
            dna[pos] = 4;
            for (ch, name) in names.iter().enumerate() {
                if *name != "hic" {
                    signals[pos * c + ch] = 0.0;
                }
            }
        }
        let run = |dna: &[u8], signals: &[f32]| {
            model
                .predict(&InputBatch {
                    batch: 1,
                    window: W,
                    dna,
                    signals,
                    features: &ex.features,
                    blacklist: Some(&ex.blacklist),
                })
                .unwrap()
        };
        let (reference, deleted) = (run(&ex.dna, &ex.signals), run(&dna, &signals));
        let delta = (deleted.expression[0] - reference.expression[0]) as f64;
        assert!((r.delta - delta).abs() <= 1e-5, "link delta {} vs by hand {delta}", r.delta);
        let mask = reference.mask.unwrap();
        let mean = mask[a..b].iter().map(|&v| v as f64).sum::<f64>() / (b - a) as f64;
        assert!((r.mask_mean - mean).abs() <= 1e-5);
        assert_eq!(r.distance, (r.start + r.end) as i64 / 2 - reader.genes()[gi].tss as i64);
    }

    // A rerun of the finished job returns the same file.
    let before = std::fs::read(out.join("links.tsv")).unwrap();
    ok(&run_quiet(&args, &paths));
    assert_eq!(std::fs::read(out.join("links.tsv")).unwrap(), before);
}

#[test]
fn the_models_own_elements_by_default_and_bad_input_fails() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, store) = setup(d);
    let soft = model(d, MaskMode::Soft);
    let out = d.join("own");
    ok(&run_quiet(
        &["links", "--element-threshold", "0.3"],
        &[("--model", &soft), ("--store", &store), ("--out", &out)],
    ));
    let rows = read_links(&out.join("links.tsv")).unwrap();
    assert!(!rows.is_empty(), "no element reached the threshold: the check is vacuous");
    assert!(rows.iter().all(|r| r.mask_mean >= 0.3 && r.end - r.start >= 50 && r.class == "distal"));

    // A model without a mask needs --elements; a BED with start > end names its line; nothing written.
    let nomask = model(d, MaskMode::Nomask);
    let out = d.join("bad");
    let o = run_quiet(&["links"], &[("--model", &nomask), ("--store", &store), ("--out", &out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--elements"), "{err}");
    let bed = d.join("bad.bed");
    std::fs::write(&bed, "chr1\t100\t200\nchr1\t500\t400\n").unwrap();
    let o = run_quiet(&["links"], &[("--model", &soft), ("--store", &store), ("--out", &out), ("--elements", &bed)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("bad.bed: line 2") && err.contains("start 500 > end 400"), "{err}");
    assert!(!out.join("links.tsv").exists());
}
