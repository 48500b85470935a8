//! BED / narrowPeak reader against public MACS2/MACS3/ABC files (expected.json: record counts and the
//! first record, field by field).

mod fixtures_common;

use fixtures_common::*;
use seq2exp_formats::{read_intervals, Interval};

fn check_first(iv: &Interval, first: &[serde_json::Value]) {
    let f: Vec<&str> = first.iter().map(as_str).collect();
    assert_eq!(iv.chrom, f[0]);
    assert_eq!(iv.start, f[1].parse::<u64>().unwrap());
    assert_eq!(iv.end, f[2].parse::<u64>().unwrap());
    assert_eq!(iv.name.as_deref(), Some(f[3]));
    assert_eq!(iv.score, Some(f[4].parse::<f64>().unwrap()));
    let strand = iv.strand.map_or(".".to_string(), |s| s.as_char().to_string());
    assert_eq!(strand, f[5]);
}

#[test]
fn narrowpeaks_match() {
    for key in ["peaks/K562_chr22_macs2_peaks.narrowPeak", "peaks/macs3_ctcf_chr22_hg19.narrowPeak"] {
        let want = expected(key);
        let ivs = read_intervals(fixture(key)).unwrap();
        assert_eq!(ivs.len() as u64, as_u64(&want["records"]), "{key}");
        let first = want["first"].as_array().unwrap();
        check_first(&ivs[0], first);
        let p = ivs[0].peak.expect("narrowPeak columns");
        let f: Vec<&str> = first.iter().map(as_str).collect();
        assert_eq!(p.signal_value, f[6].parse::<f64>().unwrap(), "{key}");
        assert_eq!(p.p_value, f[7].parse::<f64>().unwrap(), "{key}");
        assert_eq!(p.q_value, f[8].parse::<f64>().unwrap(), "{key}");
        assert_eq!(p.peak, f[9].parse::<i64>().unwrap(), "{key}");
        assert!(ivs.iter().all(|i| i.peak.is_some() && i.chrom == "chr22" && i.start <= i.end));
    }
}

#[test]
fn refseq_bed_matches() {
    let key = "genes/RefSeqCurated.170308.bed.CollapsedGeneBounds.chr22.hg38.bed";
    let want = expected(key);
    let ivs = read_intervals(fixture(key)).unwrap();
    assert_eq!(ivs.len() as u64, as_u64(&want["records"]));
    let first = want["first"].as_array().unwrap();
    check_first(&ivs[0], first);
    let rest: Vec<&str> = first[6..].iter().map(as_str).collect();
    assert_eq!(ivs[0].rest, rest);
    assert!(ivs[0].peak.is_none());
}
