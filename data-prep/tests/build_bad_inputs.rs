//! Acceptance: `data-prep build` on a small simulated input set with exactly one defect fails with a
//! non-zero exit status, and the last line of stderr starts with `error:`, names the offending file and
//! the place (line / chromosome / gene / argument); nothing is left in the output directory — no store
//! and no temporary file. One defect is not an error: a bigWig lacking a FASTA chromosome builds, with
//! zeros there and a note naming the file.
//!
//! Each failing case prints its error line (`cargo test ... -- --nocapture` shows them for review).

mod build_common;

use std::ffi::OsString;

use build_common::*;
use seq2exp_simulate::{generate, SimConfig};
use seq2exp_store::StoreReader;

/// GTF rows as (line number, columns), comments skipped.
fn gtf_rows(text: &str) -> Vec<(usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
        .collect()
}

fn attr<'a>(cols: &[&'a str], key: &str) -> Option<&'a str> {
    cols[8].split(';').map(str::trim).find_map(|kv| kv.strip_prefix(key)?.trim().strip_prefix('"')?.strip_suffix('"'))
}

/// The first protein-coding gene with a `gene` row on GTF chromosome `chrom`: (line, versioned id).
fn coding_gene_row(text: &str, chrom: &str) -> (usize, String) {
    gtf_rows(text)
        .into_iter()
        .find(|(_, c)| c[0] == chrom && c[2] == "gene" && attr(c, "gene_type") == Some("protein_coding"))
        .map(|(n, c)| (n, attr(&c, "gene_id").unwrap().to_string()))
        .unwrap_or_else(|| panic!("no protein-coding gene row on {chrom}"))
}

fn strip(id: &str) -> &str {
    id.split('.').next().unwrap()
}

/// Length of `name` in a .fai.
fn fai_len(fai: &str, name: &str) -> u64 {
    fai.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|c| c[0] == name)
        .map(|c| c[1].parse().unwrap())
        .unwrap()
}

#[test]
fn gene_on_a_chromosome_missing_from_the_fasta() {
    let c = Case::new();
    // Drop chrX (the last sequence) from genome.fa and its .fai line.
    let fa = c.read("genome.fa");
    let at = fa.find(">chrX\n").expect("chrX in genome.fa");
    c.write("genome.fa", &fa[..at]);
    let fai: String =
        c.read("genome.fa.fai").lines().filter(|l| !l.starts_with("chrX\t")).map(|l| format!("{l}\n")).collect();
    c.write("genome.fa.fai", &fai);
    let (_, id) = coding_gene_row(&c.read("genes.gtf"), "X");
    let line = c.fails(&c.args(), &c.p("genes.gtf"), &[&format!("gene {}", strip(&id)), "chromosome chrX"]);
    assert!(line.contains(&c.p("genome.fa").display().to_string()), "should say which FASTA lacks it: {line}");
}

#[test]
fn chromosome_lengths_differ_between_fasta_and_bigwig() {
    // A bigWig from another "build": same names, different chromosome sizes.
    let other_cfg = SimConfig { gene_spacing: 40_000, ..SimConfig::small(SEED) };
    let other = simulate_into(&other_cfg);
    let c = Case::new();
    std::fs::copy(other.dir.join("dnase.bw"), c.p("dnase.bw")).unwrap();
    let (ours, theirs) = (SimConfig::small(SEED).chrom_length(), other_cfg.chrom_length());
    assert_ne!(ours, theirs);
    c.fails(&c.args(), &c.p("dnase.bw"), &["chromosome chr", &theirs.to_string(), &ours.to_string()]);
}

#[test]
fn truncated_bigwig() {
    let c = Case::new();
    let bytes = std::fs::read(c.p("h3k27ac.bw")).unwrap();
    std::fs::write(c.p("h3k27ac.bw"), &bytes[..bytes.len() / 2]).unwrap();
    c.fails(&c.args(), &c.p("h3k27ac.bw"), &["truncated"]);
}

#[test]
fn truncated_fasta_shorter_than_its_fai() {
    let c = Case::new();
    let bytes = std::fs::read(c.p("genome.fa")).unwrap();
    std::fs::write(c.p("genome.fa"), &bytes[..bytes.len() - 500]).unwrap();
    c.fails(&c.args(), &c.p("genome.fa"), &["chromosome chrX", "truncated"]);
}

#[test]
fn malformed_expression_table_row() {
    let c = Case::new();
    let text = c.read("expression.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let id = lines[4].split(',').next().unwrap().to_string();
    lines[4] = format!("{id},1.5"); // line 5: two fields where the header has three
    c.write("expression.csv", &(lines.join("\n") + "\n"));
    c.fails(&c.args(), &c.p("expression.csv"), &["line 5", "fields"]);
}

#[test]
fn duplicate_gene_id() {
    let c = Case::new();
    let text = c.read("genes.gtf");
    let (gene_line, id) = coding_gene_row(&text, "2");
    // Append the gene's whole block (gene, transcript and exon rows) again, same id.
    let block: Vec<&str> = text.lines().filter(|l| l.contains(&format!("gene_id \"{id}\";"))).collect();
    let dup_line = text.lines().count() + 1;
    c.write("genes.gtf", &format!("{text}{}\n", block.join("\n")));
    c.fails(
        &c.args(),
        &c.p("genes.gtf"),
        &[&format!("gene {}", strip(&id)), &gene_line.to_string(), &dup_line.to_string()],
    );
}

#[test]
fn unknown_gene_id_column() {
    let c = Case::new();
    let mut args = c.args();
    set_arg(&mut args, "--id-col", "NOPE");
    c.fails(&args, &c.p("expression.csv"), &["line 1", "'NOPE'", "ENSID"]);
}

#[test]
fn gene_outside_its_chromosome() {
    let c = Case::new();
    let text = c.read("genes.gtf");
    let len = fai_len(&c.read("genome.fa.fai"), "chr1");
    let (_, id) = coding_gene_row(&text, "1");
    let key = format!("gene_id \"{id}\";");
    // Move every row of the gene past the end of chr1.
    let moved: Vec<String> = text
        .lines()
        .map(|l| {
            if !l.contains(&key) {
                return l.to_string();
            }
            let mut cols: Vec<String> = l.split('\t').map(str::to_string).collect();
            for k in [3, 4] {
                cols[k] = (cols[k].parse::<u64>().unwrap() + len).to_string();
            }
            cols.join("\t")
        })
        .collect();
    c.write("genes.gtf", &(moved.join("\n") + "\n"));
    c.fails(
        &c.args(),
        &c.p("genes.gtf"),
        &[&format!("gene {}", strip(&id)), "chromosome chr1", &format!("length {len}")],
    );
}

#[test]
fn no_protein_coding_genes_left() {
    let c = Case::new();
    let text = c.read("genes.gtf");
    let kept: Vec<&str> = text.lines().filter(|l| l.starts_with('#') || l.contains("gene_type \"lncRNA\"")).collect();
    assert!(kept.iter().any(|l| !l.starts_with('#')), "the simulator should write lncRNA genes");
    c.write("genes.gtf", &(kept.join("\n") + "\n"));
    c.fails(&c.args(), &c.p("genes.gtf"), &["no genes"]);
}

#[test]
fn missing_input_files() {
    let c = Case::new();
    let missing = c.p("nope.bw");
    let mut args = c.args();
    let i = args.iter().position(|a| a.to_string_lossy().starts_with("dnase=")).unwrap();
    args[i] = format!("dnase={}", missing.display()).into();
    c.fails(&args, &missing, &["No such file"]);

    let missing = c.p("nope.csv");
    let mut args = c.args();
    set_arg(&mut args, "--expression", &missing);
    c.fails(&args, &missing, &["No such file"]);
}

#[test]
fn hic_resolution_that_does_not_exist() {
    let c = Case::new();
    let mut args = c.args();
    set_arg(&mut args, "--hic", format!("{}::resolutions/2000", c.p("contacts.mcool").display()));
    c.fails(&args, &c.p("contacts.mcool"), &["resolutions/2000", "resolutions/5000"]);
}

#[test]
fn malformed_gtf_row() {
    let c = Case::new();
    let text = c.read("genes.gtf");
    let (n, _) = gtf_rows(&text).into_iter().find(|(_, cols)| cols[2] == "transcript").unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 != n {
                return l.to_string();
            }
            let mut cols: Vec<&str> = l.split('\t').collect();
            cols[3] = "12x4";
            cols.join("\t")
        })
        .collect();
    c.write("genes.gtf", &(lines.join("\n") + "\n"));
    c.fails(&c.args(), &c.p("genes.gtf"), &[&format!("line {n}:")]);
}

#[test]
fn non_numeric_expression_value() {
    let c = Case::new();
    let mut lines: Vec<String> = c.read("expression.csv").lines().map(str::to_string).collect();
    let mut cols: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cols[1] = "NA".into();
    lines[3] = cols.join(",");
    c.write("expression.csv", &(lines.join("\n") + "\n"));
    c.fails(&c.args(), &c.p("expression.csv"), &["line 4", "'NA'", VALUE_COL]);
}

#[test]
fn negative_expression_value() {
    let c = Case::new();
    let mut lines: Vec<String> = c.read("expression.csv").lines().map(str::to_string).collect();
    let mut cols: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cols[1] = "-2.5".into();
    let id = cols[0].clone();
    lines[2] = cols.join(",");
    c.write("expression.csv", &(lines.join("\n") + "\n"));
    c.fails(&c.args(), &c.p("expression.csv"), &[&format!("gene {id}"), "-2.5", VALUE_COL]);
}

#[test]
fn bigwig_argument_without_name() {
    let c = Case::new();
    let mut args = c.args();
    let i = args.iter().position(|a| a.to_string_lossy().starts_with("dnase=")).unwrap();
    args[i] = c.p("dnase.bw").into_os_string();
    c.fails(&args, &c.p("dnase.bw"), &["--bigwig", "NAME=PATH"]);
}

#[test]
fn window_odd_or_too_small() {
    let c = Case::new();
    for w in ["20001", "2000", "3999"] {
        let mut args = c.args();
        set_arg(&mut args, "--window", w);
        c.fails(&args, &c.out(), &[&format!("--window {w}"), "even", "4000"]);
    }
}

#[test]
fn output_directory_missing() {
    let c = Case::new();
    let out = c.out_dir.join("no-such-dir").join("store.h5");
    let mut args = c.args();
    set_arg(&mut args, "--out", &out);
    c.fails(&args, &out, &["output directory does not exist"]);
    assert!(!out.parent().unwrap().exists());
}

/// Not an error: a bigWig without one of the FASTA's chromosomes builds; its values there are 0 and the
/// store's notes name the file.
#[test]
fn bigwig_lacking_a_fasta_chromosome_builds_with_zeros_and_a_note() {
    let c = Case::new();
    let mut genome = generate(&SimConfig::small(SEED)).unwrap();
    genome.chroms.retain(|ch| ch.name != "chrX");
    let bw = c.p("dnase_noX.bw");
    seq2exp_simulate::bigwig::write(&genome, seq2exp_simulate::bigwig::Which::Dnase, &bw).unwrap();
    let mut args = c.args();
    let i = args.iter().position(|a| a.to_string_lossy().starts_with("dnase=")).unwrap();
    args[i] = format!("dnase={}", bw.display()).into();
    data_prep_ok(&args);
    assert_eq!(list_dir(&c.out_dir), ["store.h5"]);

    let o = data_prep_ok([OsString::from("inspect"), c.out().into_os_string(), "--json".into()]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("inspect --json parses");
    let notes: Vec<&str> = json["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    let bw_name = bw.display().to_string();
    assert!(
        notes.iter().any(|n| n.contains(&bw_name) && n.contains("chrX")),
        "no note names {bw_name} and chrX: {notes:#?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains(&c.p("h3k27ac.bw").display().to_string())),
        "h3k27ac.bw is complete: {notes:#?}"
    );

    let r = StoreReader::open(c.out()).unwrap();
    let spec = r.signal_spec(&["h3k27ac", "dnase"]).unwrap();
    let (mut x_genes, mut other_dnase) = (0, 0.0f64);
    for (i, g) in r.genes().iter().enumerate() {
        let e = r.read(i, &spec).unwrap();
        let h3: f64 = e.signals.iter().step_by(2).map(|&v| v as f64).sum();
        let dn: f64 = e.signals.iter().skip(1).step_by(2).map(|&v| v as f64).sum();
        assert!(h3 > 0.0, "gene {}: H3K27ac should be present", g.id);
        if g.chrom == "chrX" {
            x_genes += 1;
            assert_eq!(dn, 0.0, "gene {} on chrX: DNase should be 0 where the bigWig has no chromosome", g.id);
            assert_eq!(e.features[8], 0.0, "promoter activity needs DNase");
        } else {
            other_dnase += dn;
        }
    }
    assert!(x_genes > 0 && other_dnase > 0.0);
}

/// A defect found only while windows are being written (the cooler's pixel counts are read per gene,
/// after the store's temporary file exists): the temporary file must still be removed.
#[test]
fn cooler_without_pixel_counts_fails_mid_build_and_leaves_no_temp_file() {
    let c = Case::new();
    {
        let f = hdf5::File::open_rw(c.p("contacts.mcool")).unwrap();
        f.group("resolutions/5000/pixels").unwrap().unlink("count").unwrap();
    }
    c.fails(&c.args(), &c.p("contacts.mcool"), &["pixels/count"]);
}
