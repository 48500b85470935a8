//! Reference genome windows from an indexed FASTA, plain or bgzipped (noodles-fasta / noodles-bgzf).
//!
//! Index policy:
//! - plain FASTA: `<file>.fai` is used when present; when absent the file is indexed in memory with
//!   noodles' indexer (one full read of the file, logged) — nothing is written next to the input;
//! - bgzipped FASTA (`.gz`/`.bgz`): `<file>.fai` and `<file>.gzi` are required (`samtools faidx FILE`
//!   writes both); a gzip file that is not bgzip is rejected with the command that fixes it.
//!
//! A plain FASTA shorter than its `.fai` says is caught at open, and so is an index that does not
//! match its FASTA (stale after an edit, or made for other line endings; see [`index`]);
//! any file is also checked on every read (fewer bases than asked for → error naming the chromosome).
//!
//! [`Genome`] is `Send + Sync`: readers live in a small pool and each call borrows one, so rayon
//! workers can fetch windows concurrently.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use noodles::core::{Position, Region};
use noodles::fasta::{self, fai};

use crate::chrom::normalise;
use crate::error::{InputError, IoContext, Result};

mod index;
pub mod writer;

type Reader = fasta::io::IndexedReader<fasta::io::BufReader<File>>;

/// One sequence of the FASTA.
#[derive(Debug, Clone)]
struct Chrom {
    canonical: String,
    file_name: String,
    len: u64,
}

/// An indexed reference genome.
pub struct Genome {
    path: PathBuf,
    index: fai::Index,
    chroms: Vec<Chrom>,
    by_name: HashMap<String, usize>,
    pool: Mutex<Vec<Reader>>,
}

impl std::fmt::Debug for Genome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Genome").field("path", &self.path).field("chroms", &self.chroms.len()).finish()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `Some(true)` for bgzip, `Some(false)` for plain gzip, `None` for uncompressed.
fn gzip_kind(path: &Path) -> Result<Option<bool>> {
    let mut head = [0u8; 16];
    let mut file = File::open(path).file_ctx(path)?;
    let n = file.read(&mut head).file_ctx(path)?;
    if n < 2 || head[..2] != [0x1f, 0x8b] {
        return Ok(None);
    }
    // BGZF: FEXTRA flag set and a 'BC' extra subfield at byte 12.
    Ok(Some(n >= 14 && head[3] & 4 != 0 && head[12] == b'B' && head[13] == b'C'))
}

impl Genome {
    /// Opens a FASTA and its index (see the module docs for the index policy).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let fai_path = with_suffix(path, ".fai");
        let from_file = fai_path.exists();
        let index = match gzip_kind(path)? {
            Some(false) => {
                return Err(InputError::new(
                    path,
                    "compressed with plain gzip, which cannot be read by position; \
                     recompress with `zcat FILE | bgzip > FILE.bgz && samtools faidx FILE.bgz`",
                ));
            }
            Some(true) => {
                for needed in [&fai_path, &with_suffix(path, ".gzi")] {
                    if !needed.exists() {
                        return Err(InputError::new(
                            path,
                            format!(
                                "bgzipped FASTA needs its index {}; create it with `samtools faidx {}`",
                                needed.display(),
                                path.display()
                            ),
                        ));
                    }
                }
                read_fai(&fai_path)?
            }
            None if fai_path.exists() => read_fai(&fai_path)?,
            None => {
                tracing::info!(
                    "{}: no .fai index, indexing in memory (`samtools faidx` makes this instant)",
                    path.display()
                );
                fasta::fs::index(path).map_err(|e| InputError::new(path, format!("cannot index FASTA: {e}")))?
            }
        };
        let chroms = chroms_of(path, &index)?;
        let by_name = chroms.iter().enumerate().map(|(i, c)| (c.canonical.clone(), i)).collect();
        let genome = Self { path: path.to_path_buf(), index, chroms, by_name, pool: Mutex::new(Vec::new()) };
        let mut first = genome.new_reader()?; // fail at open, not in a worker, when the file can't be read
                                              // Index first: a FASTA edited after indexing can also be shorter than the index says.
        if from_file {
            index::check(path, &fai_path, &genome.index, first.get_mut())?;
        }
        if gzip_kind(path)?.is_none() {
            check_plain_length(path, &genome.index)?;
        }
        genome.give_back(first);
        Ok(genome)
    }

    /// The FASTA path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `(canonical name, length)` in file order.
    pub fn chrom_lengths(&self) -> Vec<(String, u64)> {
        self.chroms.iter().map(|c| (c.canonical.clone(), c.len)).collect()
    }

    /// Length of a chromosome (any spelling), if present.
    pub fn chrom_len(&self, chrom: &str) -> Option<u64> {
        self.by_name.get(&normalise(chrom)).map(|&i| self.chroms[i].len)
    }

    /// Fills `out` (length `end − start`) with the upper-case bases of `[start, end)` on `chrom`; positions
    /// outside `[0, chromosome length)` are `N`, so `start` may be negative and `end` past the end.
    /// Errors: unknown chromosome, `out` of the wrong length, a truncated or unreadable file.
    pub fn fetch_window(&self, chrom: &str, start: i64, end: i64, out: &mut [u8]) -> Result<()> {
        let canonical = normalise(chrom);
        let Some(&ci) = self.by_name.get(&canonical) else {
            let have: Vec<&str> = self.chroms.iter().take(8).map(|c| c.canonical.as_str()).collect();
            return Err(InputError::at(
                &self.path,
                format!("chromosome {canonical}"),
                format!(
                    "not in this FASTA ({} sequences: {}{})",
                    self.chroms.len(),
                    have.join(", "),
                    if self.chroms.len() > 8 { ", …" } else { "" }
                ),
            ));
        };
        let c = &self.chroms[ci];
        if end < start || out.len() as i64 != end - start {
            return Err(InputError::at(
                &self.path,
                format!("chromosome {canonical}"),
                format!("window [{start}, {end}) does not match an output buffer of {} bases", out.len()),
            ));
        }
        out.fill(b'N');
        let (s, e) = (start.max(0) as u64, (end.max(0) as u64).min(c.len));
        if s >= e {
            return Ok(());
        }
        let dst = &mut out[(s as i64 - start) as usize..(e as i64 - start) as usize];
        let mut reader = self.take_reader()?;
        self.read_into(&mut reader, c, s, e, dst)?; // on error the reader is dropped, not pooled
        self.give_back(reader);
        Ok(())
    }

    fn read_into(&self, reader: &mut Reader, c: &Chrom, s: u64, e: u64, dst: &mut [u8]) -> Result<()> {
        let place = || format!("chromosome {}", c.canonical);
        let region = Region::new(c.file_name.as_str(), position(&self.path, s + 1)?..=position(&self.path, e)?);
        let record = reader.query(&region).map_err(|err| {
            InputError::at(
                &self.path,
                place(),
                format!("cannot read [{s}, {e}): {err} (is the file truncated, or its index stale?)"),
            )
        })?;
        let seq: &[u8] = record.sequence().as_ref();
        if seq.len() != dst.len() {
            return Err(InputError::at(&self.path, place(), format!(
                "file is truncated or its index is stale: asked for {} bases at [{s}, {e}) of a {}-base sequence, got {}",
                dst.len(), c.len, seq.len()
            )));
        }
        for (d, b) in dst.iter_mut().zip(seq) {
            *d = b.to_ascii_uppercase();
        }
        Ok(())
    }

    fn new_reader(&self) -> Result<Reader> {
        fasta::io::indexed_reader::Builder::default()
            .set_index(self.index.clone())
            .build_from_path(&self.path)
            .map_err(|e| InputError::new(&self.path, format!("cannot open FASTA: {e}")))
    }

    fn take_reader(&self) -> Result<Reader> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(r) => Ok(r),
            None => self.new_reader(),
        }
    }

    fn give_back(&self, reader: Reader) {
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).push(reader);
    }
}

/// A 1-based position (`n` ≥ 1 by construction at the call sites).
fn position(path: &Path, n: u64) -> Result<Position> {
    Position::new(n as usize).ok_or_else(|| InputError::new(path, format!("invalid position {n}")))
}

fn read_fai(fai_path: &Path) -> Result<fai::Index> {
    fai::fs::read(fai_path).map_err(|e| InputError::new(fai_path, format!("cannot read FASTA index: {e}")))
}

fn chroms_of(path: &Path, index: &fai::Index) -> Result<Vec<Chrom>> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut chroms = Vec::new();
    for r in index.as_ref() {
        let file_name = String::from_utf8_lossy(r.name()).into_owned();
        let canonical = normalise(&file_name);
        if let Some(other) = seen.insert(canonical.clone(), file_name.clone()) {
            return Err(InputError::at(
                path,
                format!("chromosome {canonical}"),
                format!("sequences '{other}' and '{file_name}' are the same chromosome once names are normalised"),
            ));
        }
        chroms.push(Chrom { canonical, file_name, len: r.length() });
    }
    if chroms.is_empty() {
        return Err(InputError::new(path, "FASTA index lists no sequences"));
    }
    Ok(chroms)
}

/// Byte just past the last base of a record, from its `.fai` line geometry.
fn end_byte(r: &fai::Record) -> u64 {
    let (len, bases, width) = (r.length(), r.line_base_count().get(), r.line_width().get());
    if len == 0 {
        return r.position();
    }
    let full = (len - 1) / bases; // complete lines before the one holding the last base
    r.position() + full * width + (len - full * bases)
}

/// Catches a plain FASTA cut short (e.g. an interrupted download) before any window is read.
fn check_plain_length(path: &Path, index: &fai::Index) -> Result<()> {
    let size = std::fs::metadata(path).file_ctx(path)?.len();
    if let Some(r) = index.as_ref().iter().find(|r| end_byte(r) > size) {
        let name = normalise(&String::from_utf8_lossy(r.name()));
        return Err(InputError::at(
            path,
            format!("chromosome {name}"),
            format!(
                "file is truncated: the .fai says this {}-base sequence ends at byte {}, but the file has {size} bytes",
                r.length(),
                end_byte(r)
            ),
        ));
    }
    Ok(())
}
