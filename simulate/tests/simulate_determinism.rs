//! The simulator is a pure function of its config: same seed → byte-identical files, different seed →
//! different files; output directories are refused or replaced as documented.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use seq2exp_simulate::{simulate, SimConfig};
use sha2::{Digest, Sha256};

fn digests(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = Vec::new();
        std::fs::File::open(&path).unwrap().read_to_end(&mut bytes).unwrap();
        out.insert(path.file_name().unwrap().to_string_lossy().into_owned(), hex::encode(Sha256::digest(&bytes)));
    }
    out
}

#[test]
fn same_seed_is_byte_identical_and_other_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    let summary = simulate(&SimConfig::small(7), &a).unwrap();
    // The second run uses a single thread: chromosome streams make the result independent of scheduling.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    one.install(|| simulate(&SimConfig::small(7), &b)).unwrap();
    simulate(&SimConfig::small(8), &c).unwrap();
    let (da, db, dc) = (digests(&a), digests(&b), digests(&c));
    let mut listed = summary.files.clone();
    listed.sort();
    assert_eq!(da.keys().cloned().collect::<Vec<_>>(), listed, "summary lists exactly the files written");
    assert_eq!(da, db, "same seed must give byte-identical files");
    // The .fai depends only on chromosome lengths, which the seed does not change.
    for (name, digest) in da.iter().filter(|(n, _)| n.as_str() != "genome.fa.fai") {
        assert_ne!(digest, &dc[name], "{name} did not change with the seed");
    }
    // Nothing is left behind next to the output (the temp dir was renamed into place).
    let mut names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn refuses_non_empty_dir_unless_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    let mut cfg = SimConfig::small(3);
    cfg.genes_per_chrom = 2;
    cfg.chromosomes.truncate(1);
    let err = simulate(&cfg, &out).unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    assert!(out.join("keep.txt").exists(), "a refused run must not touch the directory");

    cfg.overwrite = true;
    simulate(&cfg, &out).unwrap();
    assert!(!out.join("keep.txt").exists(), "overwrite replaces the directory");
    assert!(out.join("manifest.json").exists());
    // An existing empty directory is accepted without overwrite.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    cfg.overwrite = false;
    simulate(&cfg, &empty).unwrap();
    assert!(empty.join("genome.fa").exists());
}

#[test]
fn manifest_hashes_match_files_and_config_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let cfg = SimConfig::small(11);
    simulate(&cfg, &out).unwrap();
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    let d = digests(&out);
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len() + 1, d.len(), "every file but the manifest is listed");
    for f in files {
        let name = f["path"].as_str().unwrap();
        assert_eq!(f["sha256"].as_str().unwrap(), d[name], "{name}");
    }
    let back: SimConfig = serde_json::from_value(m["config"].clone()).unwrap();
    assert_eq!(back, cfg, "the manifest's config regenerates the same genome");
    assert!(m["build_command"].as_str().unwrap().contains("--hic contacts.mcool::resolutions/5000"));
    let frac = m["variance"]["fraction_causal"].as_f64().unwrap();
    assert!(frac > 0.0 && frac <= 1.5, "fraction_causal {frac}");
}
