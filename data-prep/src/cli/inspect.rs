//! `data-prep inspect STORE.h5 [--gene ID] [--json]`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seq2exp_store::{Selection, Split, StoreReader, N_FOLDS};
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  data-prep inspect store.h5
  data-prep inspect store.h5 --gene GATA1 --json")]
pub struct InspectArgs {
    /// The store to describe.
    pub store: PathBuf,
    /// Also summarise this gene's window (id, with or without version, or name).
    #[arg(long)]
    pub gene: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: InspectArgs) -> anyhow::Result<()> {
    let r = StoreReader::open(&a.store)?;
    let mut report = summary(&r);
    if let Some(g) = &a.gene {
        let idx = r.select(&Selection::Genes(vec![g.clone()]))?[0];
        report["gene"] = gene_summary(&r, idx).with_context(|| format!("{}: gene {g}", a.store.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn range(values: impl Iterator<Item = f32>) -> serde_json::Value {
    let (mut lo, mut hi, mut sum, mut n, mut nan) = (f32::INFINITY, f32::NEG_INFINITY, 0f64, 0usize, 0usize);
    for v in values {
        if v.is_nan() {
            nan += 1;
            continue;
        }
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v as f64;
        n += 1;
    }
    let mean = if n > 0 { sum / n as f64 } else { f64::NAN };
    json!({ "min": if n > 0 { lo } else { f32::NAN }, "max": if n > 0 { hi } else { f32::NAN }, "mean": mean, "n": n, "nan": nan })
}

fn summary(r: &StoreReader) -> serde_json::Value {
    let m = r.meta();
    let folds: Vec<_> = (1..=N_FOLDS)
        .map(|f| {
            let count = |s: Split| (0..r.len()).filter(|&i| r.split(i, f) == s).count();
            json!({ "fold": f, "train": count(Split::Train), "valid": count(Split::Valid), "test": count(Split::Test), "excluded": count(Split::Excluded) })
        })
        .collect();
    let targets: Vec<_> = m
        .target_names
        .iter()
        .enumerate()
        .map(|(k, name)| json!({ "name": name, "range": range((0..r.len()).map(|i| r.targets(i)[k])) }))
        .collect();
    let features: Vec<_> = m
        .feature_names
        .iter()
        .enumerate()
        .map(|(k, name)| json!({ "name": name, "range": range((0..r.len()).map(|i| r.features(i)[k])) }))
        .collect();
    let mut chroms: Vec<(String, usize)> = Vec::new();
    for g in r.genes() {
        match chroms.iter_mut().find(|(c, _)| *c == g.chrom) {
            Some((_, n)) => *n += 1,
            None => chroms.push((g.chrom.clone(), 1)),
        }
    }
    let file_size = std::fs::metadata(r.path()).map(|m| m.len()).unwrap_or(0);
    json!({
        "path": r.path().display().to_string(),
        "schema_version": m.schema_version,
        "genes": r.len(),
        "window_length": m.window_length,
        "genome_build": m.genome_build,
        "tracks": m.tracks,
        "hic": { "bin_size": m.hic_bin_size, "description": m.hic_description, "range": range((0..r.len()).flat_map(|i| r.hic_bins(i).to_vec())) },
        "targets": targets,
        "features": features,
        "folds": folds,
        "genes_per_chromosome": chroms.into_iter().map(|(c, n)| json!({ "chrom": c, "genes": n })).collect::<Vec<_>>(),
        "compression": m.compression.to_string(),
        "file_bytes": file_size,
        "bytes_per_gene": if r.is_empty() { 0 } else { file_size / r.len() as u64 },
        "sources": m.sources,
        "command": m.command,
        "created_by": m.created_by,
        "notes": m.notes,
    })
}

fn gene_summary(r: &StoreReader, idx: usize) -> anyhow::Result<serde_json::Value> {
    let g = &r.genes()[idx];
    let names: Vec<String> = r.meta().tracks.iter().map(|t| t.name.clone()).chain(["hic".to_string()]).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let spec = r.signal_spec(&refs)?;
    let e = r.read(idx, &spec)?;
    let mut counts = [0usize; 5];
    e.dna.iter().for_each(|&c| counts[(c as usize).min(4)] += 1);
    let c = spec.len();
    let channels: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let vals = (0..r.window()).map(|p| e.signals[p * c + k]);
            let nonzero = (0..r.window()).filter(|&p| e.signals[p * c + k] != 0.0).count();
            json!({ "name": n, "range": range(vals), "nonzero_bases": nonzero })
        })
        .collect();
    let start = g.window_start(r.meta().window_length);
    Ok(json!({
        "index": idx, "id": g.id, "name": g.name, "chrom": g.chrom, "tss": g.tss, "strand": g.strand,
        "window": format!("{}:{}-{}", g.chrom, start, start + r.window() as i64),
        "splits": (1..=N_FOLDS).map(|f| r.split(idx, f).name()).collect::<Vec<_>>(),
        "dna": { "A": counts[0], "C": counts[1], "G": counts[2], "T": counts[3], "N": counts[4] },
        "signals": channels,
        "targets": e.targets, "features": e.features.to_vec(),
    }))
}

fn print_text(r: &serde_json::Value) {
    println!("store        {}", r["path"].as_str().unwrap_or(""));
    println!(
        "schema       v{}  compression {}  {} bytes ({} per gene)",
        r["schema_version"],
        r["compression"].as_str().unwrap_or(""),
        r["file_bytes"],
        r["bytes_per_gene"]
    );
    println!(
        "genes        {}  window {} bp  build '{}'",
        r["genes"],
        r["window_length"],
        r["genome_build"].as_str().unwrap_or("")
    );
    for t in r["tracks"].as_array().into_iter().flatten() {
        println!(
            "track        {:<10} {}  ({})",
            t["name"].as_str().unwrap_or(""),
            t["unit"].as_str().unwrap_or(""),
            t["source"].as_str().unwrap_or("")
        );
    }
    println!(
        "hic          bin {} bp  {}  range {}",
        r["hic"]["bin_size"],
        r["hic"]["description"].as_str().unwrap_or(""),
        fmt_range(&r["hic"]["range"])
    );
    for t in r["targets"].as_array().into_iter().flatten() {
        println!("target       {:<28} {}", t["name"].as_str().unwrap_or(""), fmt_range(&t["range"]));
    }
    for t in r["features"].as_array().into_iter().flatten() {
        println!("feature      {:<28} {}", t["name"].as_str().unwrap_or(""), fmt_range(&t["range"]));
    }
    println!("fold  train valid  test excluded");
    for f in r["folds"].as_array().into_iter().flatten() {
        println!("{:>4} {:>6} {:>5} {:>5} {:>8}", f["fold"], f["train"], f["valid"], f["test"], f["excluded"]);
    }
    for n in r["notes"].as_array().into_iter().flatten() {
        println!("note         {}", n.as_str().unwrap_or(""));
    }
    println!("command      {}", r["command"].as_str().unwrap_or(""));
    if let Some(g) = r.get("gene") {
        println!(
            "\ngene         {} ({}) {} {} tss {}  window {}",
            g["id"].as_str().unwrap_or(""),
            g["name"].as_str().unwrap_or(""),
            g["chrom"].as_str().unwrap_or(""),
            g["strand"].as_str().unwrap_or(""),
            g["tss"],
            g["window"].as_str().unwrap_or("")
        );
        println!("dna          {}", g["dna"]);
        for s in g["signals"].as_array().into_iter().flatten() {
            println!(
                "signal       {:<10} {}  nonzero bases {}",
                s["name"].as_str().unwrap_or(""),
                fmt_range(&s["range"]),
                s["nonzero_bases"]
            );
        }
        println!("targets      {}", g["targets"]);
        println!("features     {}", g["features"]);
        println!("splits       {}", g["splits"]);
    }
}

fn fmt_range(r: &serde_json::Value) -> String {
    let f = |k: &str| r[k].as_f64().map(|v| format!("{v:.4}")).unwrap_or_else(|| "nan".into());
    format!("min {} max {} mean {} (n {}, nan {})", f("min"), f("max"), f("mean"), r["n"], r["nan"])
}
