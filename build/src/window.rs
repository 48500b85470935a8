//! Builds each gene's window (DNA codes, signals, Hi-C row, targets, features) and streams the windows
//! into the store: rayon builds one bounded chunk of genes while a writer thread stores the previous one
//! (HDF5 calls are serialised by the bindings anyway, so one writer is all that can run).

use std::time::Instant;

use crossbeam_channel::bounded;
use rayon::prelude::*;
use seq2exp_store::{
    dna_code, fold_split, hic_bin_count, GeneInfo, GeneWindow, Split, StoreMeta, StoreWriter, Track as StoreTrack,
    N_FOLDS,
};

use seq2exp_formats::error::{InputError, Result};

use super::folds::FoldTable;
use super::genes::{join, GeneJoin, MRNA_FEATURES};
use super::hic::{powerlaw_row, process_row};
use super::inputs::Inputs;
use super::provenance::source_file;
use super::{BuildConfig, BuildSummary};

/// Half-width of the promoter used for promoter activity (and forced on in the mask).
pub const PROMOTER_HALF_WIDTH: u64 = 1_000;

/// HDF5 refuses chunks of 4 GiB or more, and a gene's signals are one chunk of 4 bytes × tracks × window.
const MAX_CHUNK_BYTES: u64 = u32::MAX as u64;

fn validate(cfg: &BuildConfig) -> Result<()> {
    if cfg.window < 4 * PROMOTER_HALF_WIDTH || !cfg.window.is_multiple_of(2) {
        return Err(InputError::new(
            &cfg.out,
            format!("--window {} must be even and at least {}", cfg.window, 4 * PROMOTER_HALF_WIDTH),
        ));
    }
    let tracks = cfg.bigwigs.len().max(1) as u64;
    let largest = (MAX_CHUNK_BYTES / (4 * tracks)) & !1;
    if cfg.window > largest {
        return Err(InputError::new(&cfg.out, format!(
            "--window {} is too large: a gene's {tracks} signal track(s) are stored as one HDF5 chunk of {} bytes, over HDF5's \
             4 GiB chunk limit; the largest --window with {tracks} track(s) is {largest}",
            cfg.window, cfg.window.saturating_mul(4 * tracks)
        )));
    }
    if cfg.out.is_dir() {
        return Err(InputError::new(&cfg.out, "is a directory; --out takes the path of the store file to write"));
    }
    if cfg.value_cols.is_empty() {
        return Err(InputError::new(&cfg.expression, "no value column given (--value-col)"));
    }
    if let Some(parent) = cfg.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(InputError::new(&cfg.out, "output directory does not exist"));
        }
    }
    Ok(())
}

/// Builds the store described by `cfg`. Nothing is left at `cfg.out` unless the whole build succeeds.
pub fn build_store(cfg: &BuildConfig) -> Result<BuildSummary> {
    let started = Instant::now();
    validate(cfg)?;
    // The folds table is read first: it is cheap, and a bad one should stop the build before the inputs are scanned.
    let folds = cfg.folds_csv.as_deref().map(FoldTable::read).transpose()?;
    let inputs = Inputs::open(cfg)?;
    let mut joined = join(cfg, &inputs)?;
    let splits: Vec<[Split; N_FOLDS]> = match &folds {
        Some(table) => {
            let (splits, notes) = table.assign(&joined.genes, cfg.folds_missing)?;
            joined.report.notes.extend(notes);
            splits
        }
        None => joined.genes.iter().map(|g| std::array::from_fn(|k| fold_split(&g.chrom, k + 1))).collect(),
    };
    let meta = store_meta(cfg, &inputs, &joined)?;
    let blacklist = match &cfg.blacklist {
        Some(p) => {
            seq2exp_formats::bed::read_intervals(p)?.into_iter().map(|iv| (iv.chrom, iv.start, iv.end)).collect()
        }
        None => Vec::new(),
    };
    let n = joined.genes.len();
    tracing::info!(genes = n, window = cfg.window, tracks = inputs.tracks.len(), "building {}", cfg.out.display());
    let mut writer = StoreWriter::create(&cfg.out, meta, &joined.genes, &splits).map_err(store_err)?;
    writer.set_blacklist(&blacklist).map_err(store_err)?;
    let bar = &cfg.progress;
    bar.set_length(n as u64);
    let windows_started = Instant::now();
    let (tx, rx) = bounded::<Vec<(usize, GeneWindow)>>(1);
    let writer = std::thread::scope(|s| -> Result<StoreWriter> {
        let handle = s.spawn(move || -> Result<StoreWriter> {
            for chunk in rx {
                for (i, w) in chunk {
                    writer.write(i, &w).map_err(store_err)?;
                }
            }
            Ok(writer)
        });
        let built = (0..n).collect::<Vec<_>>().chunks(cfg.chunk.max(1)).try_for_each(|idx| -> Result<()> {
            let windows =
                idx.par_iter().map(|&i| Ok((i, assemble(cfg, &inputs, &joined, i)?))).collect::<Result<Vec<_>>>()?;
            bar.inc(idx.len() as u64);
            tx.send(windows).map_err(|_| InputError::new(&cfg.out, "store writer stopped"))
        });
        drop(tx);
        let writer = handle.join().map_err(|_| InputError::new(&cfg.out, "store writer panicked"))?;
        built?;
        writer
    })?;
    let out = writer.finish().map_err(store_err)?;
    bar.finish_and_clear();
    let window_seconds = windows_started.elapsed().as_secs_f64();
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(genes = n, seconds, "wrote {}", out.display());
    Ok(BuildSummary { out, genes: n, seconds, window_seconds, report: joined.report })
}

fn store_err(e: seq2exp_store::StoreError) -> InputError {
    match e {
        seq2exp_store::StoreError::Hdf5 { path, source } => InputError::wrap(path, source),
        seq2exp_store::StoreError::Io { path, source } => InputError::io(path, source),
        seq2exp_store::StoreError::Invalid { path, message } | seq2exp_store::StoreError::Write { path, message } => {
            InputError::new(path, message)
        }
        seq2exp_store::StoreError::Read { path, gene, dataset, source } => {
            InputError::at(path, format!("gene {gene}, dataset {dataset}"), source.to_string())
        }
        other @ seq2exp_store::StoreError::SchemaVersion { .. } => InputError::new("", other.to_string()),
    }
}

fn store_meta(cfg: &BuildConfig, inputs: &Inputs, joined: &GeneJoin) -> Result<StoreMeta> {
    let mut meta = StoreMeta::new(cfg.window, inputs.hic_bin_size());
    meta.genome_build = cfg.genome_build.clone();
    meta.compression = cfg.compression;
    meta.command = cfg.command.clone();
    meta.created_by = format!("seq2exp-data-prep {}", env!("CARGO_PKG_VERSION"));
    meta.hic_description = inputs.hic_description();
    meta.target_names = cfg.value_cols.iter().map(|c| format!("log10({c}+1)")).collect();
    meta.tracks = inputs
        .tracks
        .iter()
        .map(|t| StoreTrack {
            name: t.name.clone(),
            unit: "bigWig value per base (missing = 0)".into(),
            source: t.path.display().to_string(),
        })
        .collect();
    let mut sources = vec![
        source_file("fasta", &cfg.fasta)?,
        source_file("genes", &cfg.genes)?,
        source_file("expression", &cfg.expression)?,
    ];
    for t in &inputs.tracks {
        sources.push(source_file(&format!("bigwig:{}", t.name), &t.path)?);
    }
    if let Some(spec) = &cfg.hic {
        sources.push(source_file("hic", std::path::Path::new(spec.split("::").next().unwrap_or(spec)))?);
    }
    for (role, p) in [("features", &cfg.features), ("blacklist", &cfg.blacklist), ("folds", &cfg.folds_csv)] {
        if let Some(p) = p {
            sources.push(source_file(role, p)?);
        }
    }
    meta.sources = sources;
    meta.chrom_sizes = inputs.genome.chrom_lengths();
    meta.notes = inputs.notes.iter().chain(&joined.report.notes).cloned().collect();
    for n in &meta.notes {
        tracing::warn!("{n}");
    }
    Ok(meta)
}

/// One gene's window.
fn assemble(cfg: &BuildConfig, inputs: &Inputs, joined: &GeneJoin, i: usize) -> Result<GeneWindow> {
    let g = &joined.genes[i];
    let l = cfg.window as usize;
    let start = g.window_start(cfg.window);
    let end = start + l as i64;
    let mut bases = vec![0u8; l];
    inputs.genome.fetch_window(&g.chrom, start, end, &mut bases)?;
    let dna: Vec<u8> = bases.iter().map(|&b| dna_code(b)).collect();
    let mut signals = vec![0f32; inputs.tracks.len() * l];
    for (t, track) in inputs.tracks.iter().enumerate() {
        let row = &mut signals[t * l..(t + 1) * l];
        track.bigwig.values(&g.chrom, start, end, row)?;
        row.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = 0.0);
    }
    let hic = hic_row(inputs, g, start, cfg.window)?;
    let mut features = [0f32; seq2exp_store::N_FEATURES];
    features[..MRNA_FEATURES].copy_from_slice(&joined.mrna[i]);
    features[MRNA_FEATURES] = promoter_activity(inputs, &signals, l);
    Ok(GeneWindow { dna, signals, hic, targets: joined.targets[i].clone(), features })
}

/// sqrt(H3K27ac RPM × DNase RPM) over TSS ± 1 kb, RPM = sum over the promoter / whole-file sum × 10⁶.
fn promoter_activity(inputs: &Inputs, signals: &[f32], l: usize) -> f32 {
    let rpm = |name: &str| -> Option<f64> {
        let t = inputs.tracks.iter().position(|t| t.name == name)?;
        let total = inputs.tracks[t].total;
        let (a, b) = (l / 2 - PROMOTER_HALF_WIDTH as usize, l / 2 + PROMOTER_HALF_WIDTH as usize);
        let sum: f64 = signals[t * l + a..t * l + b].iter().map(|&v| v as f64).sum();
        Some(if total > 0.0 { sum / total * 1e6 } else { 0.0 })
    };
    match (rpm("h3k27ac"), rpm("dnase")) {
        (Some(h), Some(d)) => (h * d).sqrt() as f32,
        _ => 0.0,
    }
}

/// The stored Hi-C bins of a gene: genome bins `floor(start / bin) ..` (see `hic_bin_count`).
fn hic_row(inputs: &Inputs, g: &GeneInfo, start: i64, window: u64) -> Result<Vec<f32>> {
    let bin = inputs.hic_bin_size();
    let nb = hic_bin_count(window, bin);
    let first = start.div_euclid(bin as i64);
    let tss_bin = (g.tss / bin) as i64 - first;
    let chrom_len = inputs.chrom_lengths[&g.chrom];
    let chrom_bins = chrom_len.div_ceil(bin) as i64;
    let mut row = match &inputs.hic {
        None => powerlaw_row(nb, tss_bin as usize, bin),
        Some(_) => {
            let contacts = inputs.hic_contacts(&g.chrom, g.tss / bin, first..first + nb as i64)?;
            process_row(&contacts, tss_bin as usize, bin)
        }
    };
    // Bins off the chromosome carry no contact, like the N bases there.
    for (j, v) in row.iter_mut().enumerate() {
        let b = first + j as i64;
        if b < 0 || b >= chrom_bins {
            *v = 0.0;
        }
    }
    Ok(row)
}
