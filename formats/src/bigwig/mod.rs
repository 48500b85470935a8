//! bigWig signal tracks (DNase, H3K27ac) via bigtools.
//!
//! - Values are per base, `NaN` where the file has no data and outside the chromosome; a chromosome
//!   the file lacks reads as all `NaN` (the builder reports unmatched names). Callers map `NaN` → 0.
//! - [`BigWig::total_sum`] sums value × span over the full-resolution intervals. The header's summary
//!   is never used: real files (ENCODE's ENCFF826FLP among them) carry wrong totals there.
//! - [`BigWig`] is `Send + Sync`: bigtools' reader is not, so each call borrows one from a pool, and
//!   new ones are opened on demand (sharing the parsed header).
//! - Truncation is caught at open: the header's offsets must lie inside the file (bigtools keeps them
//!   private, so the 64-byte header is read here) and the file must end with the magic number, which
//!   UCSC's writer and bigtools both append.
//! - A corrupt data block is an error naming the file, the chromosome and the position of the block.
//!   bigtools 0.5 has no error path for it: `read_block_data` (bbiread.rs) unwraps the zlib result and
//!   panics. Until it returns the error, every read runs under [`quietly`], which catches that panic
//!   and keeps its message off stderr (only for reads on the thread making them), and the block is
//!   then located by bisection.
//! - Stored values must be finite: `inf` or `NaN` in a data record is refused (file, chromosome,
//!   position), never silently zeroed; every record is read once at open, for [`BigWig::total_sum`].

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use bigtools::utils::reopen::ReopenableFile;
use bigtools::{BBIFileInfo, BigWigRead, BigWigReadOpenError};

use crate::chrom::normalise;
use crate::error::{InputError, IoContext, Result};

pub mod writer;

type Reader = BigWigRead<ReopenableFile>;

const BIGWIG_MAGIC: u32 = 0x888F_FC26;

#[derive(Debug, Clone)]
struct Chrom {
    canonical: String,
    file_name: String,
    len: u32,
}

/// An open bigWig file.
pub struct BigWig {
    path: PathBuf,
    info: BBIFileInfo,
    chroms: Vec<Chrom>,
    by_name: HashMap<String, usize>,
    pool: Mutex<Vec<Reader>>,
}

impl std::fmt::Debug for BigWig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BigWig").field("path", &self.path).field("chroms", &self.chroms.len()).finish()
    }
}

/// The message of a caught panic.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic without printing it (the caller turns it into an error). The panic hook
/// is wrapped once: it stays silent only while this thread is inside `quietly`, so other panics
/// still print.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(outer));
    result
}

impl BigWig {
    /// Opens a bigWig, checking that it is complete.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        check_header_offsets(path)?;
        let file = File::open(path).file_ctx(path)?;
        let reopen = ReopenableFile { path: path.to_path_buf(), file };
        let opened = quietly(|| BigWigRead::open(reopen))
            .map_err(|p| InputError::new(path, format!("corrupt bigWig header: {}", panic_text(&*p))))?;
        let reader = opened.map_err(|e| match e {
            BigWigReadOpenError::NotABigWig => InputError::new(path, "not a bigWig file"),
            BigWigReadOpenError::InvalidChroms => InputError::new(path, "corrupt chromosome list"),
            BigWigReadOpenError::IoError(e) => InputError::new(path, format!("truncated or unreadable bigWig: {e}")),
        })?;
        let info = reader.info().clone();
        let chroms = chroms_of(path, &info)?;
        let by_name = chroms.iter().enumerate().map(|(i, c)| (c.canonical.clone(), i)).collect();
        let bw = Self { path: path.to_path_buf(), info, chroms, by_name, pool: Mutex::new(vec![reader]) };
        if let Some(c) = bw.chroms.first() {
            // Reads the full-data index root: a damaged index fails here rather than in a worker.
            let mut probe = vec![0f32; 1.min(c.len as usize)];
            bw.values(&c.canonical, 0, probe.len() as i64, &mut probe)?;
        }
        Ok(bw)
    }

    /// The bigWig path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `(canonical name, length)` in file order.
    pub fn chroms(&self) -> Vec<(String, u32)> {
        self.chroms.iter().map(|c| (c.canonical.clone(), c.len)).collect()
    }

    /// Whether the file has this chromosome (any spelling).
    pub fn has_chrom(&self, chrom: &str) -> bool {
        self.by_name.contains_key(&normalise(chrom))
    }

    /// Fills `out` (length `end − start`) with per-base values of `[start, end)`: `NaN` where there is no
    /// data, outside the chromosome, or on a chromosome the file lacks. `start` may be negative.
    pub fn values(&self, chrom: &str, start: i64, end: i64, out: &mut [f32]) -> Result<()> {
        let canonical = normalise(chrom);
        if end < start || out.len() as i64 != end - start {
            return Err(InputError::at(
                &self.path,
                format!("chromosome {canonical}"),
                format!("window [{start}, {end}) does not match an output buffer of {} values", out.len()),
            ));
        }
        out.fill(f32::NAN);
        let Some(&ci) = self.by_name.get(&canonical) else { return Ok(()) };
        let c = &self.chroms[ci];
        let (s, e) = (start.max(0), end.min(c.len as i64));
        if s >= e {
            return Ok(());
        }
        let vals = self.with_reader(c, s as u32, e as u32, |r| r.values(&c.file_name, s as u32, e as u32))?;
        out[(s - start) as usize..(e - start) as usize].copy_from_slice(&vals);
        Ok(())
    }

    /// Σ value × span over every full-resolution interval of every chromosome (for RPM scaling).
    /// Errors on a stored value that is not finite, at its position.
    pub fn total_sum(&self) -> Result<f64> {
        let mut total = 0.0;
        for c in &self.chroms {
            let (sum, bad) = self.with_reader(c, 0, c.len, |r| {
                let mut sum = 0.0f64;
                for v in r.get_interval(&c.file_name, 0, c.len)? {
                    let v = v?;
                    if !v.value.is_finite() {
                        return Ok((sum, Some((v.start, v.end, v.value))));
                    }
                    sum += v.value as f64 * (v.end - v.start) as f64;
                }
                Ok((sum, None))
            })?;
            if let Some((start, end, value)) = bad {
                return Err(InputError::at(
                    &self.path,
                    format!("chromosome {}, position {start}", c.canonical),
                    format!(
                        "value {value} over [{start}, {end}) is not a finite number (non-finite values are refused)"
                    ),
                ));
            }
            total += sum;
        }
        Ok(total)
    }

    /// Σ of values over `[start, end)` with no-data bases (and bases off the chromosome) as 0.
    pub fn sum_over(&self, chrom: &str, start: i64, end: i64) -> Result<f64> {
        let mut buf = vec![0f32; (end - start).max(0) as usize];
        self.values(chrom, start, start + buf.len() as i64, &mut buf)?;
        Ok(buf.iter().filter(|v| v.is_finite()).map(|&v| v as f64).sum())
    }

    /// Mean over all `end − start` bases of `[start, end)`, no-data bases counting as 0 (so it scales
    /// with the window, as a read count would). 0 for an empty range.
    pub fn mean_over(&self, chrom: &str, start: i64, end: i64) -> Result<f64> {
        if end <= start {
            return Ok(0.0);
        }
        Ok(self.sum_over(chrom, start, end)? / (end - start) as f64)
    }

    /// Runs `f` (a read of `[start, end)` on `c`) with a pooled reader; bigtools errors and panics
    /// become errors at `c` and the position of the failing block (a reader that failed is dropped,
    /// not pooled).
    fn with_reader<T>(
        &self,
        c: &Chrom,
        start: u32,
        end: u32,
        f: impl FnOnce(&mut Reader) -> Result<T, bigtools::BBIReadError>,
    ) -> Result<T> {
        let mut reader = self.take_reader()?;
        let message = match quietly(|| f(&mut reader)) {
            Ok(Ok(v)) => {
                self.pool.lock().unwrap_or_else(|p| p.into_inner()).push(reader);
                return Ok(v);
            }
            Ok(Err(e)) => format!("corrupt or truncated bigWig data: {e}"),
            Err(p) => format!("corrupt bigWig data block ({})", panic_text(&*p)),
        };
        let place = match self.first_bad_base(c, start, end) {
            Some(pos) => format!("chromosome {}, position {pos}", c.canonical),
            None => format!("chromosome {}, [{start}, {end})", c.canonical),
        };
        Err(InputError::at(&self.path, place, message))
    }

    /// Whether reading `[start, end)` of `c` fails (each try on a fresh reader).
    fn fails(&self, c: &Chrom, start: u32, end: u32) -> bool {
        let Ok(file) = File::open(&self.path) else { return true };
        let mut r = BigWigRead::with_info(self.info.clone(), ReopenableFile { path: self.path.clone(), file });
        !matches!(
            quietly(|| r.get_interval(&c.file_name, start, end).and_then(|it| it.collect::<Result<Vec<_>, _>>())),
            Ok(Ok(_))
        )
    }

    /// The first base of `[start, end)` whose read fails, by bisection (about 30 reads of one block):
    /// where the corrupt block begins.
    fn first_bad_base(&self, c: &Chrom, start: u32, end: u32) -> Option<u32> {
        let (mut lo, mut hi) = (start, end);
        if lo >= hi || !self.fails(c, lo, hi) {
            return None;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.fails(c, lo, mid) {
                hi = mid
            } else {
                lo = mid
            }
        }
        Some(lo)
    }

    fn take_reader(&self) -> Result<Reader> {
        if let Some(r) = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(r);
        }
        let file = File::open(&self.path).file_ctx(&self.path)?;
        Ok(BigWigRead::with_info(self.info.clone(), ReopenableFile { path: self.path.clone(), file }))
    }
}

fn chroms_of(path: &Path, info: &BBIFileInfo) -> Result<Vec<Chrom>> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut chroms = Vec::new();
    for c in &info.chrom_info {
        let canonical = normalise(&c.name);
        if let Some(other) = seen.insert(canonical.clone(), c.name.clone()) {
            return Err(InputError::at(
                path,
                format!("chromosome {canonical}"),
                format!("'{other}' and '{}' are the same chromosome once names are normalised", c.name),
            ));
        }
        chroms.push(Chrom { canonical, file_name: c.name.clone(), len: c.length });
    }
    Ok(chroms)
}

/// Reads the BBI header's offsets (64-byte header + 24 bytes per zoom level) and checks that each
/// points inside the file and that the file ends with the magic number: a cut-short download fails
/// here, before any worker reads it.
fn check_header_offsets(path: &Path) -> Result<()> {
    let size = std::fs::metadata(path).file_ctx(path)?.len();
    let mut file = File::open(path).file_ctx(path)?;
    let truncated = |what: String| InputError::at(path, "header", format!("file is truncated ({size} bytes): {what}"));
    let mut head = vec![0u8; 64];
    let complete = file.read_exact(&mut head).is_ok();
    let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) == BIGWIG_MAGIC;
    if !le && u32::from_be_bytes([head[0], head[1], head[2], head[3]]) != BIGWIG_MAGIC {
        return Err(InputError::at(path, "header", "not a bigWig file (bad magic number)"));
    }
    if !complete {
        return Err(truncated("it is shorter than the 64-byte header".into()));
    }
    let num = Num { le };
    let zoom_levels = num.u16(&head[6..8]);
    let mut offsets = vec![
        ("chromosome tree", num.u64(&head[8..16])),
        ("data", num.u64(&head[16..24])),
        ("data index", num.u64(&head[24..32])),
        ("summary", num.u64(&head[44..52])),
    ];
    let mut zooms = vec![0u8; 24 * zoom_levels as usize];
    if file.read_exact(&mut zooms).is_err() {
        return Err(truncated("it is shorter than its own header".into()));
    }
    for z in zooms.chunks_exact(24) {
        offsets.push(("zoom data", num.u64(&z[8..16])));
        offsets.push(("zoom index", num.u64(&z[16..24])));
    }
    if let Some((what, at)) = offsets.iter().find(|&&(_, at)| at >= size) {
        return Err(truncated(format!("its header places the {what} at byte {at}")));
    }
    // UCSC's writer and bigtools both end the file with the magic number again: a cut anywhere fails this.
    use std::io::{Seek, SeekFrom};
    let mut tail = [0u8; 4];
    file.seek(SeekFrom::Start(size - 4)).and_then(|_| file.read_exact(&mut tail)).file_ctx(path)?;
    let tail = if le { u32::from_le_bytes(tail) } else { u32::from_be_bytes(tail) };
    if tail != BIGWIG_MAGIC {
        return Err(truncated("it does not end with the bigWig end marker".into()));
    }
    Ok(())
}

/// Endian-aware integer decoding.
#[derive(Clone, Copy)]
struct Num {
    le: bool,
}

impl Num {
    fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    }
    fn u64(self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }
}
