//! Checks a `.fai` against its FASTA before any window is read. An index made before the FASTA was
//! edited, or for other line endings (CRLF), still answers every query — with bases from the wrong
//! place — so each record is checked where the index points: its offset must follow the record's
//! `>name` header line; its first line must be `line_bases` bases and then the line end the index
//! implies (`line_width − line_bases` bytes: LF or CRLF); and its last line must start after a line end
//! and hold exactly the remaining bases, followed by the end of the line and the next header (or the end
//! of the file). A few small reads per sequence, through the same reader as the windows (so bgzipped
//! files are checked too).

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use noodles::fasta::fai;

use crate::chrom::normalise;
use crate::error::{InputError, Result};

/// Bytes read after a sequence's last base to find the next header.
const TAIL: u64 = 1024;

/// Fails with one error naming the index, the chromosome, and `samtools faidx` on the first record that
/// does not match the FASTA.
pub(super) fn check<R: Read + Seek>(fasta: &Path, fai_path: &Path, index: &fai::Index, reader: &mut R) -> Result<()> {
    for r in index.as_ref() {
        let place = || format!("chromosome {}", normalise(&String::from_utf8_lossy(r.name())));
        match check_record(r, reader) {
            Ok(Ok(())) => {}
            Ok(Err(what)) => {
                return Err(InputError::at(
                    fai_path,
                    place(),
                    format!(
                    "does not match {}: {what}. The index is stale (made before the FASTA was edited, or for other \
                     line endings); rerun `samtools faidx {}`",
                    fasta.display(), fasta.display()
                ),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(InputError::at(
                    fasta,
                    place(),
                    format!("file is truncated: it ends before this sequence does ({e})"),
                ))
            }
            Err(e) => return Err(InputError::io(fasta, e).place(place())),
        }
    }
    Ok(())
}

/// Up to `len` bytes at `pos` (fewer at the end of the file).
fn read_at<R: Read + Seek>(reader: &mut R, pos: u64, len: u64) -> io::Result<Vec<u8>> {
    reader.seek(SeekFrom::Start(pos))?;
    let mut buf = Vec::with_capacity(len as usize);
    reader.by_ref().take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Exactly `len` bytes at `pos`; a file that ends before them is truncated (`UnexpectedEof`).
fn read_exact_at<R: Read + Seek>(reader: &mut R, pos: u64, len: u64) -> io::Result<Vec<u8>> {
    let b = read_at(reader, pos, len)?;
    if (b.len() as u64) < len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("the index needs bytes up to {}", pos + len)));
    }
    Ok(b)
}

fn is_base(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'>'
}

type Verdict = std::result::Result<(), String>;

fn check_record<R: Read + Seek>(r: &fai::Record, reader: &mut R) -> io::Result<Verdict> {
    let name = String::from_utf8_lossy(r.name()).into_owned();
    let header = check_header(r, &name, reader)?;
    if header.is_err() || r.length() == 0 {
        return Ok(header);
    }
    let (len, bases, width, off) = (r.length(), r.line_base_count().get(), r.line_width().get(), r.position());
    let eol: &[u8] = match width.checked_sub(bases) {
        Some(1) => b"\n",
        Some(2) => b"\r\n",
        _ => return Ok(Err(format!("its line width {width} does not fit {bases} bases and a line end"))),
    };
    let ending = if eol.len() == 1 { "LF" } else { "CRLF" };
    // First line: `bases` bases (or the whole sequence), then the line end when more lines follow.
    let first = len.min(bases);
    let want = first + if len > bases { eol.len() as u64 } else { 0 };
    let b = read_exact_at(reader, off, want)?;
    if !b[..first as usize].iter().copied().all(is_base) || &b[first as usize..] != if len > bases { eol } else { b"" }
    {
        return Ok(Err(format!(
            "its first line, at byte {off}, is not {first} bases{}",
            if len > bases { format!(" and a {ending} line end") } else { String::new() }
        )));
    }
    // Last line: after a line end, exactly the remaining bases, then only line ends before the next header.
    let full = (len - 1) / bases;
    let (last, rem) = (off + full * width, len - full * bases);
    if full > 0 && read_exact_at(reader, last - eol.len() as u64, eol.len() as u64)? != eol {
        return Ok(Err(format!("its last line should start at byte {last}, after a {ending} line end, but does not")));
    }
    let b = read_exact_at(reader, last, rem)?;
    let end = last + rem;
    if !b.iter().copied().all(is_base) {
        return Ok(Err(format!("its {len} bases should end at byte {end}, but the sequence ends earlier")));
    }
    // A file cut short after this sequence is the next sequence's problem.
    let tail = match read_at(reader, end, TAIL) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Vec::new(),
        t => t?,
    };
    match tail.iter().find(|c| !c.is_ascii_whitespace()) {
        None | Some(b'>') => Ok(Ok(())),
        Some(_) => Ok(Err(format!("its {len} bases should end at byte {end}, but the sequence goes on"))),
    }
}

/// The record's offset must be just after a line `>NAME` (then whitespace and a description, or nothing).
fn check_header<R: Read + Seek>(r: &fai::Record, name: &str, reader: &mut R) -> io::Result<Verdict> {
    let off = r.position();
    let bad = || Err(format!("the index places it at byte {off}, which does not follow its '>{name}' header line"));
    let mut back = 256u64;
    loop {
        let start = off.saturating_sub(back);
        let bytes = read_at(reader, start, off - start)?;
        let Some(line) = bytes.strip_suffix(b"\n") else { return Ok(bad()) };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = match line.iter().rposition(|&c| c == b'\n') {
            Some(i) => &line[i + 1..],
            None if start == 0 => line,
            // A header line longer than a megabyte is not a header line.
            None if back >= 1 << 20 => return Ok(bad()),
            None => {
                back *= 16;
                continue;
            }
        };
        let rest = line.strip_prefix(b">").and_then(|l| l.strip_prefix(name.as_bytes()));
        return Ok(if rest.is_some_and(|t| t.first().is_none_or(u8::is_ascii_whitespace)) { Ok(()) } else { bad() });
    }
}
