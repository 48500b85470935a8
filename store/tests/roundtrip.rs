//! Writes small stores and reads them back through the public API.

use seq2exp_store::*;

const L: u64 = 1_000;
const BIN: u64 = 100;

fn genes() -> Vec<GeneInfo> {
    [
        ("ENSG1", "A1", "chr1", 5_000u64),
        ("ENSG2", "B2", "chr22", 50),
        ("ENSG3", "C3", "chrX", 12_345),
        ("ENSG4", "D4", "chr3", 777),
    ]
    .iter()
    .enumerate()
    .map(|(i, (id, name, chrom, tss))| GeneInfo {
        id: id.to_string(),
        name: name.to_string(),
        chrom: chrom.to_string(),
        tss: *tss,
        strand: if i % 2 == 0 { Strand::Plus } else { Strand::Minus },
    })
    .collect()
}

fn meta(compression: Compression) -> StoreMeta {
    let mut m = StoreMeta::new(L, BIN);
    m.genome_build = "test".into();
    m.tracks = vec![
        Track { name: "dnase".into(), unit: "signal".into(), source: "d.bw".into() },
        Track { name: "h3k27ac".into(), unit: "signal".into(), source: "h.bw".into() },
    ];
    m.target_names = vec!["K562".into()];
    m.compression = compression;
    m
}

fn window(g: usize) -> GeneWindow {
    let l = L as usize;
    GeneWindow {
        dna: (0..l).map(|i| ((i * 7 + g) % 5) as u8).collect(),
        signals: (0..2 * l).map(|i| (i as f32) * 0.5 + g as f32).collect(),
        hic: (0..hic_bin_count(L, BIN)).map(|j| j as f32 + 100.0 * g as f32).collect(),
        targets: vec![g as f32 * 1.5],
        features: std::array::from_fn(|k| (g * 10 + k) as f32),
    }
}

fn splits(genes: &[GeneInfo]) -> Vec<[Split; N_FOLDS]> {
    genes.iter().map(|g| std::array::from_fn(|k| fold_split(&g.chrom, k + 1))).collect()
}

fn write_store(dir: &std::path::Path, compression: Compression) -> std::path::PathBuf {
    let path = dir.join("s.h5");
    let g = genes();
    let mut w = StoreWriter::create(&path, meta(compression), &g, &splits(&g)).unwrap();
    w.set_blacklist(&[("chr1".into(), 4_600, 4_610), ("chr1".into(), 5_490, 9_000), ("chr2".into(), 0, 100_000)])
        .unwrap();
    for i in (0..g.len()).rev() {
        w.write(i, &window(i)).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn round_trip_every_field_with_each_compression() {
    for c in [Compression::None, Compression::Lzf, Compression::Deflate(1)] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_store(dir.path(), c);
        let r = StoreReader::open(&path).unwrap();
        assert_eq!(r.meta(), &meta(c));
        assert_eq!(r.genes(), genes().as_slice());
        let spec = r.signal_spec(&["h3k27ac", "dnase", "hic"]).unwrap();
        for i in 0..r.len() {
            let w = window(i);
            let e = r.read(i, &spec).unwrap();
            assert_eq!(e.dna, w.dna);
            assert_eq!(e.features, w.features);
            assert_eq!(e.targets, w.targets);
            let l = L as usize;
            for pos in [0, 1, 499, 999] {
                assert_eq!(e.signals[pos * 3], w.signals[l + pos], "h3k27ac is track 1");
                assert_eq!(e.signals[pos * 3 + 1], w.signals[pos], "dnase is track 0");
            }
        }
        assert_eq!(r.split(1, 11), Split::Test);
        assert_eq!(r.split(3, 11), Split::Valid);
        assert_eq!(r.split(0, 11), Split::Train);
    }
}

#[test]
fn hic_is_expanded_by_genomic_bin() {
    let dir = tempfile::tempdir().unwrap();
    let r = StoreReader::open(write_store(dir.path(), Compression::Lzf)).unwrap();
    let spec = r.signal_spec(&["hic"]).unwrap();
    for (i, g) in r.genes().iter().enumerate() {
        let e = r.read(i, &spec).unwrap();
        let start = g.tss as i64 - (L / 2) as i64;
        let first = start.div_euclid(BIN as i64);
        for pos in [0usize, 37, 500, 999] {
            let bin = (start + pos as i64).div_euclid(BIN as i64) - first;
            assert_eq!(e.signals[pos], window(i).hic[bin as usize], "gene {i} pos {pos}");
        }
    }
    // Gene 1's window starts at −450: bases −450..−401 are in bin −5, the window's first bin.
    let e = r.read(1, &spec).unwrap();
    assert_eq!(e.signals[0], window(1).hic[0]);
    assert_eq!(e.signals[50], window(1).hic[1]);
}

#[test]
fn blacklist_is_expanded_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let r = StoreReader::open(write_store(dir.path(), Compression::Lzf)).unwrap();
    // Gene 0: chr1, TSS 5,000 → window [4,500, 5,500).
    let m = r.blacklist_mask(0);
    let on: Vec<usize> = (0..m.len()).filter(|&i| m[i] == 1).collect();
    assert_eq!(on, (100..110).chain(990..1000).collect::<Vec<_>>());
    assert!(r.blacklist_mask(1).iter().all(|&b| b == 0), "chr22 has no blacklisted interval");
    let e = r.read(0, &r.default_signal_spec().unwrap()).unwrap();
    assert_eq!(e.blacklist, m);
}

#[test]
fn selections() {
    let dir = tempfile::tempdir().unwrap();
    let r = StoreReader::open(write_store(dir.path(), Compression::Lzf)).unwrap();
    assert_eq!(r.select(&Selection::Split { fold: 11, split: Split::Test }).unwrap(), vec![1, 2]);
    assert_eq!(r.select(&Selection::Genes(vec!["C3".into(), "ENSG1.7".into()])).unwrap(), vec![2, 0]);
    let err = r.select(&Selection::Genes(vec!["nope".into()])).unwrap_err().to_string();
    assert!(err.contains("nope") && err.contains("s.h5"), "{err}");
    assert!(r.select(&Selection::Split { fold: 13, split: Split::Test }).is_err());
    let err = r.signal_spec(&["ctcf"]).unwrap_err().to_string();
    assert!(err.contains("ctcf"), "{err}");
}

#[test]
fn stream_yields_every_selected_gene_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_store(dir.path(), Compression::Lzf);
    let names: Vec<String> = SignalSpec::DEFAULT.iter().map(|s| s.to_string()).collect();
    let batches: Vec<Batch> =
        BatchStream::spawn(&path, vec![3, 0, 2], 2, names, 1).unwrap().map(Result::unwrap).collect();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].indices, vec![3, 0]);
    assert_eq!(batches[1].indices, vec![2]);
    assert_eq!(batches[0].dna.len(), 2 * L as usize);
    assert_eq!(&batches[0].dna[L as usize..], window(0).dna.as_slice());
    assert_eq!(batches[0].signals.len(), 2 * L as usize * 3);
    assert_eq!(batches[1].targets, window(2).targets);
    // Dropping a stream early must not hang.
    let mut s = BatchStream::spawn(&path, (0..4).collect(), 1, vec!["dnase".into()], 1).unwrap();
    assert!(s.next().unwrap().is_ok());
    drop(s);
}

#[test]
fn unfinished_or_incomplete_writes_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.h5");
    let g = genes();
    let mut w = StoreWriter::create(&path, meta(Compression::Lzf), &g, &splits(&g)).unwrap();
    w.write(0, &window(0)).unwrap();
    let err = w.finish().unwrap_err().to_string();
    assert!(err.contains("never written"), "{err}");
    let mut w = StoreWriter::create(&path, meta(Compression::Lzf), &g, &splits(&g)).unwrap();
    let mut bad = window(1);
    bad.dna.pop();
    assert!(w.write(1, &bad).unwrap_err().to_string().contains("dna has 999 values"));
    drop(w);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn rejects_other_files_and_schema_versions() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.h5");
    hdf5::File::create(&other).unwrap();
    let err = StoreReader::open(&other).unwrap_err().to_string();
    assert!(err.contains("not a seq2exp window store") && err.contains("other.h5"), "{err}");

    let path = write_store(dir.path(), Compression::Lzf);
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        f.attr("schema_version").unwrap().write_scalar(&(SCHEMA_VERSION + 1)).unwrap();
    }
    match StoreReader::open(&path) {
        Err(StoreError::SchemaVersion { found, expected, .. }) => {
            assert_eq!((found, expected), (SCHEMA_VERSION + 1, SCHEMA_VERSION))
        }
        other => panic!("expected a schema-version error, got {:?}", other.map(|_| ())),
    }
    assert!(StoreReader::open(dir.path().join("missing.h5")).unwrap_err().to_string().contains("no such file"));
}
