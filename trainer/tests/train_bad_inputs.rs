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
