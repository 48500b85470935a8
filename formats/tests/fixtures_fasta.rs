//! FASTA windows: a small genome written here as plain FASTA (+ .fai), bgzipped FASTA (+ .fai + .gzi)
//! and plain FASTA without an index must all give the same windows as slicing the sequences.

use std::io::Write;
use std::path::{Path, PathBuf};

use noodles::bgzf;
use noodles::fasta;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use seq2exp_formats::Genome;

/// (name in the file, sequence). Mixed case and N runs, lengths that do not fill the last line.
fn sequences() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let alphabet = b"ACGTacgtN";
    let mut make = |n: usize| (0..n).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect::<Vec<u8>>();
    vec![("1", make(150_001)), ("chr2", make(70_000)), ("MT", make(16_569))]
}

fn write_fasta(path: &Path, seqs: &[(&str, Vec<u8>)]) {
    let mut text = Vec::new();
    for (name, seq) in seqs {
        writeln!(text, ">{name} some description").unwrap();
        for line in seq.chunks(60) {
            text.extend_from_slice(line);
            text.push(b'\n');
        }
    }
    std::fs::write(path, text).unwrap();
}

fn write_fai(fasta_path: &Path) {
    let index = fasta::fs::index(fasta_path).unwrap();
    fasta::fai::fs::write(with_suffix(fasta_path, ".fai"), &index).unwrap();
}

fn with_suffix(p: &Path, s: &str) -> PathBuf {
    let mut o = p.as_os_str().to_owned();
    o.push(s);
    PathBuf::from(o)
}

/// bgzips `plain` into `gz` and writes `gz.gzi` by walking the BGZF blocks (BSIZE at byte 16, ISIZE in
/// the last 4 bytes), as `bgzip -i` would.
fn write_bgzf_with_gzi(plain: &Path, gz: &Path) {
    let mut w = bgzf::io::Writer::new(std::fs::File::create(gz).unwrap());
    w.write_all(&std::fs::read(plain).unwrap()).unwrap();
    w.finish().unwrap();
    let bytes = std::fs::read(gz).unwrap();
    let (mut pos, mut upos, mut entries) = (0usize, 0u64, Vec::new());
    while pos < bytes.len() {
        let bsize = u16::from_le_bytes([bytes[pos + 16], bytes[pos + 17]]) as usize + 1;
        let isize = u32::from_le_bytes(bytes[pos + bsize - 4..pos + bsize].try_into().unwrap()) as u64;
        if pos > 0 && isize > 0 {
            entries.push((pos as u64, upos));
        }
        pos += bsize;
        upos += isize;
    }
    assert!(entries.len() >= 2, "test genome should span several BGZF blocks");
    bgzf::gzi::fs::write(with_suffix(gz, ".gzi"), &bgzf::gzi::Index::from(entries)).unwrap();
}

/// The expected window: upper-case slice, N outside the sequence.
fn expected_window(seq: &[u8], start: i64, end: i64) -> Vec<u8> {
    (start..end)
        .map(|p| if p < 0 || p >= seq.len() as i64 { b'N' } else { seq[p as usize].to_ascii_uppercase() })
        .collect()
}

fn windows(seqs: &[(&str, Vec<u8>)]) -> Vec<(usize, i64, i64)> {
    let mut w = Vec::new();
    for (i, (_, seq)) in seqs.iter().enumerate() {
        let n = seq.len() as i64;
        for (s, e) in [
            (-100, 50),
            (-5000, -10),
            (0, 1),
            (59, 61),
            (1000, 21_000),
            (n - 70, n + 70),
            (n, n + 10),
            (n - 1, n),
            (-10, n + 10),
        ] {
            w.push((i, s, e));
        }
    }
    w
}

fn check_genome(g: &Genome, seqs: &[(&str, Vec<u8>)]) {
    let lengths = g.chrom_lengths();
    let want: Vec<(String, u64)> = vec![("chr1".into(), 150_001), ("chr2".into(), 70_000), ("chrM".into(), 16_569)];
    assert_eq!(lengths, want);
    windows(seqs).par_iter().for_each(|&(i, s, e)| {
        let mut out = vec![0u8; (e - s) as usize];
        g.fetch_window(&want[i].0, s, e, &mut out).unwrap();
        assert!(out == expected_window(&seqs[i].1, s, e), "{} [{s}, {e})", want[i].0);
    });
}

#[test]
fn plain_fasta_with_fai() {
    let dir = tempfile::tempdir().unwrap();
    let seqs = sequences();
    let fa = dir.path().join("genome.fa");
    write_fasta(&fa, &seqs);
    write_fai(&fa);
    check_genome(&Genome::open(&fa).unwrap(), &seqs);
}

#[test]
fn plain_fasta_without_fai_is_indexed_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let seqs = sequences();
    let fa = dir.path().join("genome.fa");
    write_fasta(&fa, &seqs);
    check_genome(&Genome::open(&fa).unwrap(), &seqs);
    assert!(!with_suffix(&fa, ".fai").exists(), "the reader must not write next to its input");
}

#[test]
fn bgzipped_fasta_with_fai_and_gzi() {
    let dir = tempfile::tempdir().unwrap();
    let seqs = sequences();
    let fa = dir.path().join("genome.fa");
    write_fasta(&fa, &seqs);
    let gz = dir.path().join("genome.fa.gz");
    write_bgzf_with_gzi(&fa, &gz);
    // The .fai of a bgzipped FASTA holds uncompressed offsets: the plain file's index is the right one.
    write_fai(&fa);
    std::fs::copy(with_suffix(&fa, ".fai"), with_suffix(&gz, ".fai")).unwrap();
    check_genome(&Genome::open(&gz).unwrap(), &seqs);
}

#[test]
fn truncated_bgzipped_fasta_fails_at_the_chromosome() {
    let dir = tempfile::tempdir().unwrap();
    let seqs = sequences();
    let fa = dir.path().join("genome.fa");
    write_fasta(&fa, &seqs);
    write_fai(&fa);
    let gz = dir.path().join("genome.fa.gz");
    write_bgzf_with_gzi(&fa, &gz);
    std::fs::copy(with_suffix(&fa, ".fai"), with_suffix(&gz, ".fai")).unwrap();
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() * 2 / 3]).unwrap(); // chrM and part of chr2 are gone
                                                                 // Caught at open (the index is checked against the file), at the first sequence cut short: chr1,
                                                                 // whose last bases are in the BGZF block the cut goes through (blocks decode whole or not at all).
    let err = Genome::open(&gz).unwrap_err().to_string();
    if std::env::var_os("SHOW_ERRORS").is_some() {
        eprintln!("ERROR MESSAGE: {err}");
    }
    assert!(err.starts_with(&format!("{}: chromosome chr1: file is truncated", gz.display())), "{err}");
}
