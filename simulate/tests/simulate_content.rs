//! The files say what the in-memory genome says, and the planted truth has the promised properties.
//! One small genome (3 chromosomes × 4 genes) is simulated once and shared by every test here.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use seq2exp_simulate::genome::{GeneType, Strand};
use seq2exp_simulate::sequence::motif_occurrences;
use seq2exp_simulate::{generate, simulate, ElementKind, SimConfig, SimGenome};

struct Sim {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    genome: SimGenome,
}

fn sim() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sim");
        let cfg = SimConfig::small(2222);
        simulate(&cfg, &dir).unwrap();
        let genome = generate(&cfg).unwrap();
        Sim { _tmp: tmp, dir, genome }
    })
}

fn read_tsv(path: &Path, delim: char) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(delim).map(str::to_string).collect())
        .collect()
}

/// (length, offset, line_bases, line_width) per name, parsed by hand from the .fai.
fn fai(dir: &Path) -> HashMap<String, (u64, u64, u64, u64)> {
    read_tsv(&dir.join("genome.fa.fai"), '\t')
        .into_iter()
        .map(|r| {
            (r[0].clone(), (r[1].parse().unwrap(), r[2].parse().unwrap(), r[3].parse().unwrap(), r[4].parse().unwrap()))
        })
        .collect()
}

/// Reads [start, end) of `name` by seeking with the .fai numbers.
fn fasta_slice(dir: &Path, name: &str, start: u64, end: u64) -> Vec<u8> {
    let idx = fai(dir);
    let (len, offset, bases, width) = idx[name];
    assert!(end <= len);
    let mut f = std::fs::File::open(dir.join("genome.fa")).unwrap();
    let mut out = Vec::new();
    for p in start..end {
        f.seek(SeekFrom::Start(offset + p / bases * width + p % bases)).unwrap();
        let mut b = [0u8];
        f.read_exact(&mut b).unwrap();
        out.push(b[0]);
    }
    out
}

#[test]
fn fasta_and_fai_match_memory() {
    let s = sim();
    let idx = fai(&s.dir);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for chrom in &s.genome.chroms {
        let (len, _, bases, width) = idx[&chrom.name];
        assert_eq!((len, bases, width), (chrom.length, 60, 61));
        for _ in 0..20 {
            let start = rng.random_range(0..chrom.length - 200);
            let got = fasta_slice(&s.dir, &chrom.name, start, start + 200);
            assert_eq!(got, chrom.seq[start as usize..start as usize + 200], "{} at {start}", chrom.name);
        }
        let tail = fasta_slice(&s.dir, &chrom.name, chrom.length - 5, chrom.length);
        assert_eq!(tail, chrom.seq[chrom.length as usize - 5..]);
        assert!(chrom.seq.starts_with(b"N"), "chromosomes start with an N run");
        assert!(chrom.seq.iter().any(u8::is_ascii_lowercase), "some soft-masking");
        let gc = chrom.seq.iter().filter(|b| matches!(b, b'G' | b'C' | b'g' | b'c')).count() as f64
            / chrom.seq.iter().filter(|&&b| b != b'N').count() as f64;
        assert!((0.38..0.46).contains(&gc), "GC {gc}");
    }
    // The whole file is what noodles' indexed reader sees, too.
    let mut reader =
        noodles::fasta::io::indexed_reader::Builder::default().build_from_path(s.dir.join("genome.fa")).unwrap();
    let c = &s.genome.chroms[1];
    let region: noodles::core::Region = format!("{}:1001-1100", c.name).parse().unwrap();
    let rec = reader.query(&region).unwrap();
    assert_eq!(rec.sequence().as_ref(), &c.seq[1000..1100]);
}

fn bigwig_values(path: &Path, chrom: &str, len: u64) -> Vec<f32> {
    let mut bw = bigtools::BigWigRead::open_file(path).unwrap();
    bw.values(chrom, 0, len as u32).unwrap()
}

#[test]
fn bigwig_reads_back_runs_and_explicit_zeros() {
    let s = sim();
    for (file, pick) in [("dnase.bw", 0), ("h3k27ac.bw", 1)] {
        for chrom in &s.genome.chroms {
            let track = if pick == 0 { &chrom.dnase } else { &chrom.h3k27ac };
            let got = bigwig_values(&s.dir.join(file), &chrom.name, chrom.length);
            let mut covered = vec![false; chrom.length as usize];
            for r in &track.runs {
                for p in r.start..r.end {
                    covered[p as usize] = true;
                    assert_eq!(got[p as usize], r.value, "{file} {}:{p}", chrom.name);
                }
            }
            let missing = got.iter().zip(&covered).filter(|(v, c)| !**c && v.is_nan()).count();
            let uncovered = covered.iter().filter(|c| !**c).count();
            assert_eq!(missing, uncovered, "{file}: bases without a run read as NaN");
            assert!(uncovered > 0, "most zeros are omitted");
            let explicit = track.runs.iter().filter(|r| r.value == 0.0).count();
            assert!(explicit > 0, "{file} {}: some zeros are explicit", chrom.name);
            let max = got.iter().copied().filter(|v| !v.is_nan()).fold(0.0f32, f32::max);
            assert!(max > 1.0 && max < 20.0, "{file}: values in a realistic range, max {max}");
        }
    }
}

#[test]
fn planted_elements_have_the_promised_properties() {
    let s = sim();
    let g = &s.genome;
    let cfg = &g.config;
    let tracks: Vec<Vec<f32>> =
        g.chroms.iter().map(|c| bigwig_values(&s.dir.join("dnase.bw"), &c.name, c.length)).collect();
    for e in &g.elements {
        let chrom = &g.chroms[e.chrom];
        let seq = fasta_slice(&s.dir, &chrom.name, e.start, e.end);
        let sites = motif_occurrences(&seq, &g.motif);
        let dnase = &tracks[e.chrom];
        let vals: Vec<f32> =
            dnase[e.start as usize..e.end as usize].iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect();
        let mean = vals.iter().sum::<f32>() / vals.len() as f32;
        let max = vals.iter().copied().fold(0.0f32, f32::max);
        match e.kind {
            ElementKind::Causal | ElementKind::MotifDecoy => assert_eq!(sites.len(), cfg.motif_copies, "{e:?}"),
            ElementKind::OpenDecoy => assert!(sites.is_empty(), "open decoy carries the motif: {e:?}"),
        }
        if e.kind.accessible() {
            assert!(mean > cfg.dnase_background_max, "accessible element below background: {e:?} mean {mean}");
            assert!(e.dnase_height >= cfg.dnase_height.0);
        } else {
            assert!(max <= cfg.dnase_background_max, "motif decoy has DNase {max}: {e:?}");
        }
        let tss = g.genes[e.gene].tss;
        assert!(e.start + cfg.design_window / 2 >= tss && e.end <= tss + cfg.design_window / 2);
        assert!(e.end <= tss - cfg.promoter_half_width || e.start >= tss + cfg.promoter_half_width);
    }
    // The motif occurs nowhere else in the genome.
    let planted: usize = g.elements.iter().map(|e| e.motif_sites.len()).sum();
    let found: usize = g.chroms.iter().map(|c| motif_occurrences(&c.seq, &g.motif).len()).sum();
    assert_eq!(planted, found);
}

/// Sums truth.bed contributions per gene (column 4 = gene ENSID, column 7 = contribution).
fn truth_sums(dir: &Path) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for r in read_tsv(&dir.join("truth.bed"), '\t') {
        *sums.entry(r[3].clone()).or_insert(0.0) += r[6].parse::<f64>().unwrap();
    }
    sums
}

#[test]
fn expression_is_recomputable_from_the_truth() {
    let s = sim();
    let cfg = &s.genome.config;
    let sums = truth_sums(&s.dir);
    let genes = read_tsv(&s.dir.join("truth_genes.tsv"), '\t');
    let header = &genes[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let expr: HashMap<String, f64> = read_tsv(&s.dir.join("expression.csv"), ',')
        .into_iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    let feats: HashMap<String, Vec<f64>> = read_tsv(&s.dir.join("features.csv"), ',')
        .into_iter()
        .skip(1)
        .map(|r| (r[0].split('.').next().unwrap().to_string(), r[2..10].iter().map(|v| v.parse().unwrap()).collect()))
        .collect();
    let (mut observed, mut noise_free) = (vec![], vec![]);
    for r in &genes[1..] {
        let id = &r[col("ENSID")];
        let f = |name: &str| r[col(name)].parse::<f64>().unwrap();
        let causal = sums.get(id).copied().unwrap_or(0.0);
        assert!((causal - f("causal_term")).abs() < 1e-9, "{id}: truth.bed sums to {causal}");
        let p: f64 = f("promoter_activity");
        assert!((cfg.promoter_coef * p - f("promoter_term")).abs() < 1e-6);
        let y = cfg.b0 + f("promoter_term") + causal + f("feature_term") + f("noise");
        assert!((y - f("y")).abs() < 1e-9);
        if let Some(fv) = feats.get(id) {
            let ft: f64 = fv.iter().zip(cfg.feature_weights).map(|(a, w)| a * w).sum();
            assert!((ft - f("feature_term")).abs() < 1e-4, "{id}: features.csv reproduces the feature term");
        }
        match expr.get(id) {
            Some(&cage) => {
                assert_eq!(r[col("in_expression")], "true");
                let y_file = (cage + 1.0).log10();
                assert!((y_file - y).abs() < 1e-3, "{id}: log10(CAGE+1) = {y_file}, y = {y}");
                observed.push(y_file);
                noise_free.push(y - f("noise"));
            }
            None => assert_eq!(r[col("in_expression")], "false", "{id} missing from expression.csv"),
        }
    }
    let r = seq2exp_simulate::expression::correlation(&observed, &noise_free);
    assert!(r > 0.9, "correlation of log10(CAGE+1) with the noise-free part: {r}");
    // Decoys never appear in the truth.
    let causal_spans: std::collections::HashSet<(String, u64)> = s
        .genome
        .elements
        .iter()
        .filter(|e| e.kind == ElementKind::Causal)
        .map(|e| (s.genome.chroms[e.chrom].name.clone(), e.start))
        .collect();
    for row in read_tsv(&s.dir.join("truth.bed"), '\t') {
        assert!(causal_spans.contains(&(row[0].clone(), row[1].parse().unwrap())), "{row:?}");
    }
}

#[test]
fn gtf_tss_names_and_roles() {
    let s = sim();
    let g = &s.genome;
    let rows: Vec<Vec<String>> = read_tsv(&s.dir.join("genes.gtf"), '\t');
    let mut tss_from_tx: HashMap<String, u64> = HashMap::new();
    let mut gene_rows = 0;
    for r in &rows {
        assert!(!r[0].starts_with("chr"), "GTF uses bare chromosome names: {}", r[0]);
        let id = r[8].split('"').nth(1).unwrap().to_string();
        assert!(id.contains('.'), "versioned gene_id");
        let (start, end): (u64, u64) = (r[3].parse().unwrap(), r[4].parse().unwrap());
        match r[2].as_str() {
            "gene" => gene_rows += 1,
            "transcript" => {
                let tss = if r[6] == "+" { start - 1 } else { end - 1 };
                let e = tss_from_tx.entry(id).or_insert(tss);
                *e = if r[6] == "+" { (*e).min(tss) } else { (*e).max(tss) };
            }
            _ => {}
        }
    }
    let without_row = g.genes.iter().filter(|x| !x.has_gene_row).count();
    assert!(without_row >= 1);
    assert_eq!(gene_rows, g.genes.len() - without_row);
    for gene in &g.genes {
        assert_eq!(tss_from_tx[&gene.id], gene.tss, "{}", gene.id);
        assert!(matches!(gene.strand, Strand::Plus | Strand::Minus));
    }
    assert!(g.genes.iter().any(|x| x.gene_type == GeneType::LncRna));
    let missing = g.genes.iter().filter(|x| !x.in_expression).count();
    assert!(missing >= 2);
}

#[test]
fn peaks_and_blacklist_are_where_they_should_be() {
    let s = sim();
    let g = &s.genome;
    let peaks = read_tsv(&s.dir.join("dnase_peaks.narrowPeak"), '\t');
    assert!(peaks.iter().all(|p| p.len() == 10));
    let overlaps = |chrom: &str, a: u64, b: u64, kind: fn(ElementKind) -> bool| {
        g.elements.iter().any(|e| kind(e.kind) && g.chroms[e.chrom].name == chrom && e.start < b && e.end > a)
    };
    for p in &peaks {
        let (a, b): (u64, u64) = (p[1].parse().unwrap(), p[2].parse().unwrap());
        assert!(!overlaps(&p[0], a, b, |k| k == ElementKind::MotifDecoy), "peak on a closed element: {p:?}");
    }
    let called = g.elements.iter().filter(|e| e.kind.accessible()).filter(|e| {
        let name = &g.chroms[e.chrom].name;
        peaks
            .iter()
            .any(|p| &p[0] == name && p[1].parse::<u64>().unwrap() < e.end && p[2].parse::<u64>().unwrap() > e.start)
    });
    assert!(called.count() > 0);
    for row in read_tsv(&s.dir.join("blacklist.bed"), '\t') {
        let (a, b): (u64, u64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        assert!(!overlaps(&row[0], a.saturating_sub(1000), b + 1000, |_| true), "blacklist near an element: {row:?}");
        for gene in g.genes.iter().filter(|x| g.chroms[x.chrom].name == row[0]) {
            assert!(gene.tss + 1000 < a || gene.tss >= b + 1000, "blacklist on a promoter");
        }
    }
}

#[test]
fn short_motif_is_scrubbed_everywhere_else() {
    // An 8-mer occurs by chance every ~33 kb per strand, so this only passes if stray copies are removed.
    let cfg = SimConfig { motif_length: 8, ..SimConfig::small(99) };
    let g = generate(&cfg).unwrap();
    let planted: usize = g.elements.iter().map(|e| e.motif_sites.len()).sum();
    let found: usize = g.chroms.iter().map(|c| motif_occurrences(&c.seq, &g.motif).len()).sum();
    assert_eq!(planted, found);
    for e in g.elements.iter().filter(|e| e.kind == ElementKind::OpenDecoy) {
        let seq = &g.chroms[e.chrom].seq[e.start as usize..e.end as usize];
        assert!(motif_occurrences(seq, &g.motif).is_empty());
    }
}

#[test]
fn truth_contributions_follow_the_documented_formula() {
    // contribution = β · h · r · C(bin(mid), bin(TSS)) / depth with r inside the strength range.
    let s = sim();
    let g = &s.genome;
    let cfg = &g.config;
    let heights: HashMap<(String, u64), f64> = read_tsv(&s.dir.join("elements.bed"), '\t')
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].parse().unwrap()), r[6].parse().unwrap()))
        .collect();
    let rows = read_tsv(&s.dir.join("truth.bed"), '\t');
    assert!(!rows.is_empty());
    for r in rows {
        let (start, end): (u64, u64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let c = g.chroms.iter().position(|c| c.name == r[0]).unwrap();
        let gene = g.genes.iter().find(|x| x.stripped_id() == r[3]).unwrap();
        let bin = |p: u64| (p / cfg.hic_bin_size) as u32;
        let contact = g.expected_contact(c, bin((start + end) / 2), bin(gene.tss)) / cfg.hic_depth;
        let h = heights[&(r[0].clone(), start)];
        let strength = r[6].parse::<f64>().unwrap() / (cfg.causal_coef * h * contact);
        assert!(strength >= cfg.strength.0 - 1e-6 && strength <= cfg.strength.1 + 1e-6, "{r:?}: r = {strength}");
        assert!((start + end) / 2 <= gene.tss + cfg.effect_range && (start + end) / 2 + cfg.effect_range >= gene.tss);
    }
}

#[test]
fn gtf_parses_with_noodles() {
    use noodles::gff::feature::record_buf::attributes::field::Value;
    let s = sim();
    let file = std::fs::File::open(s.dir.join("genes.gtf")).unwrap();
    let mut reader = noodles::gtf::io::Reader::new(std::io::BufReader::new(file));
    let records: Vec<_> = reader.record_bufs().collect::<Result<_, _>>().unwrap();
    let data_lines = read_tsv(&s.dir.join("genes.gtf"), '\t').len();
    assert_eq!(records.len(), data_lines);
    let canonical = records.iter().find(|r| {
        r.ty() == "transcript" && matches!(r.attributes().get(b"tag"), Some(Value::Array(t)) if t.len() == 2)
    });
    assert!(canonical.is_some(), "repeated tag attributes parse as arrays");
    for r in &records {
        assert!(matches!(r.attributes().get(b"gene_id"), Some(Value::String(_))));
        assert!(matches!(r.attributes().get(b"gene_type"), Some(Value::String(_))));
    }
}
