//! The default configuration: the signal-to-noise it promises, and (ignored, for timing) a full run.
//!
//! `cargo test --release -p seq2exp-simulate --test simulate_default -- --ignored --nocapture`
//! writes the default genome to $SEQ2EXP_SIM_OUT (or a temp dir) and prints the time and size.

use std::time::Instant;

use seq2exp_simulate::{generate, simulate, ElementKind, SimConfig};

#[test]
fn default_config_signal_dominates_and_all_folds_have_genes() {
    let cfg = SimConfig::default();
    assert_eq!(cfg.chromosomes.len(), 23);
    let genome = generate(&cfg).unwrap();
    let v = &genome.variance;
    assert!(v.fraction_causal >= 0.6, "causal term explains {:.2} of var(y)", v.fraction_causal);
    assert!(v.fraction_noise < 0.1, "noise explains {:.2}", v.fraction_noise);
    assert!(v.min_y > 0.0 && v.max_y < 4.5, "y in [{}, {}]", v.min_y, v.max_y);
    let causal = genome.elements.iter().filter(|e| e.kind == ElementKind::Causal).count();
    assert!(causal >= cfg.n_genes() && causal <= 3 * cfg.n_genes());
    // Every chromosome has protein-coding genes with a target, so every fold has train/valid/test genes.
    for (c, name) in cfg.chromosomes.iter().enumerate() {
        let usable = genome.genes.iter().filter(|g| g.chrom == c && g.in_expression).count();
        assert!(usable >= cfg.genes_per_chrom / 2, "{name} has {usable} genes with a target");
    }
}

#[test]
#[ignore = "timing run of the full default genome; use --release --ignored --nocapture"]
fn default_run_time_and_size() {
    let tmp = tempfile::tempdir().unwrap();
    let out =
        std::env::var_os("SEQ2EXP_SIM_OUT").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().join("sim"));
    let cfg = SimConfig { overwrite: true, ..SimConfig::default() };
    let t = Instant::now();
    let summary = simulate(&cfg, &out).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let bytes: u64 = summary.files.iter().map(|f| std::fs::metadata(out.join(f)).unwrap().len()).sum();
    println!(
        "default simulation: {secs:.1} s, {:.1} MB in {} files, {summary:?}",
        bytes as f64 / 1e6,
        summary.files.len()
    );
    for f in &summary.files {
        println!("  {f}: {} bytes", std::fs::metadata(out.join(f)).unwrap().len());
    }
}
