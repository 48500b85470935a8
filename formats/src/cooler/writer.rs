//! A multi-resolution cooler (schema v3) with one cooler per resolution under
//! `/resolutions/{bin}`. Each holds `chroms/{name,length}`, `bins/{chrom,start,end,weight}`,
//! `pixels/{bin1_id,bin2_id,count}` (symmetric-upper, sorted by bin1 then bin2, zeros not stored),
//! `indexes/{chrom_offset,bin1_offset}`, and cooler's root attributes. dtypes follow cooler: names
//! fixed-length ASCII, lengths/starts/ends int32, `bins/chrom` an int32-based HDF5 enum of the chromosome
//! names (or plain int32), bin ids and offsets int64, counts int32, weights float64.
//!
//! The caller computes each resolution's bins, weights and pixels ([`Level`]); this module lays them
//! out. No object timestamps are written, so the same levels give a byte-identical file.

use std::cell::RefCell;
use std::path::Path;

use hdf5::types::{EnumMember, EnumType, FixedAscii, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Group, H5Type};

use crate::error::{InputError, Result};

/// What the whole file describes.
#[derive(Debug, Clone)]
pub struct McoolHeader {
    /// `(name, length)` in bin order.
    pub chroms: Vec<(String, u64)>,
    /// The `genome-assembly` attribute.
    pub assembly: String,
    /// The `generated-by` attribute.
    pub generated_by: String,
    /// Store `bins/chrom` as an HDF5 enum of the chromosome names (as cooler does) instead of int32.
    pub chrom_enum: bool,
}

/// One bin: chromosome index, start, end, balancing weight.
pub type Bin = (i32, i32, i32, f64);
/// One pixel: global bin1 id, global bin2 id (bin1 ≤ bin2), count.
pub type PixelRow = (i64, i64, i32);

/// The pixels and weights of one resolution, with global bin ids.
#[derive(Debug, Clone)]
pub struct Level {
    pub bin_size: u64,
    /// First global bin of each chromosome, plus the total.
    pub chrom_offset: Vec<i64>,
    pub bins: Vec<Bin>,
    /// Sorted by bin1 then bin2, zeros not stored.
    pub pixels: Vec<PixelRow>,
}

/// Writes every level (finest first) into `path` as `/resolutions/{bin_size}`.
pub fn write_mcool(path: &Path, header: &McoolHeader, levels: &[Level]) -> Result<()> {
    write_inner(header, levels, path).map_err(|e| InputError::wrap(path, e))
}

fn write_inner(header: &McoolHeader, levels: &[Level], path: &Path) -> hdf5::Result<()> {
    let file = hdf5::File::with_options().with_fcpl(|p| p.obj_track_times(false)).create(path)?;
    str_attr(&file, "format", "HDF5::MCOOL")?;
    int_attr(&file, "format-version", 2)?;
    let resolutions = group(&file, "resolutions")?;
    for lv in levels {
        let g = group(&resolutions, &lv.bin_size.to_string())?;
        write_cooler(header, &g, lv)?;
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

fn write_cooler(header: &McoolHeader, g: &Group, lv: &Level) -> hdf5::Result<()> {
    let nbins = lv.bins.len();
    for (k, v) in
        [("format", "HDF5::Cooler"), ("format-url", "https://github.com/open2c/cooler"), ("bin-type", "fixed")]
    {
        str_attr(g, k, v)?;
    }
    for (k, v) in [("storage-mode", "symmetric-upper"), ("genome-assembly", header.assembly.as_str())] {
        str_attr(g, k, v)?;
    }
    str_attr(g, "generated-by", &header.generated_by)?;
    str_attr(g, "metadata", "{}")?;
    int_attr(g, "format-version", 3)?;
    int_attr(g, "bin-size", lv.bin_size as i64)?;
    int_attr(g, "nbins", nbins as i64)?;
    int_attr(g, "nchroms", header.chroms.len() as i64)?;
    int_attr(g, "nnz", lv.pixels.len() as i64)?;

    let chroms = group(g, "chroms")?;
    let max_len = header.chroms.iter().map(|(name, _)| name.len()).max().unwrap_or(1);
    let names: Vec<FixedAscii<64>> = header
        .chroms
        .iter()
        .map(|(name, _)| FixedAscii::from_ascii(name.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|e| hdf5::Error::from(format!("{e}")))?;
    dataset(&chroms, "name", &names, TypeDescriptor::FixedAscii(max_len))?;
    let lengths: Vec<i32> = header.chroms.iter().map(|&(_, len)| len as i32).collect();
    dataset(&chroms, "length", &lengths, TypeDescriptor::Integer(IntSize::U4))?;

    write_bins(header, &group(g, "bins")?, lv)?;
    let pixels = group(g, "pixels")?;
    let col = |f: fn(&PixelRow) -> i64| -> Vec<i64> { lv.pixels.iter().map(f).collect() };
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
fn bin1_offset(pixels: &[PixelRow], nbins: usize) -> Vec<i64> {
    (0..=nbins).map(|i| pixels.partition_point(|p| p.0 < i as i64) as i64).collect()
}

fn write_bins(header: &McoolHeader, bins: &Group, lv: &Level) -> hdf5::Result<()> {
    let ids: Vec<ChromId> = lv.bins.iter().map(|b| ChromId(b.0)).collect();
    let dtype = if header.chrom_enum {
        TypeDescriptor::Enum(EnumType {
            size: IntSize::U4,
            signed: true,
            members: header
                .chroms
                .iter()
                .enumerate()
                .map(|(i, (name, _))| EnumMember { name: name.clone(), value: i as u64 })
                .collect(),
        })
    } else {
        TypeDescriptor::Integer(IntSize::U4)
    };
    CHROM_DTYPE.with(|d| *d.borrow_mut() = Some(dtype.clone()));
    let written = dataset(bins, "chrom", &ids, dtype);
    CHROM_DTYPE.with(|d| *d.borrow_mut() = None);
    written?;
    let col = |f: fn(&Bin) -> i32| -> Vec<i32> { lv.bins.iter().map(f).collect() };
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
