//! The bigWig reader against values pyBigWig read from a public ENCODE bigWig (expected.json).

mod fixtures_common;

use fixtures_common::*;
use rayon::prelude::*;
use seq2exp_formats::BigWig;

const KEY: &str = "bigwig/ENCFF826FLP.bw";

#[test]
fn chroms_match() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    let want = expected(KEY)["chroms"].as_object().unwrap().clone();
    let got = bw.chroms();
    assert_eq!(got.len(), want.len());
    for (name, len) in got {
        assert_eq!(len as u64, as_u64(&want[&name]), "{name}");
    }
}

#[test]
fn probes_match_exactly() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    let probes = expected(KEY)["probes_0based"].as_array().unwrap().clone();
    assert!(!probes.is_empty());
    for p in &probes {
        let (chrom, pos) = (as_str(&p["chrom"]), as_u64(&p["pos"]) as i64);
        let mut v = [0f32; 1];
        bw.values(chrom, pos, pos + 1, &mut v).unwrap();
        assert_eq!(v[0], as_f64(&p["value"]) as f32, "{chrom}:{pos}");
    }
}

#[test]
fn probes_match_from_rayon_workers() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    let probes = expected(KEY)["probes_0based"].as_array().unwrap().clone();
    let jobs: Vec<_> = probes.iter().cycle().take(probes.len() * 20).collect();
    jobs.par_iter().for_each(|p| {
        let (chrom, pos) = (as_str(&p["chrom"]), as_u64(&p["pos"]) as i64);
        // A 2 kb window around the probe, as a builder worker would read.
        let mut v = vec![0f32; 2000];
        bw.values(chrom, pos - 1000, pos + 1000, &mut v).unwrap();
        assert_eq!(v[1000], as_f64(&p["value"]) as f32, "{chrom}:{pos}");
    });
}

#[test]
fn interval_sums_match() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    for iv in expected(KEY)["intervals_0based_halfopen"].as_array().unwrap() {
        let (chrom, start, end) = (as_str(&iv["chrom"]), as_u64(&iv["start"]) as i64, as_u64(&iv["end"]) as i64);
        let mut v = vec![0f32; (end - start) as usize];
        bw.values(chrom, start, end, &mut v).unwrap();
        let n_nan = v.iter().filter(|x| x.is_nan()).count() as u64;
        let max = v.iter().filter(|x| !x.is_nan()).fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let sum: f64 = v.iter().filter(|x| !x.is_nan()).map(|&x| x as f64).sum();
        let want_sum = as_f64(&iv["sum_nan_as_zero"]);
        assert_eq!(n_nan, as_u64(&iv["n_nan"]), "{chrom}:{start}-{end}");
        assert_eq!(max, as_f64(&iv["max"]) as f32, "{chrom}:{start}-{end}");
        assert!((sum - want_sum).abs() <= 1e-9 * want_sum.abs().max(1.0), "{chrom}:{start}-{end}: {sum} vs {want_sum}");
        let via = bw.sum_over(chrom, start, end).unwrap();
        assert!((via - want_sum).abs() <= 1e-9 * want_sum.abs().max(1.0));
        let mean = bw.mean_over(chrom, start, end).unwrap();
        assert!((mean - want_sum / (end - start) as f64).abs() < 1e-12);
    }
}

#[test]
fn outside_the_chromosome_and_unknown_chromosomes_are_nan() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    let len = bw.chroms()[0].1 as i64;
    let mut v = vec![0f32; 10];
    bw.values("chr22", -5, 5, &mut v).unwrap();
    assert!(v[..5].iter().all(|x| x.is_nan()));
    bw.values("22", len - 5, len + 5, &mut v).unwrap(); // other spelling of the same chromosome
    assert!(v[5..].iter().all(|x| x.is_nan()));
    bw.values("chr1", 0, 10, &mut v).unwrap();
    assert!(v.iter().all(|x| x.is_nan()));
    assert!(!bw.has_chrom("chr1") && bw.has_chrom("22"));
}

#[test]
fn total_sum_comes_from_the_data_not_the_header() {
    let bw = BigWig::open(fixture(KEY)).unwrap();
    let total = bw.total_sum().unwrap();
    // Independent path: per-base values over the whole chromosome, in 1 Mb chunks.
    let mut by_values = 0.0f64;
    for (chrom, len) in bw.chroms() {
        let mut start = 0i64;
        while start < len as i64 {
            let end = (start + 1_000_000).min(len as i64);
            by_values += bw.sum_over(&chrom, start, end).unwrap();
            start = end;
        }
    }
    assert!((total - by_values).abs() <= 1e-9 * total, "{total} vs {by_values}");
    // The header claims sumData = 25,296,723 — a lie this reader must not repeat.
    assert!((total - 25_296_723.0).abs() > 1000.0, "{total}");
}
