//! The plain-text table and its JSON form, for a fixed input (expected strings written by hand).

use seq2exp_models::metrics::{MetricsTable, RegressionMetrics};

fn metrics(n: u64, n_skipped: u64, mse: f64, mae: f64, pearson: f64, r2: f64) -> RegressionMetrics {
    RegressionMetrics { n, n_skipped, mse, mae, pearson, r2 }
}

/// Three rows: extras given in different orders and subsets, a NaN, negatives, a wide label and
/// a value wider than its header.
fn fixed_table() -> MetricsTable {
    let mut t = MetricsTable::new();
    t.push("valid", metrics(2000, 0, 0.18563, 0.30544, 0.87231, 0.7412), &[("mask ratio", 0.0688)])
        .push(
            "test chr22+chrX",
            metrics(1523, 3, 0.2, 0.31, f64::NAN, -0.05),
            &[("AUPRC", 0.41236), ("mask ratio", 0.0632)],
        )
        .push(String::from("train"), metrics(35, 0, 12.5, 3.0, 0.5, -1.23456), &[]);
    t
}

#[test]
fn text_table_for_a_fixed_input() {
    // Widths: label 15, n 4, MSE 7 ("12.5000"), MAE 6, Pearson 7, R² 7 ("-0.0500"), mask ratio 10,
    // AUPRC 6; label left-aligned, the rest right-aligned, two spaces between columns.
    let expected = "\
label               n      MSE     MAE  Pearson       R²  mask ratio   AUPRC
---------------  ----  -------  ------  -------  -------  ----------  ------
valid            2000   0.1856  0.3054   0.8723   0.7412      0.0688       -
test chr22+chrX  1523   0.2000  0.3100      NaN  -0.0500      0.0632  0.4124
train              35  12.5000  3.0000   0.5000  -1.2346           -       -
";
    let table = fixed_table();
    assert_eq!(table.len(), 3);
    assert_eq!(table.to_string(), expected);
}

#[test]
fn empty_table_is_just_the_header() {
    let t = MetricsTable::new();
    assert!(t.is_empty());
    assert_eq!(t.to_string(), "label  n  MSE  MAE  Pearson  R²\n-----  -  ---  ---  -------  --\n");
}

#[test]
fn json_rows_are_flat_objects() {
    let expected = concat!(
        r#"[{"label":"valid","n":2000,"n_skipped":0,"mse":0.18563,"mae":0.30544,"#,
        r#""pearson":0.87231,"r2":0.7412,"mask ratio":0.0688},"#,
        r#"{"label":"test chr22+chrX","n":1523,"n_skipped":3,"mse":0.2,"mae":0.31,"#,
        r#""pearson":null,"r2":-0.05,"mask ratio":0.0632,"AUPRC":0.41236},"#,
        r#"{"label":"train","n":35,"n_skipped":0,"mse":12.5,"mae":3.0,"pearson":0.5,"r2":-1.23456}]"#,
    );
    assert_eq!(serde_json::to_string(&fixed_table()).unwrap(), expected);
}
