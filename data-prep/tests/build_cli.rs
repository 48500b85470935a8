//! Acceptance of the `data-prep` command line around a built store: `inspect --json` (gene count and
//! per-fold split counts against the fold rule counted by hand from genes.gtf), `inspect --gene` with a
//! versioned id, `inspect` of files that are not stores, rebuilding onto an existing store (atomic
//! replacement), and the provenance of the inputs (sizes and sha256).

mod build_common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use build_common::*;
use seq2exp_simulate::SimConfig;
use seq2exp_store::StoreReader;
use sha2::{Digest, Sha256};

const WINDOW: u64 = 20_000;

struct Built {
    sim: Sim,
    store: PathBuf,
}

fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let sim = simulate_into(&SimConfig::small(SEED));
        let store = sim.tmp.path().join("store.h5");
        data_prep_ok(build_args(&sim.dir, &store, WINDOW));
        Built { sim, store }
    })
}

/// Protein-coding genes of genes.gtf read by hand: versioned id → (canonical chrom, 0-based TSS, strand)
/// (TSS from the gene row where there is one, else from the transcripts: min start on +, max end − 1 on −).
/// One gene or transcript row: (chrom, 1-based start, end, strand, is the gene row).
type Row = (String, u64, u64, char, bool);

fn gtf_genes(path: &Path) -> BTreeMap<String, (String, u64, char)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for l in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let c: Vec<&str> = l.split('\t').collect();
        if !l.contains("gene_type \"protein_coding\"") || !(c[2] == "gene" || c[2] == "transcript") {
            continue;
        }
        let id = c[8].split("gene_id \"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let chrom = if c[0].starts_with("chr") { c[0].to_string() } else { format!("chr{}", c[0]) };
        rows.entry(id).or_default().push((
            chrom,
            c[3].parse().unwrap(),
            c[4].parse().unwrap(),
            c[6].chars().next().unwrap(),
            c[2] == "gene",
        ));
    }
    rows.into_iter()
        .map(|(id, r)| {
            let gene: Vec<_> = r.iter().filter(|x| x.4).collect();
            let defining: Vec<_> = if gene.is_empty() { r.iter().collect() } else { gene };
            let strand = defining[0].3;
            let tss = if strand == '+' {
                defining.iter().map(|x| x.1 - 1).min().unwrap()
            } else {
                defining.iter().map(|x| x.2 - 1).max().unwrap()
            };
            (id, (defining[0].0.clone(), tss, strand))
        })
        .collect()
}

fn inspect_json(args: &[OsString]) -> serde_json::Value {
    let o = data_prep_ok(args);
    serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("inspect --json output does not parse ({e}):\n{}", stdout(&o)))
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn inspect_json_counts_genes_and_fold_splits() {
    let b = built();
    let j = inspect_json(&["inspect".into(), b.store.clone().into_os_string(), "--json".into()]);
    let genes = gtf_genes(&b.sim.dir.join("genes.gtf"));
    assert_eq!(j["genes"].as_u64().unwrap() as usize, genes.len());
    assert_eq!(j["window_length"].as_u64().unwrap(), WINDOW);
    assert_eq!(j["schema_version"].as_u64().unwrap(), 1);
    let tracks: Vec<&str> = j["tracks"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tracks, ["h3k27ac", "dnase"]);
    let folds = j["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 12);
    let mut nontrivial = 0;
    for (k, f) in folds.iter().enumerate() {
        let fold = k + 1;
        assert_eq!(f["fold"].as_u64().unwrap() as usize, fold);
        let mut want = [0usize; 4]; // train, valid, test, excluded
        for (chrom, _, _) in genes.values() {
            match expected_split(chrom, fold) {
                0 => want[0] += 1,
                1 => want[1] += 1,
                2 => want[2] += 1,
                _ => want[3] += 1,
            }
        }
        let got = ["train", "valid", "test", "excluded"].map(|s| f[s].as_u64().unwrap() as usize);
        assert_eq!(got, want, "fold {fold} split counts");
        nontrivial += (want[1] > 0 && want[2] > 0) as usize;
    }
    assert!(nontrivial >= 2, "fold counts are trivial on this genome");
    let per_chrom: BTreeMap<String, u64> = j["genes_per_chromosome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["chrom"].as_str().unwrap().to_string(), c["genes"].as_u64().unwrap()))
        .collect();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    genes.values().for_each(|(c, _, _)| *want.entry(c.clone()).or_default() += 1);
    assert_eq!(per_chrom, want);
}

#[test]
fn inspect_one_gene_by_versioned_id() {
    let b = built();
    let genes = gtf_genes(&b.sim.dir.join("genes.gtf"));
    let (vid, (chrom, tss, strand)) = genes.iter().find(|(_, g)| g.2 == '-').expect("a minus-strand gene");
    assert!(vid.contains('.'), "the GTF ids should be versioned");
    let bare = vid.split('.').next().unwrap();
    let r = StoreReader::open(&b.store).unwrap();
    let idx = r.genes().iter().position(|g| g.id == bare).unwrap();
    let dna = r.read(idx, &r.signal_spec(&[]).unwrap()).unwrap().dna;
    for key in [vid.clone(), format!("{bare}.999"), bare.to_string()] {
        let j = inspect_json(&[
            "inspect".into(),
            b.store.clone().into_os_string(),
            "--gene".into(),
            key.clone().into(),
            "--json".into(),
        ]);
        let g = &j["gene"];
        assert_eq!(g["id"].as_str().unwrap(), bare, "--gene {key}");
        assert_eq!(g["chrom"].as_str().unwrap(), chrom);
        assert_eq!(g["tss"].as_u64().unwrap(), *tss);
        assert_eq!(g["strand"].as_str().unwrap(), strand.to_string());
        let counts = ["A", "C", "G", "T", "N"].map(|k| g["dna"][k].as_u64().unwrap() as usize);
        let mut want = [0usize; 5];
        dna.iter().for_each(|&c| want[c as usize] += 1);
        assert_eq!(counts, want);
        assert_eq!(counts.iter().sum::<usize>(), WINDOW as usize);
        let splits: Vec<&str> = g["splits"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let want: Vec<&str> = (1..=12).map(|f| ["train", "valid", "test"][expected_split(chrom, f) as usize]).collect();
        assert_eq!(splits, want);
        let start = *tss as i64 - (WINDOW / 2) as i64;
        assert_eq!(g["window"].as_str().unwrap(), format!("{chrom}:{start}-{}", start + WINDOW as i64));
    }
    // Text output mentions the gene too, and an unknown gene is one clear error line.
    let o = data_prep_ok(["inspect".into(), b.store.clone().into_os_string(), OsString::from("--gene"), vid.into()]);
    assert!(stdout(&o).lines().any(|l| l.starts_with("gene") && l.contains(bare)), "{}", stdout(&o));
    let o =
        data_prep(["inspect".into(), b.store.clone().into_os_string(), OsString::from("--gene"), "ENSGNOPE.1".into()]);
    assert!(!o.status.success());
    let line = last_line(&stderr(&o));
    println!("ERROR LINE: {line}");
    assert!(line.starts_with("error:") && line.contains("ENSGNOPE"), "{line}");
}

/// Exactly one non-empty stderr line, starting with `error:` and naming `path`.
fn one_error_line(args: &[OsString], path: &Path, says: &str) {
    let o = data_prep(args);
    assert!(!o.status.success(), "inspect succeeded on {}", path.display());
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    println!("ERROR LINE: {}", lines.join(" | "));
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{err}");
    assert!(lines[0].starts_with("error:"), "{err}");
    assert!(lines[0].contains(&path.display().to_string()), "does not name {}: {err}", path.display());
    assert!(lines[0].contains(says), "does not say '{says}': {err}");
    assert!(stdout(&o).trim().is_empty(), "nothing on stdout: {}", stdout(&o));
}

#[test]
fn inspect_refuses_non_stores_with_one_line() {
    let b = built();
    let mcool = b.sim.dir.join("contacts.mcool");
    one_error_line(
        &["inspect".into(), mcool.clone().into_os_string(), "--json".into()],
        &mcool,
        "not a seq2exp window store",
    );
    let missing = b.sim.tmp.path().join("missing.h5");
    one_error_line(&["inspect".into(), missing.clone().into_os_string()], &missing, "no such file");
    let text = b.sim.dir.join("expression.csv");
    one_error_line(&["inspect".into(), text.clone().into_os_string()], &text, "");
}

#[test]
fn building_twice_to_one_path_replaces_the_store_atomically() {
    let b = built();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("store.h5");
    data_prep_ok(build_args(&b.sim.dir, &out, WINDOW));
    let first = StoreReader::open(&out).unwrap();
    let spec = first.signal_spec(&["dnase"]).unwrap();
    let before = first.read(0, &spec).unwrap();
    let inode = std::fs::metadata(&out).unwrap().ino();

    // The second build differs (window, a second target) so its store can be told apart.
    let mut args = build_args(&b.sim.dir, &out, 24_000);
    args.extend(["--value-col".into(), "GM12878_CAGE_128*3_sum".into()]);
    data_prep_ok(&args);
    assert_eq!(list_dir(dir.path()), ["store.h5"], "leftover files after the rebuild");
    assert_ne!(
        std::fs::metadata(&out).unwrap().ino(),
        inode,
        "the store should be replaced by a rename, not rewritten in place"
    );
    let second = StoreReader::open(&out).unwrap();
    assert_eq!(second.window(), 24_000);
    assert_eq!(
        second.meta().target_names,
        [format!("log10({VALUE_COL}+1)"), "log10(GM12878_CAGE_128*3_sum+1)".to_string()]
    );
    assert_eq!(second.len(), first.len());
    let e = second.read(second.len() - 1, &second.default_signal_spec().unwrap()).unwrap();
    assert_eq!(e.dna.len(), 24_000);
    // A reader of the old store still sees the old, complete file.
    let again = first.read(0, &spec).unwrap();
    assert_eq!(again.dna, before.dna);
    assert_eq!(again.signals, before.signals);
    assert_eq!(first.window(), WINDOW as usize);
}

#[test]
fn sources_record_sizes_and_sha256_of_the_inputs() {
    let b = built();
    let j = inspect_json(&["inspect".into(), b.store.clone().into_os_string(), "--json".into()]);
    let d = &b.sim.dir;
    let want: BTreeMap<&str, PathBuf> = [
        ("fasta", d.join("genome.fa")),
        ("genes", d.join("genes.gtf")),
        ("expression", d.join("expression.csv")),
        ("bigwig:h3k27ac", d.join("h3k27ac.bw")),
        ("bigwig:dnase", d.join("dnase.bw")),
        ("hic", d.join("contacts.mcool")),
        ("features", d.join("features.csv")),
        ("blacklist", d.join("blacklist.bed")),
    ]
    .into_iter()
    .collect();
    let sources = j["sources"].as_array().unwrap();
    let roles: Vec<&str> = sources.iter().map(|s| s["role"].as_str().unwrap()).collect();
    let mut sorted = roles.clone();
    sorted.sort();
    assert_eq!(sorted, want.keys().copied().collect::<Vec<_>>(), "roles recorded: {roles:?}");
    for s in sources {
        let role = s["role"].as_str().unwrap();
        let file = &want[role];
        assert_eq!(Path::new(s["path"].as_str().unwrap()), std::fs::canonicalize(file).unwrap(), "{role}");
        assert_eq!(s["size"].as_u64().unwrap(), std::fs::metadata(file).unwrap().len(), "{role} size");
        assert_eq!(s["sha256"].as_str().unwrap(), sha256(file), "{role} sha256");
    }
    // The recorded command is the one typed, with the value column shell-quoted.
    let cmd = j["command"].as_str().unwrap();
    assert!(cmd.contains(" build ") && cmd.contains(&format!("--window {WINDOW}")), "{cmd}");
    assert!(cmd.contains(&format!("'{VALUE_COL}'")), "value column should be quoted: {cmd}");
}

/// A reader that stops early (`data-prep inspect store.h5 | head`) ends the command quietly, as the
/// kernel's SIGPIPE default does for any Unix tool, rather than panicking on the closed pipe.
#[test]
fn inspect_into_a_closed_pipe_ends_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let b = built();
    let mut child = Command::new(bin())
        .arg("inspect")
        .arg(&b.store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn data-prep");
    drop(child.stdout.take()); // the reader goes away before anything is written
    let out = child.wait_with_output().expect("wait for data-prep");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "data-prep panicked on a closed pipe:\n{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "expected SIGPIPE's default; got {:?}: {stderr}", out.status);
}
