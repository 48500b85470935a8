//! `runtime eval-links`: the CRISPR_comparison worked example against an independent Python reading of
//! the R workflow, hand-computed small cases (closed-interval boundaries, aggregation, fill, TSS
//! universe, cell-type map, inverse predictors, planted truth), and bad inputs.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use seq2exp_runtime::cli::eval_links::{evaluate, PR_CURVE_NAME};
use seq2exp_runtime::cli::{Cli, Command as Sub};
use seq2exp_runtime::links::eval::EvalReport;

fn fixtures() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/crispr");
    assert!(d.join("EPCrisprBenchmark_Fulco2019_K562_GRCh38.tsv.gz").exists(), "fixtures missing at {}", d.display());
    d
}

fn venv_python() -> PathBuf {
    let v = std::env::var_os("SEQ2EXP_VENV")
        .or_else(|| option_env!("SEQ2EXP_VENV").map(Into::into))
        .expect("SEQ2EXP_VENV is not set: run scripts/setup.sh (it installs the venv this cross-check runs in)");
    let p = Path::new(&v).join("bin/python");
    assert!(p.exists(), "{} does not exist: run scripts/setup.sh", p.display());
    p
}

fn runtime(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runtime")).args(args).output().expect("run runtime")
}

fn eval(args: &[&str]) -> anyhow::Result<EvalReport> {
    let cli = Cli::try_parse_from(["runtime", "eval-links"].iter().chain(args)).expect("arguments parse");
    let Sub::EvalLinks(a) = cli.command else { panic!("not eval-links") };
    evaluate(&a)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9
}

#[test]
fn fulco2019_abc_matches_the_python_reading_of_the_r_workflow() {
    let f = fixtures();
    let p = |n: &str| f.join(n).to_str().unwrap().to_string();
    let (pred, expt, map, tss) = (
        p("ABC_K562_Fulco2019Genes_GRCh38.tsv.gz"),
        p("EPCrisprBenchmark_Fulco2019_K562_GRCh38.tsv.gz"),
        p("ABC_cell_type_mapping.txt"),
        p("CollapsedGeneBounds.hg38.TSS500bp.bed"),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/crispr_benchmark.py");
    let o = Command::new(venv_python())
        .arg(&script)
        .args([&pred, &expt, &map, &tss, "powerlaw.Score", "sum", "0"])
        .output()
        .expect("run python");
    assert!(o.status.success(), "python check failed: {}", String::from_utf8_lossy(&o.stderr));
    let want: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    let out = tempfile::tempdir().unwrap();
    let o = runtime(&[
        "eval-links",
        "--links",
        &pred,
        "--crispr",
        &expt,
        "--pred-col",
        "powerlaw.Score",
        "--aggregate",
        "sum",
        "--fill",
        "0",
        "--cell-type-map",
        &map,
        "--tss-universe",
        &tss,
        "--json",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "runtime failed: {}", String::from_utf8_lossy(&o.stderr));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("runtime: {got}\npython:  {want}");
    for k in ["auprc", "precision_at_recall_0.7", "recall_at_recall_0.7", "threshold_at_recall_0.7"] {
        let (g, w) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
        assert!(close(g, w), "{k}: runtime {g}, python {w}");
    }
    for k in ["pairs", "positives", "matched_pairs", "dropped_tss_elements", "dropped_tss_predictions"] {
        assert_eq!(got[k], want[k], "{k}");
    }
    // Sanity on the example itself: a real signal, far above the positive rate.
    let (pairs, pos) = (got["pairs"].as_f64().unwrap(), got["positives"].as_f64().unwrap());
    assert!(pairs > 1000.0 && pos > 10.0);
    assert!(got["auprc"].as_f64().unwrap() > 3.0 * pos / pairs);
    // pr_curve.tsv: one row per unique score, recall non-decreasing, ending at recall 1.
    let text = std::fs::read_to_string(out.path().join(PR_CURVE_NAME)).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("threshold\tprecision\trecall"));
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split('\t').map(|x| x.parse().unwrap()).collect()).collect();
    assert!(rows.len() > 100);
    assert!(rows.windows(2).all(|w| w[0][0] > w[1][0] && w[0][2] <= w[1][2]));
    assert_eq!(rows.last().unwrap()[2], 1.0);
}

const SCREEN: &str =
    "chrom\tchromStart\tchromEnd\tname\tEffectSize\tmeasuredGeneSymbol\tValidConnection\tCellType\tRegulated
chr1\t100\t200\tP1\t-0.3\tA\tTRUE\tK562\tTRUE
chr1\t300\t400\tP2\t0.0\tA\tTRUE\tK562\tFALSE
chr1\t500\t600\tP3\t-0.2\tB\tTRUE\tK562\tTRUE
chr1\t700\t800\tP4\t0.1\tB\tTRUE\tK562\tFALSE
chr1\t900\t1000\tP5\t-0.5\tA\tTSS targeting guide(s)\tK562\tTRUE
chr1\t1100\t1200\tP6\t0.0\tC\tTRUE\tK562\tNA
chr1\t1300\t1400\tP7\t0.0\tD\tTRUE\tK562\tFALSE
";

// Chromosome `1` (the screen says chr1), cell type K562_pred (mapped to K562 by MAP).
const PREDS: &str = "chr\tstart\tend\tname\tclass\tTargetGene\tTargetGeneTSS\tCellType\tScore\tDistanceToTSS
1\t50\t100\te1\tdistal\tA\t10\tK562_pred\t1.0\tNA
1\t200\t250\te2\tdistal\tA\t10\tK562_pred\t2.0\tNA
1\t400\t450\te3\tdistal\tA\t10\tK562_pred\t0.5\tNA
1\t201\t299\te4\tdistal\tA\t10\tK562_pred\t100\tNA
1\t550\t560\te5\tdistal\tB\t10\tK562_pred\t3.0\tNA
1\t520\t530\te6\tdistal\tB\t10\tK562_pred\t1.0\tNA
1\t550\t560\te7\tdistal\tA\t10\tK562_pred\t50\tNA
1\t100\t200\te8\tdistal\tA\t10\tOther\t1000\tNA
";

const MAP: &str = "experiment predictions\nK562 K562_pred\n";
// [0,50) only touches e1 = [50,100) (kept); [555,556) lies inside e5 and e7 (dropped). D is not named.
const TSS: &str = "#chr\tstart\tend\tname\tscore\tstrand\nchr1\t0\t50\tA\t0\t+\nchr1\t555\t556\tB\t0\t-\n";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (n, t) in [("screen.tsv", SCREEN), ("preds.tsv", PREDS), ("map.txt", MAP), ("tss.bed", TSS)] {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        Self { dir }
    }
    fn p(&self, n: &str) -> String {
        self.dir.path().join(n).to_str().unwrap().to_string()
    }
    fn write(&self, n: &str, t: &str) -> String {
        std::fs::write(self.dir.path().join(n), t).unwrap();
        self.p(n)
    }
}

fn scores(r: &EvalReport) -> Vec<(&str, f64, bool)> {
    r.evaluated.iter().map(|p| (p.name.as_str(), p.score, p.positive)).collect()
}

#[test]
fn closed_boundaries_aggregation_fill_and_cell_type_map() {
    let f = Files::new();
    let (l, c, m) = (f.p("preds.tsv"), f.p("screen.tsv"), f.p("map.txt"));
    let base = ["--links", &l, "--crispr", &c, "--cell-type-map", &m];
    let run = |extra: &[&str]| eval(&[&base[..], extra].concat()).unwrap();

    // e1 ends at P1's start and e2 starts at its end: both overlap (closed); e3 touches P2's end; e4 lies
    // strictly between P1 and P2; e7 is gene A over P3 (gene B); e8's cell type is not the screen's.
    let r = run(&[]);
    assert_eq!(
        scores(&r),
        vec![("P1", 3.0, true), ("P2", 0.5, false), ("P3", 4.0, true), ("P4", 0.0, false), ("P7", 0.0, false)]
    );
    assert_eq!((r.pairs, r.positives, r.matched_pairs, r.filled_pairs), (5, 2, 3, 2));
    assert_eq!((r.not_valid_connection, r.regulated_na, r.predictions_other_cell_types), (1, 1, 1));
    // 4+ 3+ | 0.5- 0-: table 4 (1, .5), 3 (1, 1), .5 (2/3, 1), 0 (.4, 1); AUPRC over 4 and 3 only.
    assert!(close(r.auprc.unwrap(), 0.5));
    assert_eq!((r.threshold_at_recall_07, r.precision_at_recall_07), (Some(3.0), Some(1.0)));
    assert_eq!(r.pr.len(), 4);
    assert!(close(r.pr[2].precision, 2.0 / 3.0) && close(r.pr[3].precision, 0.4));

    let r = run(&["--aggregate", "max"]);
    assert_eq!(scores(&r).iter().map(|s| s.1).collect::<Vec<_>>(), vec![2.0, 0.5, 3.0, 0.0, 0.0]);
    let r = run(&["--aggregate", "mean"]);
    assert_eq!(scores(&r).iter().map(|s| s.1).collect::<Vec<_>>(), vec![1.5, 0.5, 2.0, 0.0, 0.0]);

    // Filled pairs (P4, P7) at 10 rank first: 10 (0, 0), 4 (1/3, .5), 3 (.5, 1), .5 (.4, 1).
    let r = run(&["--fill", "10"]);
    assert_eq!(scores(&r).iter().map(|s| s.1).collect::<Vec<_>>(), vec![3.0, 0.5, 4.0, 10.0, 10.0]);
    assert!(close(r.auprc.unwrap(), 0.5 * (1.0 / 3.0) / 2.0));
    assert_eq!(r.threshold_at_recall_07, Some(3.0));
    assert!(close(r.precision_at_recall_07.unwrap(), 0.5));

    // Without the map no prediction has the screen's cell type: every pair is filled.
    let r = eval(&["--links", &l, "--crispr", &c]).unwrap();
    assert_eq!((r.matched_pairs, r.filled_pairs, r.predictions_other_cell_types), (0, 5, 8));
    assert!(r.evaluated.iter().all(|p| p.score == 0.0));
}

#[test]
fn tss_universe_drops_elements_and_genes() {
    let f = Files::new();
    let (l, c, m, t) = (f.p("preds.tsv"), f.p("screen.tsv"), f.p("map.txt"), f.p("tss.bed"));
    let r = eval(&["--links", &l, "--crispr", &c, "--cell-type-map", &m, "--tss-universe", &t]).unwrap();
    // e5 and e7 ([550,560) around [555,556)) dropped; e1 ([50,100) beside [0,50)) kept; P7's gene D is
    // not in the universe.
    assert_eq!((r.dropped_tss_elements, r.dropped_tss_predictions, r.gene_not_in_universe), (2, 2, 1));
    assert_eq!(scores(&r), vec![("P1", 3.0, true), ("P2", 0.5, false), ("P3", 1.0, true), ("P4", 0.0, false)]);
    // 3 (1, .5), 1 (1, 1), .5, 0: AUPRC over 3 and 1 = 0.5; threshold 1 at recall 1.
    assert!(close(r.auprc.unwrap(), 0.5));
    assert_eq!((r.threshold_at_recall_07, r.precision_at_recall_07), (Some(1.0), Some(1.0)));
}

#[test]
fn inverse_predictors_rank_low_scores_first() {
    let f = Files::new();
    let (l, c, m) = (f.p("preds.tsv"), f.p("screen.tsv"), f.p("map.txt"));
    let r = eval(&["--links", &l, "--crispr", &c, "--cell-type-map", &m, "--inverse"]).unwrap();
    // Negated: 0- 0- | -0.5- | -3+ | -4+ → table 0 (0, 0), -.5 (0, 0), -3 (.25, .5), -4 (.4, 1).
    assert!(close(r.auprc.unwrap(), 0.0));
    // Recall ≥ 0.7 only at the lowest threshold (score 4); its precision is read, as in the R code,
    // from the table less that row: the row of score 3.
    assert_eq!(r.threshold_at_recall_07, Some(4.0));
    assert!(close(r.precision_at_recall_07.unwrap(), 0.25) && close(r.recall_at_recall_07.unwrap(), 0.5));
    assert_eq!(r.pr.iter().map(|p| p.threshold).collect::<Vec<_>>(), vec![0.0, 0.5, 3.0, 4.0]);
}

#[test]
fn planted_truth_from_truth_bed_and_elements_bed() {
    let f = Files::new();
    let truth =
        f.write("truth.bed", "chr1\t100\t200\tENSG1\t1000\t.\t0.5\tENSG1\nchr1\t500\t600\tENSG2\t400\t.\t0.2\tENSG2\n");
    let links = f.write(
        "links.tsv",
        "chr\tstart\tend\tname\tclass\tTargetGene\tTargetGeneTSS\tCellType\tScore\tdelta\tmask_mean\tdistance
1\t150\t160\tx1\tdistal\tENSG1.3\t900\tK562\t2\t-0.1\t0.5\t-745
1\t300\t320\tx2\tdistal\tENSG1.3\t900\tK562\t5\t-0.1\t0.5\t-590
1\t300\t320\tx2\tdistal\tENSG1.3\t900\tGM12878\t1\t-0.1\t0.5\t-590
1\t550\t560\tx3\tdistal\tENSG1.3\t900\tK562\t0.1\t-0.1\t0.5\t-345
",
    );
    let r = eval(&["--links", &links, "--truth", &truth]).unwrap();
    // ENSG1's element scored by x1; ENSG2's filled; x2 (both rows summed) and x3 (over ENSG2's element
    // but linked to ENSG1) are negative pairs.
    assert_eq!(
        r.evaluated.iter().map(|p| (p.gene.as_str(), p.score, p.positive)).collect::<Vec<_>>(),
        vec![("ENSG1", 2.0, true), ("ENSG2", 0.0, true), ("ENSG1", 6.0, false), ("ENSG1", 0.1, false)]
    );
    assert_eq!((r.pairs, r.positives, r.matched_pairs, r.filled_pairs), (4, 2, 3, 1));
    // 6 (0, 0), 2 (.5, .5), .1 (1/3, .5), 0 (.5, 1): AUPRC over 6 and 2.
    assert!(close(r.auprc.unwrap(), 0.125));
    assert!(close(r.precision_at_recall_07.unwrap(), 1.0 / 3.0));

    let elements = f.write(
        "elements.bed",
        "chr1\t100\t200\tENSG1:causal\t500\t.\t5\t2\t3\t1\nchr1\t300\t400\tENSG1:open_decoy\t500\t.\t5\t2\t0\t0\n",
    );
    let r = eval(&["--links", &links, "--truth", &elements, "--aggregate", "max"]).unwrap();
    assert_eq!(
        r.evaluated.iter().map(|p| (p.name.as_str(), p.score, p.positive)).collect::<Vec<_>>(),
        vec![("ENSG1:causal", 2.0, true), ("ENSG1:open_decoy", 5.0, false), ("x3", 0.1, false)]
    );
}

fn fails(args: &[&str], out: &Path, want: &[&str]) {
    let mut all: Vec<&str> = vec!["eval-links"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let o = runtime(&all);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "error for {args:?} lacks {w:?}: {err}");
    }
    assert!(!out.join(PR_CURVE_NAME).exists(), "nothing written on error");
}

#[test]
fn bad_inputs_give_one_clear_error() {
    let f = Files::new();
    let out = f.dir.path().join("out");
    let (l, c) = (f.p("preds.tsv"), f.p("screen.tsv"));
    let no_reg = f.write("no_regulated.tsv", &SCREEN.replace("\tRegulated", "\tRegulatedX"));
    fails(&["--links", &l, "--crispr", &no_reg], &out, &["no_regulated.tsv", "Regulated"]);
    fails(&["--links", &l, "--crispr", &c, "--pred-col", "ABC.Score"], &out, &["preds.tsv", "ABC.Score"]);
    let bad_num = f.write("bad_number.tsv", &PREDS.replace("\t0.5\t", "\t0,5\t"));
    fails(&["--links", &bad_num, "--crispr", &c], &out, &["bad_number.tsv", "line 4", "Score", "0,5"]);
    let bad_coord = f.write("bad_coord.tsv", &SCREEN.replace("chr1\t500\t600", "chr1\t500x\t600"));
    fails(&["--links", &l, "--crispr", &bad_coord], &out, &["bad_coord.tsv", "line 4", "chromStart"]);
    let flipped = f.write("flipped.tsv", &SCREEN.replace("chr1\t700\t800", "chr1\t800\t700"));
    fails(&["--links", &l, "--crispr", &flipped], &out, &["flipped.tsv", "line 5", "> chromEnd"]);
    let bad_tss = f.write("bad_tss.bed", "chr1\t0\t50\tA\nchr1\t556\t555\tB\n");
    fails(
        &["--links", &l, "--crispr", &c, "--tss-universe", &bad_tss],
        &out,
        &["bad_tss.bed", "line 2", "start 556 > end 555"],
    );
    let bad_truth = f.write("bad_truth.bed", "chr1\t100\t200\tG\nchr1\t300\n");
    fails(&["--links", &l, "--truth", &bad_truth], &out, &["bad_truth.bed", "line 2"]);
    let short = f.write("short_row.tsv", &PREDS.replace("\tK562_pred\t3.0\tNA", "\tK562_pred\t3.0"));
    fails(&["--links", &short, "--crispr", &c], &out, &["short_row.tsv", "line 6", "columns"]);
    fails(&["--links", &f.p("missing.tsv"), "--crispr", &c], &out, &["missing.tsv"]);
}
