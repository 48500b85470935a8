//! Bad inputs give one clear error naming the file and the place, never a panic.

mod fixtures_common;

use std::io::Write;
use std::path::{Path, PathBuf};

use fixtures_common::*;
use seq2exp_formats::{
    read_feature_table, read_genes, read_intervals, read_value_table, BigWig, Cooler, GeneOptions, Genome,
};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

// ---------------------------------------------------------------- bigWig

#[test]
fn truncated_bigwig_fails_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("bigwig/ENCFF826FLP.bw")).unwrap();
    for keep in [bytes.len() / 2, bytes.len() - 100, 40] {
        let p = dir.path().join(format!("cut{keep}.bw"));
        std::fs::write(&p, &bytes[..keep]).unwrap();
        let err = BigWig::open(&p).unwrap_err();
        assert_names(&err, &p, &["truncated"]);
    }
}

/// Garbage in the middle of the data section: an error at the chromosome, not a panic.
#[test]
fn corrupt_bigwig_data_is_an_error_at_the_chromosome() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("bigwig/ENCFF826FLP.bw")).unwrap();
    let data_at = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let index_at = u64::from_le_bytes(bytes[24..32].try_into().unwrap()) as usize;
    let mut x = 12345u32;
    for b in &mut bytes[data_at + 8..index_at] {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    let p = dir.path().join("corrupt.bw");
    std::fs::write(&p, &bytes).unwrap();
    let result = BigWig::open(&p).and_then(|bw| {
        let mut v = vec![0f32; 51_000_000];
        bw.values("chr22", 0, 51_000_000, &mut v)
    });
    assert_names(&result.unwrap_err(), &p, &["chromosome chr22"]);
}

#[test]
fn not_a_bigwig() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "x.bw", &"not a bigwig at all ".repeat(10));
    assert_names(&BigWig::open(&p).unwrap_err(), &p, &["not a bigWig"]);
}

// ---------------------------------------------------------------- FASTA

fn small_fasta(dir: &Path) -> PathBuf {
    let seq = "ACGT".repeat(50);
    let text = format!(
        ">chr1\n{}\n>chr2\n{}\n",
        seq.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n"),
        seq.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n")
    );
    let fa = write(dir, "g.fa", &text);
    let index = noodles::fasta::fs::index(&fa).unwrap();
    noodles::fasta::fai::fs::write(dir.join("g.fa.fai"), &index).unwrap();
    fa
}

#[test]
fn truncated_fasta_shorter_than_its_fai() {
    let dir = tempfile::tempdir().unwrap();
    let fa = small_fasta(dir.path());
    let bytes = std::fs::read(&fa).unwrap();
    std::fs::write(&fa, &bytes[..bytes.len() - 30]).unwrap();
    assert_names(&Genome::open(&fa).unwrap_err(), &fa, &["chromosome chr2", "truncated"]);
}

#[test]
fn unknown_chromosome_and_wrong_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let fa = small_fasta(dir.path());
    let g = Genome::open(&fa).unwrap();
    let mut out = vec![0u8; 10];
    assert_names(&g.fetch_window("chr7", 0, 10, &mut out).unwrap_err(), &fa, &["chromosome chr7", "not in this FASTA"]);
    assert_names(&g.fetch_window("chr1", 0, 11, &mut out).unwrap_err(), &fa, &["chromosome chr1"]);
}

#[test]
fn bgzipped_fasta_without_index_and_plain_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let fa = small_fasta(dir.path());
    let text = std::fs::read(&fa).unwrap();
    let bgz = dir.path().join("g.fa.bgz");
    let mut w = noodles::bgzf::io::Writer::new(std::fs::File::create(&bgz).unwrap());
    w.write_all(&text).unwrap();
    w.finish().unwrap();
    assert_names(&Genome::open(&bgz).unwrap_err(), &bgz, &["g.fa.bgz.fai", "samtools faidx"]);
    let gz = dir.path().join("g.fa.gz");
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    e.write_all(&text).unwrap();
    e.finish().unwrap();
    assert_names(&Genome::open(&gz).unwrap_err(), &gz, &["plain gzip", "bgzip"]);
}

// ---------------------------------------------------------------- genes

const GTF_HEAD: &str = "##format: gtf\n";

fn gtf_row(kind: &str, start: &str, id: &str) -> String {
    format!(
        "chr1\tT\t{kind}\t{start}\t2000\t.\t+\t.\tgene_id \"{id}\"; gene_type \"protein_coding\"; gene_name \"X\";\n"
    )
}

#[test]
fn malformed_gtf_row_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{GTF_HEAD}{}{}", gtf_row("gene", "100", "G1.1"), gtf_row("gene", "abc", "G2.1"));
    let p = write(dir.path(), "bad.gtf", &text);
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["line 3"]);
    let short = format!("{GTF_HEAD}{}chr1\tT\tgene\t5\n", gtf_row("gene", "100", "G1.1"));
    let p = write(dir.path(), "short.gtf", &short);
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["line 3"]);
    let no_id = format!("{GTF_HEAD}chr1\tT\tgene\t5\t10\t.\t+\t.\tgene_name \"A\";\n");
    let p = write(dir.path(), "noid.gtf", &no_id);
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["line 2", "gene_id"]);
}

#[test]
fn duplicate_gene_id_names_gene_and_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{GTF_HEAD}{}{}{}",
        gtf_row("gene", "100", "ENSG01.1"),
        gtf_row("gene", "300", "ENSG02.1"),
        gtf_row("gene", "500", "ENSG01.2")
    );
    let p = write(dir.path(), "dup.gtf", &text);
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["gene ENSG01", "lines 2 and 4"]);
}

#[test]
fn empty_gene_result_and_unknown_format() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{GTF_HEAD}chr1\tT\tgene\t5\t10\t.\t+\t.\tgene_id \"A\"; gene_type \"lncRNA\";\n");
    let p = write(dir.path(), "lnc.gtf", &text);
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["no genes"]);
    let p = write(dir.path(), "genes.xyz", "x");
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["unknown gene annotation format"]);
}

#[test]
fn gene_outside_its_chromosome() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "g.bed", "chr1\t100\t200\tA\t0\t+\nchr1\t900\t1500\tB\t0\t-\nchrUn\t1\t5\tC\t0\t+\n");
    let genes = read_genes(&p, &GeneOptions::default()).unwrap();
    assert_eq!(genes.get("B").unwrap().tss, 1499);
    let lengths = vec![("chr1".to_string(), 1000u64)];
    assert_names(&genes.check_in_genome(&lengths).unwrap_err(), &p, &["gene B", "chr1"]);
    assert_eq!(genes.missing_chroms(&lengths), vec!["chrUn".to_string()]);
}

#[test]
fn gene_table_comments_header_and_tss_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# made by hand\n#chr\tstart\tend\tname\tstrand\ttss\tgene_id\n1\t10\t50\tA\t-\t42\tENSG1.2\n";
    let p = write(dir.path(), "g.txt", text);
    let genes = read_genes(&p, &GeneOptions::default()).unwrap();
    let g = genes.get("ENSG1").unwrap();
    assert_eq!((g.chrom.as_str(), g.tss, g.name.as_str(), g.id_versioned.as_str()), ("chr1", 42, "A", "ENSG1.2"));
    let csv = write(dir.path(), "g.csv", "chrom,TSS,gene_id,Gene name\nchrX,5,ENSG2,B\n");
    assert_eq!(read_genes(&csv, &GeneOptions::default()).unwrap().get("ENSG2").unwrap().tss, 5);
}

#[test]
fn malformed_gene_table_row() {
    let dir = tempfile::tempdir().unwrap();
    let p =
        write(dir.path(), "g.tsv", "#chr\tstart\tend\tname\tscore\tstrand\nchr1\t1\t5\tA\t0\t+\nchr1\tx\t5\tB\t0\t+\n");
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["line 3", "start 'x'"]);
    let p = write(dir.path(), "s.tsv", "#chr\tstart\tend\tname\tscore\tstrand\nchr1\t1\t5\tA\t0\t*\n");
    assert_names(&read_genes(&p, &GeneOptions::default()).unwrap_err(), &p, &["line 2", "strand"]);
}

// ---------------------------------------------------------------- BED

#[test]
fn malformed_bed_and_narrowpeak_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "x.bed", "track name=x\nchr1\t1\t5\nchr1\t9\n");
    assert_names(&read_intervals(&p).unwrap_err(), &p, &["line 3", "at least 3"]);
    let p = write(dir.path(), "x.narrowPeak", "chr1\t1\t5\tp\t10\t.\t1.0\t2.0\t3.0\n");
    assert_names(&read_intervals(&p).unwrap_err(), &p, &["line 1", "10 columns"]);
    let p = write(dir.path(), "y.narrowPeak", "chr1\t1\t5\tp\t10\t.\t1.0\tNA\t3.0\t4\n");
    assert_names(&read_intervals(&p).unwrap_err(), &p, &["line 1", "pValue"]);
}

// ---------------------------------------------------------------- tables

const TABLE: &str = "ENSID,K562_CAGE,GM12878_CAGE\nENSG01.3,1.5,2\nENSG02,0,1e-3\n";

#[test]
fn value_table_reads_and_strips_versions() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "expr.csv", TABLE);
    let t = read_value_table(&p, "ENSID", "K562_CAGE").unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t["ENSG01"], 1.5);
    let f = read_feature_table(&p, "ENSID", &["GM12878_CAGE", "K562_CAGE"]).unwrap();
    assert_eq!(f["ENSG02"], vec![1e-3f32, 0.0]);
    let tsv = write(dir.path(), "expr.txt", &TABLE.replace(',', "\t"));
    assert_eq!(read_value_table(&tsv, "ENSID", "GM12878_CAGE").unwrap()["ENSG01"], 2.0);
}

#[test]
fn unknown_table_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "expr.csv", TABLE);
    let err = read_value_table(&p, "ENSID", "HepG2_CAGE").unwrap_err();
    assert_names(&err, &p, &["line 1", "HepG2_CAGE", "ENSID, K562_CAGE, GM12878_CAGE"]);
    let err = read_feature_table(&p, "gene", &["K562_CAGE"]).unwrap_err();
    assert_names(&err, &p, &["unknown column 'gene'"]);
}

#[test]
fn malformed_table_row_and_non_numeric_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "short.csv", &format!("{TABLE}ENSG03,1\n"));
    assert_names(&read_value_table(&p, "ENSID", "K562_CAGE").unwrap_err(), &p, &["line 4", "2 fields"]);
    let p = write(dir.path(), "na.csv", "ENSID,K562_CAGE\nENSG01,NA\n");
    assert_names(
        &read_value_table(&p, "ENSID", "K562_CAGE").unwrap_err(),
        &p,
        &["line 2", "non-numeric", "'NA'", "K562_CAGE"],
    );
}

#[test]
fn duplicate_table_id_names_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "dup.csv", &format!("{TABLE}ENSG01.4,3,3\n"));
    assert_names(&read_value_table(&p, "ENSID", "K562_CAGE").unwrap_err(), &p, &["line 4", "ENSG01", "line 2"]);
}

// ---------------------------------------------------------------- cooler

#[test]
fn cooler_missing_resolution_file_and_garbage() {
    let mcool = fixture("hic/hic2cool_0.7.0_multi_res.mcool");
    let uri = format!("{}::resolutions/5000", mcool.display());
    let err = Cooler::open(&uri).unwrap_err();
    assert_names(&err, &mcool, &["group /resolutions/5000", "resolutions/1000000"]);
    assert_names(&Cooler::open_resolution(&mcool, 5000).unwrap_err(), &mcool, &["/resolutions/5000"]);

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.cool");
    assert_names(&Cooler::open(&missing).unwrap_err(), &missing, &["not found"]);
    let garbage = write(dir.path(), "garbage.cool", &"x".repeat(4096));
    assert_names(&Cooler::open(&garbage).unwrap_err(), &garbage, &["HDF5"]);
    let bytes = std::fs::read(fixture("hic/hg19.GM12878-MboI.matrix.2000kb.cool")).unwrap();
    let cut = dir.path().join("cut.cool");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let result = Cooler::open(&cut).and_then(|c| {
        let n = c.n_bins("chrX")?;
        c.raw_matrix("chrX", 0..n, 0..n).map(|_| ())
    });
    assert!(result.is_err(), "a cooler cut in half must not read as valid");
    assert_names(&result.unwrap_err(), &cut, &[]);

    let c = Cooler::open(fixture("hic/hg19.GM12878-MboI.matrix.2000kb.cool")).unwrap();
    assert_names(&c.raw_matrix("chr5", 0..1, 0..1000).unwrap_err(), c.path(), &["chromosome chr5", "outside"]);
    assert_names(&c.row("chrUn", 0, 0..3, false).unwrap_err(), c.path(), &["chromosome chrUn"]);
}
