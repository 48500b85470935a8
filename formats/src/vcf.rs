//! Variants from a VCF (plain, gzipped or bgzipped), one per ALT allele, with the line each came from.
//!
//! Lines are read here (so every error names its line) and each record is parsed by noodles. Symbolic
//! (`<DEL>`), breakend and missing (`*`, `.`) alleles are returned apart, never dropped silently.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use noodles::vcf;

use crate::error::{InputError, Result};

/// One ALT allele of a VCF record.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// 1-based line of the record in the file.
    pub line: usize,
    /// The chromosome as the VCF spells it.
    pub chrom: String,
    /// VCF POS (1-based).
    pub pos: u64,
    pub id: String,
    pub reference: String,
    pub alt: String,
}

fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let io = |e: std::io::Error| InputError::io(path, e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(io)?;
    let file = std::fs::File::open(path).map_err(io)?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        // bgzip is a series of gzip members: a multi-member gzip reader takes it and plain gzip alike.
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

/// Every ALT allele of `path` in file order: those that can be scored, and the symbolic ones (`<…>`,
/// breakends, `*`, `.`), which cannot.
pub fn read_variants(path: &Path) -> Result<(Vec<Variant>, Vec<Variant>)> {
    let at = |line: usize, message: String| InputError::line(path, line, message);
    let mut reader = open(path)?;
    let (mut header, mut variants, mut symbolic) = (String::new(), Vec::new(), Vec::new());
    let mut buf = String::new();
    let mut line_no = 0;
    let mut seen_columns = false;
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(|e| at(line_no + 1, format!("unreadable: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = buf.trim_end_matches(['\n', '\r']);
        if line.starts_with('#') {
            if seen_columns {
                return Err(at(line_no, "header line after the #CHROM line".into()));
            }
            header.push_str(line);
            header.push('\n');
            if line.starts_with("#CHROM") {
                seen_columns = true;
                vcf::io::Reader::new(header.as_bytes())
                    .read_header()
                    .map_err(|e| at(line_no, format!("bad VCF header: {e}")))?;
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if !seen_columns {
            return Err(at(line_no, "record before the #CHROM header line (not a VCF?)".into()));
        }
        let record = vcf::Record::try_from(line.as_bytes()).map_err(|e| at(line_no, format!("bad VCF record: {e}")))?;
        let pos = match record.variant_start() {
            Some(Ok(p)) => usize::from(p) as u64,
            Some(Err(e)) => return Err(at(line_no, format!("bad POS: {e}"))),
            None => return Err(at(line_no, "POS is 0 (telomere records cannot be scored)".into())),
        };
        let reference = record.reference_bases().to_string();
        if reference.is_empty() || !reference.bytes().all(|b| b"ACGTNacgtn".contains(&b)) {
            return Err(at(line_no, format!("REF '{reference}' is not a run of A, C, G, T, N")));
        }
        let id = {
            let ids = record.ids();
            let ids: &str = ids.as_ref();
            if ids.is_empty() {
                ".".to_string()
            } else {
                ids.to_string()
            }
        };
        use vcf::variant::record::AlternateBases as _;
        let alts = record.alternate_bases();
        let variant = |alt: &str| Variant {
            line: line_no,
            chrom: record.reference_sequence_name().to_string(),
            pos,
            id: id.clone(),
            reference: reference.clone(),
            alt: alt.to_string(),
        };
        for alt in alts.iter() {
            let alt = alt.map_err(|e| at(line_no, format!("bad ALT: {e}")))?;
            let plain = !alt.is_empty() && alt.bytes().all(|b| b"ACGTNacgtn".contains(&b));
            if plain {
                variants.push(variant(alt))
            } else {
                symbolic.push(variant(alt))
            }
        }
        if alts.is_empty() {
            symbolic.push(variant("."));
        }
    }
    if !seen_columns {
        return Err(InputError::new(path, "no #CHROM header line: not a VCF"));
    }
    Ok((variants, symbolic))
}
