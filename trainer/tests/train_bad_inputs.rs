//! Bad input to `trainer train`: one clear `error:` line each.

mod common;

use common::{config, store, train_cmd};

fn last_line(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "should have failed");
    String::from_utf8_lossy(&out.stderr).trim_end().lines().last().unwrap_or("").to_string()
}

#[test]
fn store_of_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    {
        let f = hdf5::File::open_rw(&s).unwrap();
        f.attr("schema_version").unwrap().write_scalar(&99u32).unwrap();
    }
    let line = last_line(&train_cmd(&s, &config(dir.path()), &dir.path().join("run")).output().unwrap());
    assert!(line.starts_with("error:") && line.contains("store.h5") && line.contains("schema version 99"), "{line}");
}

#[test]
fn fold_with_an_empty_split() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    // The small genome has chr1–chr3: fold 5 validates on chr5 and chr15.
    let out = train_cmd(&s, &config(dir.path()), &dir.path().join("run")).args(["--fold", "5"]).output().unwrap();
    let line = last_line(&out);
    assert!(line.starts_with("error:") && line.contains("fold 5 has no valid genes"), "{line}");
}

#[test]
fn impossible_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let cfg = config(dir.path());
    let text = std::fs::read_to_string(&cfg).unwrap();
    for (edit, expect) in [
        (text.replace("[0.4,0.4,0.2]", "[0.5,0.4,0.2]"), "must sum to 1"),
        (text.replacen("\"d_inner\":32", "\"d_inner\":-3", 1), "bad configuration"),
        (text.replacen("\"n_layer\":2", "\"n_layer\":0", 1), "n_layer"),
        (text.replace("\"window\":4000", "\"window\":8000"), "store windows are 4000 bp"),
    ] {
        assert_ne!(edit, text, "the edit for '{expect}' must change the config");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, &edit).unwrap();
        let line = last_line(&train_cmd(&s, &bad, &dir.path().join("run-bad")).output().unwrap());
        assert!(line.starts_with("error:") && line.contains(expect), "{expect}: {line}");
    }
    let line = last_line(&train_cmd(&s, &cfg, &dir.path().join("run")).args(["--mode", "psychic"]).output().unwrap());
    assert!(line.contains("unknown --mode 'psychic'"), "{line}");
}

/// Every configuration error names the config file and the dotted key at fault.
#[test]
fn configuration_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let text = std::fs::read_to_string(config(dir.path())).unwrap();
    for (edit, key) in [
        (text.replacen("\"d_inner\":32", "\"d_inner\":-3", 1), "model.generator.mamba.d_inner"),
        (text.replacen("\"n_layer\":2", "\"n_layer\":0", 1), "model.generator.n_layer"),
        (text.replace("[0.4,0.4,0.2]", "[0.5,0.4,0.2]"), "model.mask.prior_weights"),
        (text.replacen("\"steps\":16", "\"steps\":16,\"stepz\":3", 1), "train.stepz"),
        (text.replacen("\"fold\":1", "\"fold\":13", 1), "train.fold"),
    ] {
        assert_ne!(edit, text, "the edit for {key} must change the config");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, &edit).unwrap();
        let out = dir.path().join("run-bad");
        let o = train_cmd(&s, &bad, &out).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let line = last_line(&o);
        assert!(
            line.starts_with(&format!("error: {}: bad configuration: key `{key}`", bad.display())),
            "{key}: {line}"
        );
        assert!(!out.exists(), "{key}: a refused run must not leave its directory");
    }
}

/// A run directory is one job's: a second `trainer train` on it is refused at once.
#[test]
fn second_job_on_the_same_run_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let _held = seq2exp_store::output::DirLock::try_lock(&run).unwrap().expect("lock free");
    let o = train_cmd(&s, &config(dir.path()), &run).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let line = last_line(&o);
    assert!(
        line.starts_with(&format!("error: {}: another job is training in this run directory", run.display())),
        "{line}"
    );
    assert_eq!(std::fs::read_dir(&run).unwrap().count(), 0, "a refused job must write nothing");
}

/// A corrupt chunk of the store, met while training: the error names the store, the gene and the
/// dataset, and no temporary file is left in the run directory.
#[test]
fn corrupt_store_chunk_names_the_gene_and_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    // Fold 1 validates on chr1: its genes with a target are read at the first validation.
    let (index, gene) = {
        let r = seq2exp_store::StoreReader::open(&s).unwrap();
        let i = (0..r.len()).find(|&i| r.genes()[i].chrom == "chr1" && r.targets(i)[0].is_finite()).unwrap();
        (i, r.genes()[i].id.clone())
    };
    let (addr, size) = {
        // The store's writer and reader ran in this process: open without HDF5's file lock, as they do.
        let f = hdf5::File::with_options().with_fapl(|p| p.file_locking(false)).open(&s).unwrap();
        let ds = f.dataset("signals").unwrap();
        let c = (0..ds.num_chunks().unwrap())
            .filter_map(|k| ds.chunk_info(k))
            .find(|c| c.offset[0] == index as u64)
            .unwrap();
        (c.addr as usize, c.size as usize)
    };
    let mut bytes = std::fs::read(&s).unwrap();
    bytes[addr..addr + size].fill(0);
    std::fs::write(&s, bytes).unwrap();
    let run = dir.path().join("run");
    let o = train_cmd(&s, &config(dir.path()), &run).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let line = last_line(&o);
    assert!(line.starts_with(&format!("error: {}: gene {gene}: dataset signals: cannot read", s.display())), "{line}");
    let leftovers: Vec<_> = std::fs::read_dir(&run)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
