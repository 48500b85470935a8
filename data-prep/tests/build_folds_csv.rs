//! `data-prep build --folds-csv`: EPInformer's split table (`ENSID,chrom,fold_1..fold_12,fold_enformer,Gene name`,
//! cells train/valid/test, bare chromosome names) is taken as given. The table is generated here for the
//! simulated genes with splits that deliberately break the chromosome rule, so a store equal to the table
//! cannot come from the rule. Bad tables fail naming the file and the place.

mod build_common;

use std::ffi::OsString;

use build_common::*;
use seq2exp_formats::genes::{read_genes, GeneOptions};
use seq2exp_store::{Split, StoreReader};

const SPLITS: [&str; 3] = ["train", "valid", "test"];

/// (versionless id, name, bare chrom) of the store's genes (protein-coding genes of genes.gtf).
fn genes(c: &Case) -> Vec<(String, String, String)> {
    let recs = read_genes(c.p("genes.gtf"), &GeneOptions { protein_coding_only: true, ..Default::default() }).unwrap();
    recs.iter().map(|g| (g.id.clone(), g.name.clone(), g.chrom.trim_start_matches("chr").to_string())).collect()
}

fn cell(i: usize, k: usize) -> &'static str {
    SPLITS[(i * 7 + k * 5 + i / 3) % 3]
}

/// An EPInformer-shaped table for `genes`, plus one gene the store does not have; `id_suffix` is appended to ids.
fn table(genes: &[(String, String, String)], id_suffix: &str) -> String {
    let mut s = String::from(
        "ENSID,chrom,fold_1,fold_2,fold_3,fold_4,fold_5,fold_6,fold_7,fold_8,fold_9,fold_10,fold_11,fold_12,fold_enformer,Gene name\n",
    );
    for (i, (id, name, chrom)) in genes.iter().enumerate() {
        let cells: Vec<&str> = (0..13).map(|k| cell(i, k)).collect();
        s += &format!("{id}{id_suffix},{chrom},{},{name}\n", cells.join(","));
    }
    s += "ENSG99999999999,1,train,train,train,train,train,train,train,train,train,train,train,test,valid,NOTINSTORE\n";
    s
}

fn args_with(c: &Case, folds: &str) -> Vec<OsString> {
    let mut a = c.args();
    a.push("--folds-csv".into());
    a.push(c.p(folds).into_os_string());
    a
}

fn check_store(c: &Case, genes: &[(String, String, String)]) {
    let r = StoreReader::open(c.out()).unwrap();
    assert_eq!(r.len(), genes.len());
    let mut checked = 0;
    for i in 0..r.len() {
        let gi = &r.genes()[i];
        let t = genes.iter().position(|(id, _, _)| *id == gi.id).unwrap_or_else(|| panic!("{} not in table", gi.id));
        for fold in 1..=12 {
            let want: Split = cell(t, fold - 1).parse().unwrap();
            assert_eq!(r.split(i, fold), want, "gene {} fold {fold}", gi.id);
            checked += 1;
        }
    }
    assert_eq!(checked, genes.len() * 12);
    let notes = r.meta().notes.join("\n");
    assert!(notes.contains("fold_enformer checked but not stored"), "{notes}");
    assert!(r.meta().sources.iter().any(|s| s.role == "folds"));
}

#[test]
fn store_splits_equal_the_table_for_every_gene_and_fold() {
    let c = Case::new();
    let g = genes(&c);
    c.write("folds.csv", &table(&g, ""));
    data_prep_ok(args_with(&c, "folds.csv"));
    check_store(&c, &g);
}

#[test]
fn versioned_ensids_join_without_their_suffix() {
    let c = Case::new();
    let g = genes(&c);
    c.write("folds.csv", &table(&g, ".7"));
    data_prep_ok(args_with(&c, "folds.csv"));
    check_store(&c, &g);
}

#[test]
fn unknown_header() {
    let c = Case::new();
    let g = genes(&c);
    let t = table(&g, "").replacen("fold_enformer,", "", 1);
    c.write("folds.csv", &t);
    c.fails(&args_with(&c, "folds.csv"), &c.p("folds.csv"), &["line 1", "unknown header", "fold_enformer"]);
}

#[test]
fn bad_cell_names_line_and_column() {
    let c = Case::new();
    let g = genes(&c);
    let mut lines: Vec<String> = table(&g, "").lines().map(str::to_string).collect();
    let mut cols: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cols[8] = "Train".into(); // fold_7, column 9
    lines[3] = cols.join(",");
    c.write("folds.csv", &(lines.join("\n") + "\n"));
    c.fails(&args_with(&c, "folds.csv"), &c.p("folds.csv"), &["line 4", "column 9 (fold_7)", "'Train'"]);
}

#[test]
fn store_gene_missing_from_the_table() {
    let c = Case::new();
    let g = genes(&c);
    let t = table(&g, "");
    let (gone, _, _) = &g[2];
    let kept: Vec<&str> = t.lines().filter(|l| !l.starts_with(&format!("{gone},"))).collect();
    c.write("folds.csv", &(kept.join("\n") + "\n"));
    c.fails(&args_with(&c, "folds.csv"), &c.p("folds.csv"), &[&format!("gene {gone}"), "--folds-missing exclude"]);

    // With --folds-missing exclude the gene belongs to no fold.
    let mut a = args_with(&c, "folds.csv");
    a.push("--folds-missing".into());
    a.push("exclude".into());
    data_prep_ok(a);
    let r = StoreReader::open(c.out()).unwrap();
    let i = (0..r.len()).find(|&i| r.genes()[i].id == *gone).unwrap();
    assert!((1..=12).all(|f| r.split(i, f) == Split::Excluded));
}

#[test]
fn duplicate_and_wrong_chromosome_rows() {
    let c = Case::new();
    let g = genes(&c);
    let t = table(&g, "");
    let row2 = t.lines().nth(2).unwrap().to_string();
    c.write("folds.csv", &format!("{t}{row2}\n"));
    let dup_line = t.lines().count() + 1;
    c.fails(&args_with(&c, "folds.csv"), &c.p("folds.csv"), &[&format!("line {dup_line}"), "duplicate", "line 3"]);

    let (id, _, chrom) = &g[0];
    let other = if chrom == "2" { "1" } else { "2" };
    c.write("folds.csv", &t.replacen(&format!("{id},{chrom},"), &format!("{id},{other},"), 1));
    c.fails(
        &args_with(&c, "folds.csv"),
        &c.p("folds.csv"),
        &["line 2", &format!("gene {id}"), &format!("chr{other} in the table")],
    );
}
