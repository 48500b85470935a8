//! contacts.mcool read back through the hdf5 crate with the expectations a cooler reader has.

use std::path::Path;

use hdf5::types::{FixedAscii, VarLenUnicode};
use seq2exp_simulate::{generate, simulate, SimConfig, SimGenome};

fn attr_i64(loc: &hdf5::Location, name: &str) -> i64 {
    loc.attr(name).unwrap().read_scalar::<i64>().unwrap()
}

fn attr_str(loc: &hdf5::Location, name: &str) -> String {
    loc.attr(name).unwrap().read_scalar::<VarLenUnicode>().unwrap().as_str().to_string()
}

fn read<T: hdf5::H5Type>(g: &hdf5::Group, name: &str) -> Vec<T> {
    g.dataset(name).unwrap().read_raw::<T>().unwrap()
}

fn check_resolution(file: &hdf5::File, genome: &SimGenome, res: u64) -> i64 {
    let g = file.group(&format!("resolutions/{res}")).unwrap();
    assert_eq!(attr_str(&g, "format"), "HDF5::Cooler");
    assert_eq!(attr_str(&g, "storage-mode"), "symmetric-upper");
    assert_eq!(attr_str(&g, "bin-type"), "fixed");
    assert_eq!(attr_i64(&g, "format-version"), 3);
    assert_eq!(attr_i64(&g, "bin-size"), res as i64);
    let names: Vec<String> = read::<FixedAscii<64>>(&g, "chroms/name").iter().map(|n| n.as_str().to_string()).collect();
    let want: Vec<String> = genome.chroms.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, want);
    let lengths = read::<i32>(&g, "chroms/length");
    assert_eq!(lengths, genome.chroms.iter().map(|c| c.length as i32).collect::<Vec<_>>());
    assert_eq!(attr_i64(&g, "nchroms"), names.len() as i64);

    // Bins: ceil(len / res) per chromosome, contiguous, the last one partial.
    let (chrom, start, end) =
        (read::<i32>(&g, "bins/chrom"), read::<i32>(&g, "bins/start"), read::<i32>(&g, "bins/end"));
    let chrom_offset = read::<i64>(&g, "indexes/chrom_offset");
    assert_eq!(chrom_offset.len(), names.len() + 1);
    for (c, len) in lengths.iter().enumerate() {
        let (a, b) = (chrom_offset[c] as usize, chrom_offset[c + 1] as usize);
        assert_eq!((b - a) as u64, (*len as u64).div_ceil(res), "bins of {}", names[c]);
        for i in a..b {
            assert_eq!(chrom[i], c as i32);
            assert_eq!(start[i] as u64, (i - a) as u64 * res);
            assert_eq!(end[i], ((i - a + 1) as i64 * res as i64).min(*len as i64) as i32);
        }
    }
    let nbins = *chrom_offset.last().unwrap() as usize;
    assert_eq!(attr_i64(&g, "nbins"), nbins as i64);
    assert!(read::<f64>(&g, "bins/weight").iter().all(|&w| w == 1.0), "weights of one by default");

    // Pixels: upper triangle, sorted, intra-chromosomal, positive; bin1_offset consistent.
    let (b1, b2, count) =
        (read::<i64>(&g, "pixels/bin1_id"), read::<i64>(&g, "pixels/bin2_id"), read::<i32>(&g, "pixels/count"));
    assert_eq!(attr_i64(&g, "nnz"), b1.len() as i64);
    for k in 0..b1.len() {
        assert!(b1[k] <= b2[k] && count[k] > 0);
        assert_eq!(chrom[b1[k] as usize], chrom[b2[k] as usize], "only cis contacts");
        if k > 0 {
            assert!((b1[k - 1], b2[k - 1]) < (b1[k], b2[k]), "pixels sorted at {k}");
        }
    }
    let offsets = read::<i64>(&g, "indexes/bin1_offset");
    assert_eq!(offsets.len(), nbins + 1);
    assert_eq!(*offsets.last().unwrap(), b1.len() as i64);
    for i in 0..nbins {
        for k in offsets[i]..offsets[i + 1] {
            assert_eq!(b1[k as usize], i as i64);
        }
    }
    count.iter().map(|&c| c as i64).sum()
}

/// Σ counts / Σ expected over all cis pairs at the finest resolution (≈ 1: noise has mean 1).
fn observed_over_expected(file: &hdf5::File, genome: &SimGenome) -> f64 {
    let cfg = &genome.config;
    let g = file.group(&format!("resolutions/{}", cfg.hic_bin_size)).unwrap();
    let total: f64 = read::<i32>(&g, "pixels/count").iter().map(|&c| c as f64).sum();
    let mut expected = 0.0;
    for (c, chrom) in genome.chroms.iter().enumerate() {
        let nb = chrom.length.div_ceil(cfg.hic_bin_size) as u32;
        for i in 0..nb {
            for j in i..nb {
                expected += genome.expected_contact(c, i, j);
            }
        }
    }
    total / expected
}

#[test]
fn mcool_has_cooler_layout_at_both_resolutions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sim");
    let cfg = SimConfig::small(5);
    simulate(&cfg, &dir).unwrap();
    let genome = generate(&cfg).unwrap();
    let file = hdf5::File::open(Path::new(&dir).join("contacts.mcool")).unwrap();
    assert_eq!(attr_str(&file, "format"), "HDF5::MCOOL");
    let fine = check_resolution(&file, &genome, 5_000);
    let coarse = check_resolution(&file, &genome, 10_000);
    assert_eq!(fine, coarse, "coarsening keeps the total count");
    let ratio = observed_over_expected(&file, &genome);
    assert!((0.95..1.05).contains(&ratio), "observed/expected = {ratio}");
}

#[test]
fn plain_int_chrom_column_and_biased_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sim");
    let mut cfg = SimConfig::small(6);
    cfg.cooler_chrom_enum = false;
    cfg.hic_bias_sd = 0.3;
    simulate(&cfg, &dir).unwrap();
    let genome = generate(&cfg).unwrap();
    let file = hdf5::File::open(dir.join("contacts.mcool")).unwrap();
    let g = file.group("resolutions/5000").unwrap();
    let weights = read::<f64>(&g, "bins/weight");
    let bias: Vec<f64> = genome.chroms.iter().flat_map(|c| c.hic_bias.iter().copied()).collect();
    assert_eq!(weights.len(), bias.len());
    for (w, b) in weights.iter().zip(&bias) {
        assert!((w * b - 1.0).abs() < 1e-12, "weight undoes the bias");
    }
    assert!(weights.iter().any(|&w| (w - 1.0).abs() > 0.05));
}
