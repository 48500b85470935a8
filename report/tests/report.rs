//! `report` end to end on the simulated fixture: every section and figure is there, the table's numbers
//! equal values recomputed here independently (AUPRC as `trainer eval` labels and keeps bases), the page
//! fetches nothing, sections without their inputs say so, and bad inputs fail naming the file.

mod common;

use std::path::Path;

use common::{bed_rows, fixture, mask, ok, report, MASKED, MODELS, PROMOTER, W};
use seq2exp_models::metrics::{average_precision, regression_metrics};
use seq2exp_store::{Selection, Split, StoreReader};

/// The exact value of `metric` in model `model`'s row of the metrics table.
fn cell(html: &str, model: &str, metric: &str) -> Option<f64> {
    let row = &html[html.find(&format!("<tr data-model=\"{model}\">")).expect("model row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    let at = row.find(&format!("data-metric=\"{metric}\""))?;
    let rest = &row[at..];
    let v = rest.find("data-value=\"").filter(|&k| k < rest.find('>').unwrap())?;
    let v = &rest[v + "data-value=\"".len()..];
    Some(v[..v.find('"').unwrap()].parse().unwrap())
}

fn baseline(html: &str, name: &str) -> f64 {
    let pattern = format!("data-baseline=\"{name}\" data-value=\"");
    let at = html.find(&pattern).expect("baseline") + pattern.len();
    html[at..at + html[at..].find('"').unwrap()].parse().unwrap()
}

/// Test genes of fold 11 with a target, in store order.
fn test_genes(reader: &StoreReader) -> Vec<usize> {
    let genes = reader.select(&Selection::Split { fold: 11, split: Split::Test }).unwrap();
    genes.into_iter().filter(|&i| reader.targets(i)[0].is_finite()).collect()
}

/// Per kept base of every test gene (promoter left out, as trainer eval): truth labels, and the
/// scores `score(gene)` gives for the whole window.
fn kept(reader: &StoreReader, truth: &Path, mut score: impl FnMut(usize) -> Vec<f32>) -> (Vec<f32>, Vec<bool>) {
    let truth = bed_rows(truth);
    let (mut scores, mut labels) = (Vec::new(), Vec::new());
    for i in test_genes(reader) {
        let g = &reader.genes()[i];
        let start = g.tss as i64 - (W / 2) as i64;
        let s = score(i);
        for p in (0..W).filter(|p| !(W / 2 - PROMOTER..W / 2 + PROMOTER).contains(p)) {
            let pos = start + p as i64;
            labels.push(truth.iter().any(|t| t.0 == g.chrom && (t.1 as i64) <= pos && pos < t.2 as i64));
            scores.push(s[p]);
        }
    }
    (scores, labels)
}

#[test]
fn every_section_and_figure_is_drawn_and_the_numbers_are_recomputed() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo/report.html");
    ok(&report(&f.full_args(&out)));
    let html = std::fs::read_to_string(&out).unwrap();
    for id in ["metrics", "scatter", "recovery", "tracks", "links"] {
        assert_eq!(html.matches(&format!("<section id=\"{id}\">")).count(), 1, "section {id}");
    }
    // One <svg> per plot: a scatter per model, the PR curves, three track panels.
    assert_eq!(html.matches("<svg").count(), MODELS.len() + 1 + 3);
    assert!(!html.contains("<script") && !html.contains("src=\""), "self-contained");
    assert_eq!(html.matches("http").count(), html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());

    let reader = StoreReader::open(&f.store).unwrap();
    let truth = f.sim.join("truth.bed");
    for (k, m) in MODELS.iter().enumerate() {
        let got = cell(&html, m, "auprc");
        if MASKED.contains(m) {
            let (scores, labels) = kept(&reader, &truth, |i| mask(&reader, i, k));
            assert!(got.is_some(), "{m}: an AUPRC");
            assert_eq!(got, average_precision(&scores, &labels), "{m}: AUPRC");
            assert!(cell(&html, m, "mask_ratio").is_some());
        } else {
            assert_eq!(got, None, "{m} has no mask");
            assert_eq!(cell(&html, m, "mask_ratio"), None);
        }
        let preds = prediction_column(&f.model_dir(m).join("predictions.tsv"));
        let genes = test_genes(&reader);
        let p: Vec<f64> = genes.iter().map(|&i| preds[&reader.genes()[i].id]).collect();
        let t: Vec<f64> = genes.iter().map(|&i| reader.targets(i)[0] as f64).collect();
        let want = regression_metrics(&p, &t);
        assert_eq!(cell(&html, m, "mse"), Some(want.mse), "{m}: MSE");
        assert_eq!(cell(&html, m, "pearson"), Some(want.pearson), "{m}: r");
    }
    let dnase = reader.signal_spec(&["dnase"]).unwrap();
    let (scores, labels) = kept(&reader, &truth, |i| reader.read(i, &dnase).unwrap().signals);
    assert_eq!(Some(baseline(&html, "raw DNase")), average_precision(&scores, &labels));
    let peaks = bed_rows(&f.sim.join("dnase_peaks.narrowPeak"));
    let (scores, labels) = kept(&reader, &truth, |i| {
        let g = &reader.genes()[i];
        let start = g.tss as i64 - (W / 2) as i64;
        let inside = |pos: i64| peaks.iter().any(|p| p.0 == g.chrom && (p.1 as i64) <= pos && pos < p.2 as i64);
        (0..W).map(|p| f32::from(u8::from(inside(start + p as i64)))).collect()
    });
    assert_eq!(Some(baseline(&html, "DNase peaks")), average_precision(&scores, &labels));
    check_links(&html, f);
}

fn prediction_column(path: &Path) -> std::collections::HashMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .map(|c| (c[0].to_string(), c[5].parse().unwrap()))
        .collect()
}

/// The links table holds the top 20 rows by Score, and marks exactly the planted causal ones.
fn check_links(html: &str, f: &common::Fixture) {
    let table = &html[html.find("<table id=\"links-table\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let mut rows = seq2exp_runtime::links::table::read_links(&f.links()).unwrap();
    rows.sort_by(|a, b| b.score.total_cmp(&a.score));
    rows.truncate(20);
    assert_eq!(table.matches("<tr").count(), 1 + rows.len());
    let truth = bed_rows(&f.sim.join("truth.bed"));
    let causal = rows
        .iter()
        .filter(|r| truth.iter().any(|t| t.0 == r.chr && t.3 == r.target_gene_id && t.1 < r.end && r.start < t.2))
        .count();
    assert_eq!(table.matches("data-causal=\"1\"").count(), causal);
    assert_eq!(table.matches("data-causal=\"0\"").count(), rows.len() - causal);
    for r in &rows {
        assert!(table.contains(&format!("<td>{}</td>", r.name)), "row {} shown", r.name);
    }
}

#[test]
fn sections_without_their_inputs_say_so() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let mut args = vec!["--store".to_string(), f.store.display().to_string()];
    for m in ["soft", "nomask"] {
        args.extend(["--model".into(), format!("{m}={}", f.model_dir(m).display())]);
    }
    args.extend(["--gene", "1", "--out"].map(String::from));
    args.push(out.display().to_string());
    // Gene "1" is not an id: names are accepted too, so pick a real one.
    let reader = StoreReader::open(&f.store).unwrap();
    let k = args.iter().position(|a| a == "1").unwrap();
    args[k] = reader.genes()[0].name.clone();
    ok(&report(&args));
    let html = std::fs::read_to_string(&out).unwrap();
    for note in ["give --truth", "Needs --truth", "give --elements (or --truth)", "give --peaks", "Needs --links"] {
        assert!(html.contains(note), "missing note {note:?}");
    }
    // Two scatters and the one requested panel; no PR figure.
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains(&reader.genes()[0].id));
}

/// Runs report with the full arguments, `edit` applied, and returns stderr (asserting failure).
fn fails(edit: impl FnOnce(&mut Vec<String>, &Path)) -> String {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut args = f.full_args(&dir.path().join("report.html"));
    edit(&mut args, dir.path());
    let o = report(&args);
    assert!(!o.status.success(), "should fail: {args:?}");
    assert!(!dir.path().join("report.html").is_file(), "no page on failure");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn replace(args: &mut [String], from: &str, to: &str) {
    let k = args.iter().position(|a| a.contains(from)).unwrap_or_else(|| panic!("{from} in args"));
    args[k] = to.to_string();
}

#[test]
fn bad_model_outputs_fail_naming_the_file_and_place() {
    let f = fixture();
    let copy = |d: &Path, m: &str| {
        let to = d.join(format!("copy-{m}"));
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(f.model_dir(m)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
        to
    };
    let err = fails(|a, d| {
        let m = copy(d, "nomask");
        let p = m.join("predictions.tsv");
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let cols: Vec<&str> = lines[2].split('\t').collect();
        lines[2] = format!("{}\t{}\t{}\t{}\t{}\tabc\t{}", cols[0], cols[1], cols[2], cols[3], cols[4], cols[6]);
        std::fs::write(&p, lines.join("\n")).unwrap();
        replace(a, "predict-nomask", &format!("nomask={}", m.display()));
    });
    assert!(err.contains("predictions.tsv: line 3") && err.contains("'abc' is not a number"), "{err}");

    let err = fails(|a, d| {
        let m = copy(d, "soft");
        std::fs::write(m.join("masks.h5"), b"not hdf5").unwrap();
        replace(a, "predict-soft", &format!("soft={}", m.display()));
    });
    assert!(err.contains("masks.h5"), "{err}");

    let err = fails(|a, d| {
        let m = copy(d, "signal");
        let p = m.join("predictions.tsv");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.lines().take(2).collect::<Vec<_>>().join("\n")).unwrap();
        replace(a, "predict-signal", &format!("signal={}", m.display()));
    });
    assert!(err.contains("predictions.tsv") && err.contains("no prediction for gene"), "{err}");

    let err = fails(|a, d| {
        let m = copy(d, "nomask");
        let p = m.join("predictions.tsv");
        let text = std::fs::read_to_string(&p).unwrap() + "ENSGOTHER\tX\tchrX\t1\t+\t1.0\t1.0\n";
        std::fs::write(&p, text).unwrap();
        replace(a, "predict-nomask", &format!("nomask={}", m.display()));
    });
    assert!(err.contains("predictions.tsv") && err.contains("gene ENSGOTHER is not in"), "{err}");
}

#[test]
fn bad_side_files_and_arguments_fail_naming_the_file_and_place() {
    let err = fails(|a, d| {
        let p = d.join("truth.bed");
        std::fs::write(&p, "chrX\t10\t20\tG\nchrX\tten\t30\tG\n").unwrap();
        replace(a, "truth.bed", &p.display().to_string());
    });
    assert!(err.contains("truth.bed: line 2"), "{err}");

    let err = fails(|a, d| {
        let p = d.join("links.tsv");
        std::fs::write(&p, "chr\tstart\tend\nchrX\t1\t2\n").unwrap();
        replace(a, "links.tsv", &p.display().to_string());
    });
    assert!(err.contains("links.tsv: line 1") && err.contains("Score"), "{err}");

    let err = fails(|a, d| replace(a, "predict-discovery", &format!("discovery={}", d.join("absent").display())));
    assert!(err.contains("absent") && err.contains("not a directory"), "{err}");

    let err = fails(|a, _| replace(a, "predict-discovery", "no-equals-sign"));
    assert!(err.contains("NAME=DIR"), "{err}");

    let err = fails(|a, d| {
        std::fs::create_dir_all(d.join("report.html/inside")).unwrap();
        let _ = a;
    });
    assert!(err.contains("report.html") && err.contains("is a directory"), "{err}");
}
