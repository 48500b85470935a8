//! What `tests/merge.rs` and `tests/workflow.rs` share: the variants vep scores, and the comparisons
//! of a merged directory with a single run's (masks.h5 datasets, mask.bw values through pyBigWig,
//! summaries without their `seconds`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use seq2exp_store::StoreReader;

/// SNVs around every gene's TSS, a REF mismatch, a deletion that needs the FASTA, a symbolic allele and
/// a chromosome the store lacks.
pub fn write_vcf(dir: &Path, fasta: &Path, store: &Path) -> PathBuf {
    let mut genome: Vec<(String, Vec<u8>)> = Vec::new();
    for line in std::fs::read_to_string(fasta).unwrap().lines() {
        match line.strip_prefix('>') {
            Some(name) => genome.push((name.split_whitespace().next().unwrap().to_string(), Vec::new())),
            None => genome.last_mut().unwrap().1.extend(line.trim().bytes().map(|b| b.to_ascii_uppercase())),
        }
    }
    let other = |b: u8| if b == b'A' { 'G' } else { 'A' };
    let reader = StoreReader::open(store).unwrap();
    let mut records = Vec::new();
    for (i, g) in reader.genes().iter().enumerate() {
        let seq = &genome.iter().find(|(n, _)| *n == g.chrom).unwrap().1;
        let at = |p: usize| seq[p] as char;
        let (a, b) = (g.tss as usize - 300, g.tss as usize + 700);
        records.push(format!("{}\t{}\tsnv{i}a\t{}\t{}\t.\t.\t.", g.chrom, a + 1, at(a), other(seq[a])));
        if i == 5 {
            records.push(format!("{}\t{}\tbad{i}\t{}\tT\t.\t.\t.", g.chrom, a + 51, other(seq[a + 50])));
        }
        if i == 2 {
            let d = g.tss as usize + 1_900;
            let r = std::str::from_utf8(&seq[d..d + 4]).unwrap();
            records.push(format!("{}\t{}\tdel{i}\t{r}\t{}\t.\t.\t.", g.chrom, d + 1, &r[..1]));
            records.push(format!("{}\t{}\tsv{i}\t{}\t<DEL>\t.\t.\t.", g.chrom, d + 1, at(d)));
        }
        records.push(format!("{}\t{}\tsnv{i}b\t{}\t{}\t.\t.\t.", g.chrom, b + 1, at(b), other(seq[b])));
    }
    records.push("chr9\t100\tnowhere\tA\tC\t.\t.\t.".into());
    let path = dir.join("variants.vcf");
    let header = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    std::fs::write(&path, header.to_string() + &records.join("\n") + "\n").unwrap();
    path
}

/// A summary json without its `seconds` (wall time of the process, the shards' sum when merged).
pub fn summary(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(v.as_object_mut().unwrap().remove("seconds").is_some());
    v
}

/// masks.h5 through the hdf5 crate: (attributes, every dataset as text).
pub fn masks_h5(path: &Path) -> Vec<(String, String)> {
    use hdf5::types::VarLenUnicode;
    let f = hdf5::File::open(path).unwrap();
    let mut out = vec![
        ("format".to_string(), f.attr("format").unwrap().read_scalar::<VarLenUnicode>().unwrap().to_string()),
        ("window".to_string(), f.attr("window").unwrap().read_scalar::<u64>().unwrap().to_string()),
    ];
    for name in ["gene_id", "chrom"] {
        out.push((name.into(), format!("{:?}", f.dataset(name).unwrap().read_raw::<VarLenUnicode>().unwrap())));
    }
    out.push(("start".into(), format!("{:?}", f.dataset("start").unwrap().read_raw::<i64>().unwrap())));
    out.push(("store_index".into(), format!("{:?}", f.dataset("store_index").unwrap().read_raw::<u64>().unwrap())));
    let mask = f.dataset("mask").unwrap();
    let bits: Vec<u32> = mask.read_raw::<f32>().unwrap().iter().map(|v| v.to_bits()).collect();
    out.push(("mask".into(), format!("{:?} {:x?}", mask.shape(), bits)));
    out
}

/// `a` and `b` through pyBigWig (tests/python/compare_bigwigs.py): the same chromosomes and the same
/// value, or none, at every base. Fails (never skips) without the venv's python.
pub fn assert_same_bigwig(a: &Path, b: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/compare_bigwigs.py");
    let o = Command::new(super::common::venv_python()).arg(script).arg(a).arg(b).output().unwrap();
    assert!(o.status.success(), "compare_bigwigs.py: {}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["same_chroms"], true, "{} vs {}: {r}", a.display(), b.display());
    assert_eq!(r["mismatches"], 0, "{} vs {}: {r}", a.display(), b.display());
    r
}

/// `name` in `a` and `b` byte for byte.
pub fn assert_same_bytes(a: &Path, b: &Path, name: &str) {
    let read = |d: &Path| std::fs::read(d.join(name)).unwrap_or_else(|e| panic!("{}: {e}", d.join(name).display()));
    assert!(read(a) == read(b), "{name}: {} differs from {}", b.display(), a.display());
}
