//! contacts.mcool: a multi-resolution cooler (schema v3) with one cooler per resolution under
//! `/resolutions/{bin}`. Each holds `chroms/{name,length}`, `bins/{chrom,start,end,weight}`,
//! `pixels/{bin1_id,bin2_id,count}` (symmetric-upper, sorted by bin1 then bin2, zeros not stored),
//! `indexes/{chrom_offset,bin1_offset}`, and cooler's root attributes. dtypes follow cooler: names
//! fixed-length ASCII, lengths/starts/ends int32, `bins/chrom` an int32-based HDF5 enum of the chromosome
//! names (or plain int32), bin ids and offsets int64, counts int32, weights float64.
//!
//! `bins/weight` = 1 / (per-bin bias): all ones when `hic_bias_sd` = 0, so balanced = raw counts.
//! Coarser resolutions sum the stored fine pixels, as `cooler coarsen` does. No object timestamps are
//! written, so the file is byte-identical for a seed.

use std::cell::RefCell;
use std::path::Path;

use hdf5::types::{EnumMember, EnumType, FixedAscii, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Group, H5Type};

use super::hic::{coarsen, coarsen_bias, n_bins};
use super::model::{Genome, Pixel};
use seq2exp_formats::error::{InputError, Result};

/// Writes every resolution (finest first) into `path`.
pub fn write(genome: &Genome, path: &Path) -> Result<()> {
    write_inner(genome, path).map_err(|e| InputError::wrap(path, e))
}

fn write_inner(genome: &Genome, path: &Path) -> hdf5::Result<()> {
    let file = hdf5::File::with_options().with_fcpl(|p| p.obj_track_times(false)).create(path)?;
    str_attr(&file, "format", "HDF5::MCOOL")?;
    int_attr(&file, "format-version", 2)?;
    let resolutions = group(&file, "resolutions")?;
    let cfg = &genome.config;
    let mut all = vec![cfg.hic_bin_size];
    all.extend(cfg.hic_coarser.iter().copied().filter(|&r| r != cfg.hic_bin_size));
    for res in all {
        let g = group(&resolutions, &res.to_string())?;
        write_cooler(genome, &g, res)?;
    }
    file.flush()
}

fn group(parent: &Group, name: &str) -> hdf5::Result<Group> {
    parent.create_group_builder().obj_track_times(false).create(name)
}

fn str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("{e}")))?;
    loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&v)
}

fn int_attr(loc: &hdf5::Location, name: &str, value: i64) -> hdf5::Result<()> {
    loc.new_attr::<i64>().create(name)?.write_scalar(&value)
}

/// A 1-D dataset; non-empty ones are chunked, shuffled and deflated like cooler's defaults.
fn dataset<T: H5Type>(g: &Group, name: &str, data: &[T], dtype: TypeDescriptor) -> hdf5::Result<hdf5::Dataset> {
    let b = g.new_dataset_builder();
    let b = if data.is_empty() { b } else { b.chunk(data.len().min(1 << 16)).shuffle().deflate(6) };
    b.with_data_as(data, dtype).create(name)
}

/// The pixels and weights of one resolution, with global bin ids.
struct Level {
    /// First global bin of each chromosome, plus the total.
    chrom_offset: Vec<i64>,
    bins: Vec<(i32, i32, i32, f64)>,
    pixels: Vec<(i64, i64, i32)>,
}

fn level(genome: &Genome, res: u64) -> Level {
    let factor = (res / genome.config.hic_bin_size) as u32;
    let mut chrom_offset = vec![0i64];
    let mut bins = Vec::new();
    let mut pixels = Vec::new();
    for (c, chrom) in genome.chroms.iter().enumerate() {
        let base = *chrom_offset.last().unwrap_or(&0);
        let nb = n_bins(chrom.length, res);
        let bias = coarsen_bias(&chrom.hic_bias, factor as usize);
        for b in 0..nb {
            let (start, end) = (b as u64 * res, ((b as u64 + 1) * res).min(chrom.length));
            bins.push((c as i32, start as i32, end as i32, 1.0 / bias[b as usize]));
        }
        let coarse: Vec<Pixel> = if factor == 1 { chrom.pixels.clone() } else { coarsen(&chrom.pixels, factor) };
        pixels.extend(coarse.iter().map(|p| (base + p.bin1 as i64, base + p.bin2 as i64, p.count)));
        chrom_offset.push(base + nb as i64);
    }
    Level { chrom_offset, bins, pixels }
}

fn write_cooler(genome: &Genome, g: &Group, res: u64) -> hdf5::Result<()> {
    let cfg = &genome.config;
    let lv = level(genome, res);
    let nbins = lv.bins.len();
    for (k, v) in
        [("format", "HDF5::Cooler"), ("format-url", "https://github.com/open2c/cooler"), ("bin-type", "fixed")]
    {
        str_attr(g, k, v)?;
    }
    for (k, v) in [("storage-mode", "symmetric-upper"), ("genome-assembly", cfg.assembly.as_str())] {
        str_attr(g, k, v)?;
    }
    str_attr(g, "generated-by", "seq2exp-data-prep simulate")?;
    str_attr(g, "metadata", "{}")?;
    int_attr(g, "format-version", 3)?;
    int_attr(g, "bin-size", res as i64)?;
    int_attr(g, "nbins", nbins as i64)?;
    int_attr(g, "nchroms", genome.chroms.len() as i64)?;
    int_attr(g, "nnz", lv.pixels.len() as i64)?;

    let chroms = group(g, "chroms")?;
    let max_len = genome.chroms.iter().map(|c| c.name.len()).max().unwrap_or(1);
    let names: Vec<FixedAscii<64>> = genome
        .chroms
        .iter()
        .map(|c| FixedAscii::from_ascii(c.name.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|e| hdf5::Error::from(format!("{e}")))?;
    dataset(&chroms, "name", &names, TypeDescriptor::FixedAscii(max_len))?;
    let lengths: Vec<i32> = genome.chroms.iter().map(|c| c.length as i32).collect();
    dataset(&chroms, "length", &lengths, TypeDescriptor::Integer(IntSize::U4))?;

    write_bins(genome, &group(g, "bins")?, &lv)?;
    let pixels = group(g, "pixels")?;
    let col = |f: fn(&(i64, i64, i32)) -> i64| -> Vec<i64> { lv.pixels.iter().map(f).collect() };
    dataset(&pixels, "bin1_id", &col(|p| p.0), TypeDescriptor::Integer(IntSize::U8))?;
    dataset(&pixels, "bin2_id", &col(|p| p.1), TypeDescriptor::Integer(IntSize::U8))?;
    let counts: Vec<i32> = lv.pixels.iter().map(|p| p.2).collect();
    dataset(&pixels, "count", &counts, TypeDescriptor::Integer(IntSize::U4))?;

    let indexes = group(g, "indexes")?;
    dataset(&indexes, "chrom_offset", &lv.chrom_offset, TypeDescriptor::Integer(IntSize::U8))?;
    dataset(&indexes, "bin1_offset", &bin1_offset(&lv.pixels, nbins), TypeDescriptor::Integer(IntSize::U8))?;
    Ok(())
}

/// bin1_offset[i] = index of the first pixel whose bin1 ≥ i; length nbins + 1, last = nnz.
fn bin1_offset(pixels: &[(i64, i64, i32)], nbins: usize) -> Vec<i64> {
    (0..=nbins).map(|i| pixels.partition_point(|p| p.0 < i as i64) as i64).collect()
}

fn write_bins(genome: &Genome, bins: &Group, lv: &Level) -> hdf5::Result<()> {
    let ids: Vec<ChromId> = lv.bins.iter().map(|b| ChromId(b.0)).collect();
    let dtype = if genome.config.cooler_chrom_enum {
        TypeDescriptor::Enum(EnumType {
            size: IntSize::U4,
            signed: true,
            members: genome
                .chroms
                .iter()
                .enumerate()
                .map(|(i, c)| EnumMember { name: c.name.clone(), value: i as u64 })
                .collect(),
        })
    } else {
        TypeDescriptor::Integer(IntSize::U4)
    };
    CHROM_DTYPE.with(|d| *d.borrow_mut() = Some(dtype.clone()));
    let written = dataset(bins, "chrom", &ids, dtype);
    CHROM_DTYPE.with(|d| *d.borrow_mut() = None);
    written?;
    let col = |f: fn(&(i32, i32, i32, f64)) -> i32| -> Vec<i32> { lv.bins.iter().map(f).collect() };
    dataset(bins, "start", &col(|b| b.1), TypeDescriptor::Integer(IntSize::U4))?;
    dataset(bins, "end", &col(|b| b.2), TypeDescriptor::Integer(IntSize::U4))?;
    let weights: Vec<f64> = lv.bins.iter().map(|b| b.3).collect();
    let w = dataset(bins, "weight", &weights, TypeDescriptor::Float(hdf5::types::FloatSize::U8))?;
    w.new_attr::<bool>().create("divisive_weights")?.write_scalar(&false)?;
    w.new_attr::<bool>().create("converged")?.write_scalar(&true)?;
    Ok(())
}

thread_local! {
    /// The in-memory type of `ChromId` while `bins/chrom` is written: the same enum as the file type,
    /// because HDF5 converts enum → integer but not integer → enum.
    static CHROM_DTYPE: RefCell<Option<TypeDescriptor>> = const { RefCell::new(None) };
}

/// A chromosome id laid out as i32, typed as the file's enum during the write.
#[derive(Clone, Copy)]
#[repr(transparent)]
struct ChromId(i32);

// SAFETY: ChromId is a transparent i32, and every descriptor it reports is a 4-byte signed integer or
// a 4-byte signed-integer enum, which has the same memory layout.
unsafe impl H5Type for ChromId {
    fn type_descriptor() -> TypeDescriptor {
        CHROM_DTYPE.with(|d| d.borrow().clone()).unwrap_or(TypeDescriptor::Integer(IntSize::U4))
    }
}
