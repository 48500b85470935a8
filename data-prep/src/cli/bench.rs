//! `data-prep bench`: genes/s and peak RSS of building N windows (default L = 200,000) from simulated
//! inputs, for several N (RSS must stay flat as N grows), beside the Python reference pipeline in
//! `data-prep/benches/python_reference.py`; plus size and read speed of each compression choice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use seq2exp_store::StoreReader;
use serde_json::Value;

use seq2exp_simulate::{simulate, SimConfig};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  data-prep bench
  data-prep bench --window 20000 --genes 50,100 --no-compression")]
pub struct BenchArgs {
    /// Where the simulated inputs and stores go (reused across runs).
    #[arg(long, default_value = "target/bench-data-prep")]
    pub workdir: PathBuf,
    /// Window length.
    #[arg(long, default_value_t = 200_000)]
    pub window: u64,
    /// Numbers of genes to build, comma-separated.
    #[arg(long, default_value = "50,100,200,400", value_delimiter = ',')]
    pub genes: Vec<usize>,
    /// Python with pyfaidx, pyBigWig and h5py (default: the setup venv).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Skip the compression comparison.
    #[arg(long)]
    pub no_compression: bool,
}

fn inputs(a: &BenchArgs) -> anyhow::Result<PathBuf> {
    let sim = a.workdir.join(format!("sim-{}", a.window));
    if sim.join("manifest.json").exists() {
        return Ok(sim);
    }
    std::fs::create_dir_all(&a.workdir)?;
    let need = a.genes.iter().copied().max().unwrap_or(1);
    let mut cfg = SimConfig::default();
    // One chromosome: per-chromosome reader state (indexes, Hi-C marginals) is then the same for every N,
    // so peak RSS across N shows what grows with the number of genes. ~10% of genes are lncRNA (filtered).
    cfg.chromosomes = vec!["chr1".to_string()];
    cfg.genes_per_chrom = need + need / 5 + 5;
    cfg.design_window = a.window;
    cfg.gene_spacing = cfg.gene_spacing.max(a.window + a.window / 4);
    cfg.overwrite = true;
    eprintln!("simulating bench inputs ({} genes, window {}) in {}", cfg.genes_per_chrom, a.window, sim.display());
    simulate(&cfg, &sim)?;
    Ok(sim)
}

fn build(sim: &Path, out: &Path, window: u64, limit: usize, compression: &str) -> anyhow::Result<Value> {
    let report = out.with_extension("json");
    let status = Command::new(std::env::current_exe()?)
        .arg("build")
        .args([
            "--fasta",
            &sim.join("genome.fa").display().to_string(),
            "--genes",
            &sim.join("genes.gtf").display().to_string(),
        ])
        .args(["--bigwig", &format!("h3k27ac={}", sim.join("h3k27ac.bw").display())])
        .args(["--bigwig", &format!("dnase={}", sim.join("dnase.bw").display())])
        .args(["--hic", &format!("{}::resolutions/5000", sim.join("contacts.mcool").display())])
        .args([
            "--expression",
            &sim.join("expression.csv").display().to_string(),
            "--id-col",
            "ENSID",
            "--value-col",
            "K562_CAGE_128*3_sum",
        ])
        .args(["--window", &window.to_string(), "--limit", &limit.to_string(), "--compression", compression])
        .args(["--out", &out.display().to_string(), "--report", &report.display().to_string()])
        .env("RUST_LOG", "warn")
        .status()?;
    if !status.success() {
        bail!("data-prep build failed for {limit} genes");
    }
    Ok(serde_json::from_str(&std::fs::read_to_string(&report)?)?)
}

fn python_reference(a: &BenchArgs, sim: &Path, store: &Path) -> anyhow::Result<Value> {
    let python = match &a.python {
        Some(p) => p.clone(),
        None => PathBuf::from(option_env!("SEQ2EXP_VENV").context("no --python and no setup venv")?).join("bin/python"),
    };
    let r = StoreReader::open(store)?;
    let tsv = store.with_extension("genes.tsv");
    let lines: String = r.genes().iter().map(|g| format!("{}\t{}\n", g.chrom, g.tss)).collect();
    std::fs::write(&tsv, lines)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/python_reference.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&tsv)
        .arg(sim.join("genome.fa"))
        .arg(format!("h3k27ac={}", sim.join("h3k27ac.bw").display()))
        .arg(format!("dnase={}", sim.join("dnase.bw").display()))
        .arg(a.window.to_string())
        .arg(store.with_extension("py.h5"))
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!("python reference failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(out.stdout.trim_ascii())?)
}

/// Reads every window of a store through the Rust reader: the decode cost the trainer and runtime pay.
fn read_speed(store: &Path) -> anyhow::Result<f64> {
    let r = StoreReader::open(store)?;
    let spec = r.default_signal_spec()?;
    let t = Instant::now();
    for i in 0..r.len() {
        std::hint::black_box(r.read(i, &spec)?);
    }
    Ok(r.len() as f64 / t.elapsed().as_secs_f64())
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let sim = inputs(&a)?;
    let stores = a.workdir.join("stores");
    std::fs::create_dir_all(&stores)?;
    // LZF on both sides, so the comparison with the Python pipeline (which writes LZF) is like for like.
    println!(
        "data-prep build, L = {}, {} threads, LZF (as the Python reference)",
        a.window,
        rayon::current_num_threads()
    );
    println!("{:>6} {:>10} {:>10} {:>16} {:>14}", "genes", "total s", "genes/s", "windows genes/s", "peak RSS MB");
    let mut largest = None;
    for &n in &a.genes {
        let out = stores.join(format!("store-{n}.h5"));
        let r = build(&sim, &out, a.window, n, "lzf")?;
        let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
        let (g, s, w, rss) = (f("genes"), f("seconds"), f("window_seconds"), f("peak_rss_bytes"));
        println!("{:>6} {:>10.2} {:>10.2} {:>16.2} {:>14.0}", g, s, g / s, g / w, rss / 1e6);
        largest = Some((out, g / s, g / w));
    }
    if let Some((store, rust_rate, window_rate)) = &largest {
        match python_reference(&a, &sim, store) {
            Ok(p) => {
                let (g, s, rss) = (
                    p["genes"].as_f64().unwrap_or(0.0),
                    p["seconds"].as_f64().unwrap_or(0.0),
                    p["peak_rss_bytes"].as_f64().unwrap_or(0.0),
                );
                println!("python reference (pyfaidx + pyBigWig + h5py, DNA + 2 tracks, no Hi-C): {g} genes, {s:.2} s, {:.2} genes/s, peak RSS {:.0} MB", g / s, rss / 1e6);
                println!(
                    "speed-up over the python reference: {:.1}x per window ({:.1}x including data-prep's one-off setup: checksums, signal totals, Hi-C marginals)",
                    window_rate / (g / s),
                    rust_rate / (g / s)
                );
            }
            Err(e) => println!("python reference skipped: {e:#}"),
        }
    }
    if !a.no_compression {
        let n = a.genes.iter().copied().min().unwrap_or(25);
        println!("\ncompression ({n} genes): bytes per gene, build genes/s, read+decode genes/s (Rust reader)");
        for c in ["none", "lzf", "deflate:1", "deflate:4"] {
            let out = stores.join(format!("store-{}-{n}.h5", c.replace(':', "")));
            let r = build(&sim, &out, a.window, n, c)?;
            let size = std::fs::metadata(&out)?.len() as f64 / n as f64;
            let rate = r["genes"].as_f64().unwrap_or(0.0) / r["seconds"].as_f64().unwrap_or(1.0);
            println!("{c:>10} {:>12.0} {:>10.2} {:>10.1}", size, rate, read_speed(&out)?);
        }
    }
    Ok(())
}
