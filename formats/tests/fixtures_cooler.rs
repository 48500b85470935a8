//! Cooler reader against values the `cooler` Python package read from public files (expected.json).

mod fixtures_common;

use fixtures_common::*;
use rayon::prelude::*;
use seq2exp_formats::cooler::{self, Cooler};

const COOL: &str = "hic/hg19.GM12878-MboI.matrix.2000kb.cool";
const MCOOL: &str = "hic/hic2cool_0.7.0_multi_res.mcool";

fn dims(v: &serde_json::Value) -> (u64, u64) {
    let a = v.as_array().unwrap();
    (as_u64(&a[0]), as_u64(&a[1]))
}

#[test]
fn single_resolution_cool() {
    let want = expected(COOL);
    let c = Cooler::open(fixture(COOL)).unwrap();
    assert_eq!(c.binsize(), as_u64(&want["binsize"]));
    let names: Vec<String> = c.chroms().into_iter().map(|(n, _)| n).collect();
    let want_names: Vec<&str> = want["chromnames"].as_array().unwrap().iter().map(as_str).collect();
    assert_eq!(names, want_names);
    assert_eq!(c.has_weight(), want["has_weight"].as_bool().unwrap());

    let n = c.n_bins("chr22").unwrap();
    assert_eq!((n, n), dims(&want["chr22_shape"]));
    let m = c.raw_matrix("chr22", 0..n, 0..n).unwrap();
    let n = n as usize;
    assert_eq!(m.iter().sum::<f64>(), as_f64(&want["chr22_raw_sum_dense"]));
    assert_eq!(m[11 * n + 11], as_f64(&want["chr22_raw_11_11"]));
    assert_eq!(m[11 * n + 13], as_f64(&want["chr22_raw_11_13"]));
    for i in 0..n {
        for j in 0..n {
            assert_eq!(m[i * n + j], m[j * n + i], "not symmetric at {i},{j}");
        }
    }
}

#[test]
fn sub_blocks_and_rows_equal_the_full_matrix() {
    let c = Cooler::open(fixture(COOL)).unwrap();
    for chrom in ["chr1", "chr22", "22", "chrX"] {
        let n = c.n_bins(chrom).unwrap();
        let full = c.raw_matrix(chrom, 0..n, 0..n).unwrap();
        let at = |i: u64, j: u64| full[(i * n + j) as usize];
        // Off-diagonal rectangles on both sides of the diagonal, and an overlapping one.
        for (rows, cols) in [(0..5, 10..20), (10..20, 0..5), (3..9, 5..n), (n - 4..n, n - 4..n)] {
            let sub = c.raw_matrix(chrom, rows.clone(), cols.clone()).unwrap();
            let w = (cols.end - cols.start) as usize;
            for i in rows.clone() {
                for j in cols.clone() {
                    assert_eq!(
                        sub[(i - rows.start) as usize * w + (j - cols.start) as usize],
                        at(i, j),
                        "{chrom} {i},{j}"
                    );
                }
            }
        }
        let row = c.row(chrom, 11, -3..n as i64 + 2, false).unwrap();
        assert!(row[..3].iter().chain(&row[row.len() - 2..]).all(|v| v.is_nan()));
        for j in 0..n {
            assert_eq!(row[j as usize + 3], at(11, j));
        }
        // No weight column: balanced falls back to raw.
        assert_eq!(c.balanced_matrix(chrom, 0..n, 0..n).unwrap(), full);
    }
}

#[test]
fn rows_from_rayon_workers() {
    let c = Cooler::open(fixture(COOL)).unwrap();
    let n = c.n_bins("chr2").unwrap();
    let full = c.raw_matrix("chr2", 0..n, 0..n).unwrap();
    (0..n).into_par_iter().for_each(|i| {
        let row = c.row("chr2", i, 0..n as i64, false).unwrap();
        assert_eq!(row[..], full[(i * n) as usize..((i + 1) * n) as usize]);
    });
}

#[test]
fn multi_resolution_mcool() {
    let want = expected(MCOOL);
    let path = fixture(MCOOL);
    let res: Vec<String> = cooler::resolutions(&path).unwrap().iter().map(|r| format!("/resolutions/{r}")).collect();
    let want_res: Vec<&str> = want["resolutions"].as_array().unwrap().iter().map(as_str).collect();
    assert_eq!(res, want_res);

    let first = format!("{}::{}", path.display(), want_res[0]);
    let without_slash = format!("{}::{}", path.display(), want_res[0].trim_start_matches('/'));
    for uri in [first, without_slash] {
        let c = Cooler::open(&uri).unwrap();
        assert_eq!(c.binsize(), as_u64(&want["first_binsize"]));
        let n = c.n_bins("chr1").unwrap();
        assert_eq!((n, n), dims(&want["chr1_shape"]));
        let m = c.raw_matrix("chr1", 0..n, 0..n).unwrap();
        assert_eq!(m.iter().sum::<f64>(), as_f64(&want["chr1_raw_sum_dense"]));
        assert!(!c.has_weight());
    }
    let binsize = as_u64(&want["first_binsize"]);
    assert_eq!(Cooler::open_resolution(&path, binsize).unwrap().binsize(), binsize);
}

#[test]
fn mcool_without_a_resolution_lists_them() {
    let path = fixture(MCOOL);
    let err = Cooler::open(&path).unwrap_err();
    let res = cooler::resolutions(&path).unwrap();
    let list: Vec<String> = res.iter().map(|r| r.to_string()).collect();
    assert_names(&err, &path, &[&list.join(", "), "::resolutions/N"]);
}

#[test]
fn hic2cool_kr_column_as_weights() {
    let uri = format!("{}::resolutions/1000000", fixture(MCOOL).display());
    let raw = Cooler::open(&uri).unwrap();
    let n = raw.n_bins("chr2").unwrap();
    let r = raw.raw_matrix("chr2", 0..n, 0..n).unwrap();
    let mul = Cooler::open(&uri).unwrap().with_weight_column("KR", false).unwrap();
    let div = Cooler::open(&uri).unwrap().with_weight_column("KR", true).unwrap();
    assert!(mul.has_weight());
    let (m, d) = (mul.balanced_matrix("chr2", 0..n, 0..n).unwrap(), div.balanced_matrix("chr2", 0..n, 0..n).unwrap());
    let mut finite = 0;
    for ((&r, &m), &d) in r.iter().zip(&m).zip(&d) {
        if m.is_nan() {
            assert!(d.is_nan()); // a NaN weight poisons both
            continue;
        }
        finite += 1;
        assert!((m * d - r * r).abs() <= 1e-9 * (r * r).max(1.0), "{m} * {d} vs {r}²");
    }
    assert!(finite > 0);
    assert!(Cooler::open(&uri).unwrap().with_weight_column("nope", false).is_err());
}

/// A cooler opens while another process holds an exclusive lock on it (what a process spawned while the
/// file's writer was open inherits, since HDF5 opens files without O_CLOEXEC; or a lock NFS cannot take):
/// reading takes no lock. Holds the lock with util-linux's `flock`.
#[test]
fn a_cooler_opens_while_another_process_holds_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.cool");
    std::fs::copy(fixture(COOL), &path).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg("-x")
        .arg(&path)
        .args(["sleep", "60"])
        .spawn()
        .expect("util-linux `flock` is needed to hold the lock");
    // Wait until the lock is held: a non-blocking shared lock then fails.
    let held = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        let probe = std::process::Command::new("flock").args(["-n", "-s"]).arg(&path).arg("true").status();
        probe.is_ok_and(|s| !s.success())
    });
    let opened = Cooler::open(&path);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(held, "the lock holder never took its lock");
    let c = opened.unwrap();
    assert_eq!(c.binsize(), as_u64(&expected(COOL)["binsize"]));
}
