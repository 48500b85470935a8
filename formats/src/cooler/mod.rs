//! Hi-C contact matrices from cooler files (`.cool`, and one resolution of an `.mcool`) via hdf5.
//!
//! Addressing: `file.cool`; `file.mcool::resolutions/5000` or `file.mcool::/resolutions/5000`; a bare
//! `file.mcool` only when it holds exactly one resolution (otherwise the error lists them — we never
//! guess a resolution); or [`Cooler::open_resolution`] with a bin size.
//!
//! Storage is cooler's symmetric-upper: each pixel `(i, j)` with `i ≤ j` is stored once, and matrices
//! returned here fill both triangles. Only the needed pixel rows are read, through
//! `indexes/bin1_offset`; and since `bin2` is sorted within a row and `≥ bin1`, a row whose columns of
//! interest end at `c` is read for at most `c − bin1` pixels — a 5 kb map with 10⁵ contacts per row
//! still costs only the local ones. Balanced values are `count × w_i × w_j` (or `÷` when the weight
//! column says `divisive_weights`), `NaN` where a weight is `NaN`; without a `weight` column the
//! balanced methods return raw counts and log a warning once.
//!
//! Bin indices in this API are relative to the chromosome's first bin. Fixed-size bins only.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use hdf5::types::{FixedAscii, FixedUnicode, TypeDescriptor, VarLenAscii, VarLenUnicode};

use crate::chrom::normalise;
use crate::error::{InputError, Result};

pub mod writer;

/// Pixel reads closer than this many entries are merged into one read.
const MERGE_GAP: u64 = 4096;

#[derive(Debug, Clone)]
struct Chrom {
    canonical: String,
    len: u64,
    /// Global index of the chromosome's first bin.
    first_bin: u64,
    n_bins: u64,
}

/// One cooler matrix (one resolution).
#[derive(Debug)]
pub struct Cooler {
    path: PathBuf,
    /// HDF5 group holding the matrix: `/` or `/resolutions/N`.
    group: String,
    file: hdf5::File,
    binsize: u64,
    chroms: Vec<Chrom>,
    by_name: HashMap<String, usize>,
    bin1_offset: Vec<u64>,
    weights: Option<Vec<f64>>,
    divisive: bool,
    warned_raw: AtomicBool,
}

fn h5err(path: &Path, what: &str, e: hdf5::Error) -> InputError {
    InputError::at(path, what.to_string(), e.to_string())
}

fn open_file(path: &Path) -> Result<hdf5::File> {
    if !path.exists() {
        return Err(InputError::new(path, "file not found"));
    }
    // Read-only, so no file lock (as the store reader): HDF5's lock fails on NFS and Lustre, and HDF5 opens
    // files without O_CLOEXEC, so a process spawned while a writer had the file open keeps its lock alive.
    hdf5::File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
        .map_err(|e| InputError::new(path, format!("not a readable HDF5/cooler file: {e}")))
}

/// The bin sizes of a multi-resolution cooler, ascending (empty for a single-resolution `.cool`).
pub fn resolutions(path: impl AsRef<Path>) -> Result<Vec<u64>> {
    let path = path.as_ref();
    let file = open_file(path)?;
    list_resolutions(path, &file)
}

fn list_resolutions(path: &Path, file: &hdf5::File) -> Result<Vec<u64>> {
    if !file.link_exists("resolutions") {
        return Ok(Vec::new());
    }
    let group = file.group("resolutions").map_err(|e| h5err(path, "group /resolutions", e))?;
    let names = group.member_names().map_err(|e| h5err(path, "group /resolutions", e))?;
    let mut res: Vec<u64> = names.iter().filter_map(|n| n.parse().ok()).collect();
    res.sort_unstable();
    Ok(res)
}

/// Splits `file.mcool::resolutions/5000` into the file and a normalised group (`/resolutions/5000`).
fn split_uri(uri: &str) -> (PathBuf, Option<String>) {
    match uri.split_once("::") {
        Some((file, group)) => (PathBuf::from(file), Some(format!("/{}", group.trim_matches('/')))),
        None => (PathBuf::from(uri), None),
    }
}

impl Cooler {
    /// Opens a cooler matrix from a path or `path::group` URI (see the module docs).
    pub fn open(uri: impl AsRef<Path>) -> Result<Self> {
        let uri_str = uri.as_ref().to_string_lossy().into_owned();
        let (path, group) = split_uri(&uri_str);
        let file = open_file(&path)?;
        let group = match group {
            Some(g) => g,
            None => default_group(&path, &file)?,
        };
        Self::from_group(path, file, group)
    }

    /// Opens the resolution with bin size `binsize` of a `.mcool` (or a `.cool` with that bin size).
    pub fn open_resolution(path: impl AsRef<Path>, binsize: u64) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = open_file(&path)?;
        let have = list_resolutions(&path, &file)?;
        let group = if have.is_empty() { "/".to_string() } else { format!("/resolutions/{binsize}") };
        let cooler = Self::from_group(path, file, group)?;
        if cooler.binsize != binsize {
            return Err(InputError::new(
                &cooler.path,
                format!("bin size is {}, not the requested {binsize}", cooler.binsize),
            ));
        }
        Ok(cooler)
    }

    fn from_group(path: PathBuf, file: hdf5::File, group: String) -> Result<Self> {
        if group != "/" && !file.link_exists(group.trim_start_matches('/')) {
            let have = list_resolutions(&path, &file)?;
            let list: Vec<String> = have.iter().map(|r| format!("resolutions/{r}")).collect();
            return Err(InputError::at(
                &path,
                format!("group {group}"),
                format!(
                    "no such group in this file; it has: {}",
                    if list.is_empty() { "only the root matrix".to_string() } else { list.join(", ") }
                ),
            ));
        }
        let g = file.group(&group).map_err(|e| h5err(&path, &format!("group {group}"), e))?;
        let binsize = read_binsize(&path, &group, &g)?;
        let lengths = read_ints(&path, &g, &group, "chroms/length")?;
        let names = read_names(&path, &g, &group)?;
        let chrom_offset = read_ints(&path, &g, &group, "indexes/chrom_offset")?;
        let bin1_offset = read_ints(&path, &g, &group, "indexes/bin1_offset")?;
        let chroms = build_chroms(&path, &names, &lengths, &chrom_offset, binsize)?;
        let by_name = chroms.iter().enumerate().map(|(i, c)| (c.canonical.clone(), i)).collect();
        let (weights, divisive) = read_weights(&path, &g, &group)?;
        let n_bins = chroms.last().map_or(0, |c| c.first_bin + c.n_bins);
        if let Some(w) = weights.as_ref().filter(|w| w.len() as u64 != n_bins) {
            return Err(InputError::at(
                &path,
                format!("dataset {group}/bins/weight"),
                format!("has {} entries for {n_bins} bins", w.len()),
            ));
        }
        if bin1_offset.len() as u64 != n_bins + 1 {
            return Err(InputError::at(
                &path,
                format!("dataset {group}/indexes/bin1_offset"),
                format!("has {} entries for {n_bins} bins (expected {})", bin1_offset.len(), n_bins + 1),
            ));
        }
        Ok(Self {
            path,
            group,
            file,
            binsize,
            chroms,
            by_name,
            bin1_offset,
            weights,
            divisive,
            warned_raw: AtomicBool::new(false),
        })
    }

    /// Uses bin column `name` (e.g. hic2cool's `KR`/`VC`) as the balancing weights instead of `weight`;
    /// `divisive` says whether counts are divided by the weights (hic2cool's convention) rather than
    /// multiplied (cooler's).
    pub fn with_weight_column(mut self, name: &str, divisive: bool) -> Result<Self> {
        let what = format!("dataset {}/bins/{name}", self.group.trim_end_matches('/'));
        let g = self.file.group(&self.group).map_err(|e| h5err(&self.path, &what, e))?;
        let ds = g.dataset(&format!("bins/{name}")).map_err(|e| h5err(&self.path, &what, e))?;
        let w = ds.read_raw::<f64>().map_err(|e| h5err(&self.path, &what, e))?;
        if w.len() != self.bin1_offset.len() - 1 {
            return Err(InputError::at(
                &self.path,
                what,
                format!("has {} entries for {} bins", w.len(), self.bin1_offset.len() - 1),
            ));
        }
        self.weights = Some(w);
        self.divisive = divisive;
        Ok(self)
    }

    /// The file path (without any `::group`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The HDF5 group of this matrix (`/` or `/resolutions/N`).
    pub fn group(&self) -> &str {
        &self.group
    }

    pub fn binsize(&self) -> u64 {
        self.binsize
    }

    /// `(canonical name, length)` in file order.
    pub fn chroms(&self) -> Vec<(String, u64)> {
        self.chroms.iter().map(|c| (c.canonical.clone(), c.len)).collect()
    }

    pub fn has_chrom(&self, chrom: &str) -> bool {
        self.by_name.contains_key(&normalise(chrom))
    }

    /// Number of bins of a chromosome.
    pub fn n_bins(&self, chrom: &str) -> Result<u64> {
        Ok(self.chrom(chrom)?.n_bins)
    }

    /// Whether balancing weights are available: the file's `weight` column, or one chosen with
    /// [`Cooler::with_weight_column`].
    pub fn has_weight(&self) -> bool {
        self.weights.is_some()
    }

    /// Raw counts for chromosome-relative bins `rows × cols`, row-major, both triangles filled.
    pub fn raw_matrix(&self, chrom: &str, rows: Range<u64>, cols: Range<u64>) -> Result<Vec<f64>> {
        let c = self.chrom(chrom)?;
        for r in [&rows, &cols] {
            if r.start > r.end || r.end > c.n_bins {
                return Err(InputError::at(
                    &self.path,
                    format!("chromosome {}", c.canonical),
                    format!("bins {}..{} outside the chromosome's {} bins", r.start, r.end, c.n_bins),
                ));
            }
        }
        let (r, k) = (
            (rows.start + c.first_bin)..(rows.end + c.first_bin),
            (cols.start + c.first_bin)..(cols.end + c.first_bin),
        );
        self.dense(&r, &k)
    }

    /// Balanced contacts (`weight` column) for `rows × cols`; raw counts with a warning when the file
    /// has no weights.
    pub fn balanced_matrix(&self, chrom: &str, rows: Range<u64>, cols: Range<u64>) -> Result<Vec<f64>> {
        let mut m = self.raw_matrix(chrom, rows.clone(), cols.clone())?;
        let Some(w) = &self.weights else {
            if !self.warned_raw.swap(true, Ordering::Relaxed) {
                tracing::warn!("{}: no `weight` column; using raw Hi-C counts", self.path.display());
            }
            return Ok(m);
        };
        let first = self.chrom(chrom)?.first_bin as usize;
        let ncols = (cols.end - cols.start) as usize;
        for (i, row) in m.chunks_mut(ncols.max(1)).enumerate() {
            let wi = w[first + rows.start as usize + i];
            for (j, v) in row.iter_mut().enumerate() {
                let wj = w[first + cols.start as usize + j];
                *v = if self.divisive { *v / (wi * wj) } else { *v * wi * wj };
            }
        }
        Ok(m)
    }

    /// Contacts of bin `bin` with chromosome-relative bins `cols` (which may reach past either end of
    /// the chromosome: those entries are `NaN`). Balanced when asked and available. This is the
    /// one-read-per-gene call of the store builder.
    pub fn row(&self, chrom: &str, bin: u64, cols: Range<i64>, balanced: bool) -> Result<Vec<f64>> {
        let c = self.chrom(chrom)?;
        let n = (cols.end - cols.start).max(0) as usize;
        let mut out = vec![f64::NAN; n];
        let (lo, hi) = (cols.start.max(0), cols.end.min(c.n_bins as i64));
        if lo < hi {
            let (lo, hi) = (lo as u64, hi as u64);
            let vals = if balanced {
                self.balanced_matrix(chrom, bin..bin + 1, lo..hi)?
            } else {
                self.raw_matrix(chrom, bin..bin + 1, lo..hi)?
            };
            let at = (lo as i64 - cols.start) as usize;
            out[at..at + vals.len()].copy_from_slice(&vals);
        }
        Ok(out)
    }

    /// Row sums of the cis matrix of `chrom` (both triangles; balanced when asked and weights exist, NaN
    /// weights count as 0), used to normalise rows to sum 1. Streams the chromosome's pixels in bounded reads.
    pub fn cis_marginals(&self, chrom: &str, balanced: bool) -> Result<Vec<f64>> {
        const BLOCK: u64 = 1 << 20;
        let c = self.chrom(chrom)?;
        let (first, n) = (c.first_bin, c.n_bins);
        let mut sums = vec![0.0; n as usize];
        let (mut p, end) = (self.bin1_offset[first as usize], self.bin1_offset[(first + n) as usize]);
        while p < end {
            let e = (p + BLOCK).min(end);
            let (b1, b2, v) = self.read_pixels(p..e)?;
            for ((&a, &b), &x) in b1.iter().zip(&b2).zip(&v) {
                let (a, b) = (a as u64, b as u64);
                let x = match (&self.weights, balanced) {
                    (Some(w), true) => {
                        let (wa, wb) = (w[a as usize], w[b as usize]);
                        let v = if self.divisive { x / (wa * wb) } else { x * wa * wb };
                        if v.is_finite() {
                            v
                        } else {
                            0.0
                        }
                    }
                    _ => x,
                };
                if (first..first + n).contains(&b) {
                    sums[(a - first) as usize] += x;
                    if a != b {
                        sums[(b - first) as usize] += x;
                    }
                }
            }
            p = e;
        }
        Ok(sums)
    }

    fn chrom(&self, chrom: &str) -> Result<&Chrom> {
        let canonical = normalise(chrom);
        self.by_name
            .get(&canonical)
            .map(|&i| &self.chroms[i])
            .ok_or_else(|| InputError::at(&self.path, format!("chromosome {canonical}"), "not in this cooler"))
    }

    /// Dense `rows × cols` (global bins) from the pixel table, filling both triangles.
    fn dense(&self, rows: &Range<u64>, cols: &Range<u64>) -> Result<Vec<f64>> {
        let ncols = (cols.end - cols.start) as usize;
        let mut m = vec![0.0; (rows.end - rows.start) as usize * ncols];
        let inr = |b: u64| rows.contains(&b);
        let inc = |b: u64| cols.contains(&b);
        // A pixel (a, b ≥ a) matters when a ∈ rows (b ∈ cols) or a ∈ cols (b ∈ rows).
        let hi = |a: u64| if inr(a) { cols.end } else { 0 }.max(if inc(a) { rows.end } else { 0 });
        let (merged, apart) = (rows.start.min(cols.start)..rows.end.max(cols.end), [rows.clone(), cols.clone()]);
        let overlap = rows.start <= cols.end && cols.start <= rows.end;
        let scan: &[Range<u64>] = if overlap { std::slice::from_ref(&merged) } else { &apart };
        for bins in scan {
            for seg in self.segments(bins, &hi) {
                let (b1, b2, v) = self.read_pixels(seg)?;
                for ((&a, &b), &x) in b1.iter().zip(&b2).zip(&v) {
                    let (a, b) = (a as u64, b as u64);
                    if inr(a) && inc(b) {
                        m[(a - rows.start) as usize * ncols + (b - cols.start) as usize] = x;
                    }
                    if inr(b) && inc(a) {
                        m[(b - rows.start) as usize * ncols + (a - cols.start) as usize] = x;
                    }
                }
            }
        }
        Ok(m)
    }

    /// Pixel index ranges covering rows `bins`, each row cut after `hi(row) − row` pixels, merged when
    /// close together.
    fn segments(&self, bins: &Range<u64>, hi: &dyn Fn(u64) -> u64) -> Vec<Range<u64>> {
        let mut segs: Vec<Range<u64>> = Vec::new();
        for a in bins.clone() {
            let (p0, p1) = (self.bin1_offset[a as usize], self.bin1_offset[a as usize + 1]);
            let end = p1.min(p0 + hi(a).saturating_sub(a));
            if end <= p0 {
                continue;
            }
            match segs.last_mut() {
                Some(last) if p0 <= last.end + MERGE_GAP => last.end = last.end.max(end),
                _ => segs.push(p0..end),
            }
        }
        segs
    }

    fn read_pixels(&self, seg: Range<u64>) -> Result<(Vec<i64>, Vec<i64>, Vec<f64>)> {
        let sel = seg.start as usize..seg.end as usize;
        let read_i = |name: &str| -> Result<Vec<i64>> {
            let ds = self.dataset(name)?;
            ds.read_slice_1d::<i64, _>(sel.clone()).map(|a| a.to_vec()).map_err(|e| self.place_err(name, e))
        };
        let (b1, b2) = (read_i("pixels/bin1_id")?, read_i("pixels/bin2_id")?);
        let ds = self.dataset("pixels/count")?;
        let v = ds.read_slice_1d::<f64, _>(sel).map(|a| a.to_vec()).map_err(|e| self.place_err("pixels/count", e))?;
        Ok((b1, b2, v))
    }

    fn dataset(&self, name: &str) -> Result<hdf5::Dataset> {
        let full = format!("{}/{name}", self.group.trim_end_matches('/'));
        self.file.dataset(&full).map_err(|e| self.place_err(name, e))
    }

    fn place_err(&self, name: &str, e: hdf5::Error) -> InputError {
        h5err(&self.path, &format!("dataset {}/{name}", self.group.trim_end_matches('/')), e)
    }
}

/// The matrix group of a path given without `::group`.
fn default_group(path: &Path, file: &hdf5::File) -> Result<String> {
    let have = list_resolutions(path, file)?;
    match have.as_slice() {
        [] if file.link_exists("pixels") => Ok("/".to_string()),
        [] => Err(InputError::new(path, "not a cooler file (no /pixels and no /resolutions group)")),
        [only] => Ok(format!("/resolutions/{only}")),
        many => {
            let list: Vec<String> = many.iter().map(|r| r.to_string()).collect();
            Err(InputError::new(
                path,
                format!(
                    "multi-resolution cooler with bin sizes {}: choose one as `{}::resolutions/N`",
                    list.join(", "),
                    path.display()
                ),
            ))
        }
    }
}

fn read_binsize(path: &Path, group: &str, g: &hdf5::Group) -> Result<u64> {
    let attr = g.attr("bin-size").map_err(|e| h5err(path, &format!("group {group} attribute bin-size"), e))?;
    match attr.read_scalar::<i64>() {
        Ok(b) if b > 0 => Ok(b as u64),
        _ => Err(InputError::at(
            path,
            format!("group {group}"),
            "bin-size is missing or not a positive integer (variable-size bins are not supported)",
        )),
    }
}

fn read_ints(path: &Path, g: &hdf5::Group, group: &str, name: &str) -> Result<Vec<u64>> {
    let what = format!("dataset {}/{name}", group.trim_end_matches('/'));
    let ds = g.dataset(name).map_err(|e| h5err(path, &what, e))?;
    let vals = ds.read_raw::<i64>().map_err(|e| h5err(path, &what, e))?;
    vals.into_iter()
        .map(|v| u64::try_from(v).map_err(|_| InputError::at(path, what.clone(), format!("negative value {v}"))))
        .collect()
}

/// `chroms/name`: fixed-length ASCII in cooler's writer, but accept the other HDF5 string kinds too.
fn read_names(path: &Path, g: &hdf5::Group, group: &str) -> Result<Vec<String>> {
    let what = format!("dataset {}/chroms/name", group.trim_end_matches('/'));
    let err = |e: hdf5::Error| h5err(path, &what, e);
    let ds = g.dataset("chroms/name").map_err(err)?;
    let desc = ds.dtype().and_then(|t| t.to_descriptor()).map_err(err)?;
    let names: Vec<String> = match desc {
        TypeDescriptor::FixedAscii(_) => {
            ds.read_raw::<FixedAscii<256>>().map_err(err)?.iter().map(|s| s.as_str().to_string()).collect()
        }
        TypeDescriptor::FixedUnicode(_) => {
            ds.read_raw::<FixedUnicode<256>>().map_err(err)?.iter().map(|s| s.as_str().to_string()).collect()
        }
        TypeDescriptor::VarLenAscii => {
            ds.read_raw::<VarLenAscii>().map_err(err)?.iter().map(|s| s.as_str().to_string()).collect()
        }
        TypeDescriptor::VarLenUnicode => {
            ds.read_raw::<VarLenUnicode>().map_err(err)?.iter().map(|s| s.as_str().to_string()).collect()
        }
        other => return Err(InputError::at(path, what, format!("expected strings, found {other:?}"))),
    };
    Ok(names)
}

fn build_chroms(
    path: &Path,
    names: &[String],
    lengths: &[u64],
    chrom_offset: &[u64],
    binsize: u64,
) -> Result<Vec<Chrom>> {
    if names.len() != lengths.len() || chrom_offset.len() != names.len() + 1 {
        return Err(InputError::new(
            path,
            format!(
                "inconsistent chromosome tables: {} names, {} lengths, {} chrom_offset entries",
                names.len(),
                lengths.len(),
                chrom_offset.len()
            ),
        ));
    }
    let mut chroms = Vec::with_capacity(names.len());
    for (i, (name, &len)) in names.iter().zip(lengths).enumerate() {
        let n_bins = chrom_offset[i + 1].saturating_sub(chrom_offset[i]);
        if n_bins != len.div_ceil(binsize) {
            return Err(InputError::at(
                path,
                format!("chromosome {name}"),
                format!("{n_bins} bins for length {len} at bin size {binsize}: only fixed-size bins are supported"),
            ));
        }
        chroms.push(Chrom { canonical: normalise(name), len, first_bin: chrom_offset[i], n_bins });
    }
    Ok(chroms)
}

/// The `bins/weight` column, if any, and whether it is divisive.
fn read_weights(path: &Path, g: &hdf5::Group, group: &str) -> Result<(Option<Vec<f64>>, bool)> {
    if !g.link_exists("bins") || !g.link_exists("bins/weight") {
        return Ok((None, false));
    }
    let what = format!("dataset {}/bins/weight", group.trim_end_matches('/'));
    let ds = g.dataset("bins/weight").map_err(|e| h5err(path, &what, e))?;
    let w = ds.read_raw::<f64>().map_err(|e| h5err(path, &what, e))?;
    let divisive = ds.attr("divisive_weights").ok().and_then(|a| a.read_scalar::<bool>().ok()).unwrap_or(false);
    Ok((Some(w), divisive))
}
