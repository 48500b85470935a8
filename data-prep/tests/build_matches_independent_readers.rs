//! Acceptance: a store built by the `data-prep build` binary from a small simulated genome holds what
//! the inputs say, checked along routes that do not share code with the writer:
//!
//! - (Rust) against the simulator's in-memory truth (`generate(&cfg)`): sequence, per-base tracks,
//!   genes, targets (log10(CAGE+1) of the CSV value), mRNA features (the CSV row), promoter activity,
//!   fold labels (the published rule written out here), blacklist, and N/0 padding off chromosome ends;
//! - (Python, when the venv exists) h5py on the store against pyfaidx on genome.fa, pyBigWig on the
//!   bigWigs, the blacklist BED, and a from-scratch recomputation of every gene's Hi-C row from the
//!   .mcool pixels with h5py (weights, TSS-row cis sum, max-neighbour diagonal, QC, ABC power law).
//!
//! Two stores are built from one genome: a 20 kb window (the usual case) and a 100 kb window, which
//! runs off both ends of the 206 kb simulated chromosomes.

mod build_common;

use std::path::PathBuf;
use std::sync::OnceLock;

use build_common::*;
use seq2exp_simulate::genome::{GeneType, Strand as SimStrand};
use seq2exp_simulate::{generate, SimConfig, SimGenome};
use seq2exp_store::{StoreReader, Strand, N_FOLDS};

const SHORT: u64 = 20_000;
const LONG: u64 = 100_000;

struct Built {
    sim: Sim,
    genome: SimGenome,
    /// (window, store path)
    stores: Vec<(u64, PathBuf)>,
}

fn config() -> SimConfig {
    // Per-bin Hi-C biases make the cooler's balancing weights differ from 1, so applying them matters.
    SimConfig { hic_bias_sd: 0.3, ..SimConfig::small(SEED) }
}

fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let cfg = config();
        let sim = simulate_into(&cfg);
        let genome = generate(&cfg).expect("generate");
        let stores = [SHORT, LONG]
            .into_iter()
            .map(|w| {
                let out = sim.tmp.path().join(format!("store-{w}.h5"));
                data_prep_ok(build_args(&sim.dir, &out, w));
                (w, out)
            })
            .collect();
        Built { sim, genome, stores }
    })
}

/// The store code of a simulated base, written out independently of `seq2exp_store::dna_code`.
fn code(b: u8) -> u8 {
    match b.to_ascii_uppercase() {
        b'A' => 0,
        b'C' => 1,
        b'G' => 2,
        b'T' => 3,
        _ => 4,
    }
}

fn chrom_index(g: &SimGenome, name: &str) -> usize {
    g.chroms.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no chromosome {name} in the truth"))
}

/// Truth gene by version-less id.
fn truth_gene<'a>(g: &'a SimGenome, id: &str) -> &'a seq2exp_simulate::genome::Gene {
    g.genes.iter().find(|t| t.stripped_id() == id).unwrap_or_else(|| panic!("store gene {id} is not in the truth"))
}

/// Expected track values over [start, start + len): the truth's runs, 0 where there is no run and off
/// the chromosome.
fn truth_track(track: &seq2exp_simulate::genome::SignalRuns, chrom_len: u64, start: i64, len: usize) -> Vec<f32> {
    let mut out = vec![0f32; len];
    let (a, b) = (start.max(0) as u64, ((start + len as i64).max(0) as u64).min(chrom_len));
    if a < b {
        let v = track.values(a, b);
        out[(a as i64 - start) as usize..(b as i64 - start) as usize].copy_from_slice(&v);
    }
    out
}

#[test]
fn genes_are_the_protein_coding_truth_genes_in_store_order() {
    let b = built();
    let mut want: Vec<_> = b.genome.genes.iter().filter(|g| g.gene_type == GeneType::ProteinCoding).collect();
    // chr1, chr2, chrX: config order is already the store's chromosome order for this genome.
    want.sort_by_key(|g| (g.chrom, g.tss));
    assert!(b.genome.genes.iter().any(|g| g.gene_type == GeneType::LncRna), "the genome should have a lncRNA to drop");
    for (w, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        assert_eq!(r.window(), *w as usize);
        assert_eq!(r.len(), want.len(), "{}: gene count", path.display());
        for (sg, tg) in r.genes().iter().zip(&want) {
            assert_eq!(sg.id, tg.stripped_id());
            assert_ne!(sg.id, tg.id, "the truth id should carry a version that the store strips");
            assert_eq!(sg.name, tg.name);
            assert_eq!(sg.chrom, b.genome.chroms[tg.chrom].name);
            assert_eq!(sg.tss, tg.tss, "gene {}", sg.id);
            let strand = match tg.strand {
                SimStrand::Plus => Strand::Plus,
                SimStrand::Minus => Strand::Minus,
            };
            assert_eq!(sg.strand, strand, "gene {}", sg.id);
        }
        assert!(want.iter().any(|g| !g.has_gene_row), "some gene should take its TSS from its transcripts");
        assert!(want.iter().any(|g| g.strand == SimStrand::Minus) && want.iter().any(|g| g.strand == SimStrand::Plus));
    }
}

#[test]
fn dna_equals_the_generated_sequence_with_n_padding() {
    let b = built();
    let (mut off_start, mut off_end, mut lower, mut n_inside) = (0usize, 0usize, 0usize, 0usize);
    for (w, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        let spec = r.signal_spec(&[]).unwrap();
        let l = *w as usize;
        for (i, g) in r.genes().iter().enumerate() {
            let chrom = &b.genome.chroms[chrom_index(&b.genome, &g.chrom)];
            let start = g.tss as i64 - (l / 2) as i64;
            let dna = r.read(i, &spec).unwrap().dna;
            assert_eq!(dna.len(), l);
            // Window edges and the TSS first, for a readable failure; then every base.
            for p in [0, 1, l / 2 - 1, l / 2, l / 2 + 1, l - 2, l - 1] {
                let x = start + p as i64;
                let want = if x < 0 || x >= chrom.length as i64 { 4 } else { code(chrom.seq[x as usize]) };
                assert_eq!(dna[p], want, "{}: gene {} window base {p} (genome {}:{x})", path.display(), g.id, g.chrom);
            }
            for (p, &got) in dna.iter().enumerate() {
                let x = start + p as i64;
                let want = if x < 0 || x >= chrom.length as i64 {
                    if x < 0 {
                        off_start += 1
                    } else {
                        off_end += 1
                    }
                    4
                } else {
                    let base = chrom.seq[x as usize];
                    lower += base.is_ascii_lowercase() as usize;
                    n_inside += base.eq_ignore_ascii_case(&b'N') as usize;
                    code(base)
                };
                assert_eq!(got, want, "{}: gene {} window base {p} (genome {}:{x})", path.display(), g.id, g.chrom);
            }
        }
    }
    // The checks above must have covered every kind of base they claim to.
    assert!(off_start > 0, "no window ran off a chromosome start: padding unchecked");
    assert!(off_end > 0, "no window ran off a chromosome end: padding unchecked");
    assert!(lower > 0, "no soft-masked base inside a window");
    assert!(n_inside > 0, "no N run inside a window");
}

#[test]
fn signals_equal_the_generated_tracks_with_missing_as_zero() {
    let b = built();
    let mut explicit_zero_bases = 0usize;
    for (w, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        let names: Vec<&str> = r.meta().tracks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["h3k27ac", "dnase"], "tracks in the order given on the command line");
        let spec = r.signal_spec(&["h3k27ac", "dnase"]).unwrap();
        let l = *w as usize;
        for (i, g) in r.genes().iter().enumerate() {
            let chrom = &b.genome.chroms[chrom_index(&b.genome, &g.chrom)];
            let start = g.tss as i64 - (l / 2) as i64;
            let e = r.read(i, &spec).unwrap();
            for (k, track) in [&chrom.h3k27ac, &chrom.dnase].into_iter().enumerate() {
                let want = truth_track(track, chrom.length, start, l);
                assert!(want.iter().any(|&v| v > 0.0), "gene {}: truth track {k} is empty in the window", g.id);
                for (p, &want) in want.iter().enumerate() {
                    let got = e.signals[p * 2 + k];
                    assert_eq!(
                        got,
                        want,
                        "{}: gene {} track {} base {p} (genome {}:{})",
                        path.display(),
                        g.id,
                        names[k],
                        g.chrom,
                        start + p as i64
                    );
                }
            }
            for &(a, z) in &chrom.explicit_zero {
                let (a, z) = ((a as i64).max(start), (z as i64).min(start + l as i64));
                explicit_zero_bases += (z - a).max(0) as usize;
            }
        }
    }
    // Explicitly written 0.0 intervals and absent data must both read as 0; make sure both occurred.
    assert!(explicit_zero_bases > 0, "no explicit-zero stretch inside a window: that case is unchecked");
}

#[test]
fn targets_are_log10_of_the_expression_csv_and_features_the_csv_row() {
    let b = built();
    let (eh, erows) = read_csv(&b.sim.dir.join("expression.csv"));
    let id_col = eh.iter().position(|h| h == "ENSID").unwrap();
    let val_col = eh.iter().position(|h| h == VALUE_COL).unwrap();
    let (fh, frows) = read_csv(&b.sim.dir.join("features.csv"));
    let fid = fh.iter().position(|h| h == "gene_id").unwrap();
    let fcols: Vec<usize> =
        seq2exp_store::FEATURE_NAMES[..8].iter().map(|n| fh.iter().position(|h| h == n).unwrap()).collect();
    let total = |pick: fn(&seq2exp_simulate::genome::Chromosome) -> &seq2exp_simulate::genome::SignalRuns| -> f64 {
        b.genome
            .chroms
            .iter()
            .flat_map(|c| pick(c).runs.iter())
            .map(|r| r.value as f64 * (r.end - r.start) as f64)
            .sum()
    };
    let (total_h3, total_dn) = (total(|c| &c.h3k27ac), total(|c| &c.dnase));
    for (_, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        assert_eq!(r.meta().target_names, [format!("log10({VALUE_COL}+1)")]);
        let mut nan = 0;
        for (i, g) in r.genes().iter().enumerate() {
            let t = truth_gene(&b.genome, &g.id);
            let row = erows.iter().find(|row| row[id_col] == g.id);
            let got = r.targets(i)[0];
            match row {
                Some(row) => {
                    let csv: f64 = row[val_col].parse().unwrap();
                    assert!(t.in_expression);
                    assert!((csv - t.expr.cage).abs() < 1e-3, "CSV and truth disagree for {}", g.id);
                    assert_eq!(got, log10p1(csv), "target of {}", g.id);
                }
                None => {
                    assert!(!t.in_expression);
                    assert!(got.is_nan(), "gene {} has no expression but target {got}", g.id);
                    nan += 1;
                }
            }
            let f = r.features(i);
            let frow =
                frows.iter().find(|row| row[fid] == t.id).unwrap_or_else(|| panic!("{} not in features.csv", t.id));
            for (k, &c) in fcols.iter().enumerate() {
                let want = frow[c].parse::<f64>().unwrap() as f32;
                assert_eq!(f[k], want, "gene {} feature {}", g.id, fh[c]);
                assert!((f[k] as f64 - t.features[k]).abs() < 1e-5, "feature {k} of {} vs truth", g.id);
            }
            // Promoter activity: sqrt(RPM_H3K27ac × RPM_DNase) over TSS ± 1 kb, from the truth's runs.
            let chrom = &b.genome.chroms[chrom_index(&b.genome, &g.chrom)];
            let prom = |tr: &seq2exp_simulate::genome::SignalRuns| -> f64 {
                truth_track(tr, chrom.length, g.tss as i64 - 1000, 2000).iter().map(|&v| v as f64).sum()
            };
            let want = ((prom(&chrom.h3k27ac) / total_h3 * 1e6) * (prom(&chrom.dnase) / total_dn * 1e6)).sqrt();
            assert!(want > 0.0);
            assert!(((f[8] as f64) - want).abs() <= 1e-5 * want, "promoter activity of {}: {} vs {want}", g.id, f[8]);
        }
        assert!(nan >= 1, "the simulator leaves protein-coding genes out of expression.csv: none seen");
    }
}

#[test]
fn fold_labels_follow_the_published_rule() {
    let b = built();
    for (_, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        for (i, g) in r.genes().iter().enumerate() {
            for fold in 1..=N_FOLDS {
                assert_eq!(
                    r.split(i, fold) as u8,
                    expected_split(&g.chrom, fold),
                    "gene {} on {} fold {fold}",
                    g.id,
                    g.chrom
                );
            }
        }
        // The rule is not trivial on this genome: chr1 is tested in fold 12, chrX in fold 11, chr2 in fold 1.
        let on = |c: &str| r.genes().iter().position(|g| g.chrom == c).unwrap();
        assert_eq!(r.split(on("chr1"), 12) as u8, 2);
        assert_eq!(r.split(on("chrX"), 11) as u8, 2);
        assert_eq!(r.split(on("chr2"), 1) as u8, 2);
        assert_eq!(r.split(on("chr1"), 1) as u8, 1);
    }
}

#[test]
fn blacklist_masks_equal_the_generated_blacklist() {
    let b = built();
    let mut covered = 0usize;
    for (w, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        let l = *w as usize;
        for (i, g) in r.genes().iter().enumerate() {
            let chrom = &b.genome.chroms[chrom_index(&b.genome, &g.chrom)];
            let start = g.tss as i64 - (l / 2) as i64;
            let want: Vec<u8> = (0..l as i64)
                .map(|p| chrom.blacklist.iter().any(|&(a, z)| (a as i64..z as i64).contains(&(start + p))) as u8)
                .collect();
            covered += want.iter().filter(|&&m| m == 1).count();
            assert_eq!(r.blacklist_mask(i), want, "{}: gene {}", path.display(), g.id);
        }
    }
    assert!(covered > 0, "no blacklisted base falls in any window: the check is vacuous");
}

#[test]
fn hic_bins_off_the_chromosome_are_zero_and_inside_positive() {
    let b = built();
    let mut off = 0;
    for (w, path) in &b.stores {
        let r = StoreReader::open(path).unwrap();
        let bin = r.meta().hic_bin_size as i64;
        assert_eq!(bin, 5_000);
        assert_eq!(r.hic_bins(0).len() as u64, w.div_ceil(5_000) + 1);
        for (i, g) in r.genes().iter().enumerate() {
            let len = b.genome.chroms[chrom_index(&b.genome, &g.chrom)].length as i64;
            let first = (g.tss as i64 - (*w / 2) as i64).div_euclid(bin);
            for (j, &v) in r.hic_bins(i).iter().enumerate() {
                let gb = first + j as i64;
                if gb < 0 || gb >= (len + bin - 1) / bin {
                    off += 1;
                    assert_eq!(v, 0.0, "gene {} bin {j} (genome bin {gb}) is off the chromosome", g.id);
                } else {
                    // log10(contact + pseudocount + 1) > 0 unless the gene failed QC (checked in Python).
                    assert!(v > 0.0 && v.is_finite(), "gene {} bin {j}: {v}", g.id);
                }
            }
        }
    }
    assert!(off > 0, "no Hi-C bin off a chromosome: the check is vacuous");
}

/// Independent readers in Python: h5py for the store, pyfaidx for the FASTA, pyBigWig for the tracks,
/// h5py on the .mcool for Hi-C. Skips (with the reason) only when the venv is missing.
#[test]
fn python_readers_agree_with_the_store() {
    let py = match venv_python() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED python_readers_agree_with_the_store: {why}");
            return;
        }
    };
    let b = built();
    let script = b.sim.tmp.path().join("check_store.py");
    std::fs::write(&script, PY_CHECK).unwrap();
    for (w, path) in &b.stores {
        let o = std::process::Command::new(&py)
            .arg(&script)
            .arg(path)
            .arg(&b.sim.dir)
            .arg(w.to_string())
            .arg("5000")
            .output()
            .expect("run python");
        let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        println!("--- python check of {} ---\n{out}", path.display());
        assert!(o.status.success(), "python independent check failed for {} ({}):\n{out}", path.display(), o.status);
        assert!(out.contains("OK:"), "python check printed no summary:\n{out}");
    }
}

const PY_CHECK: &str = r##"
import math, os, random, shutil, sys, tempfile
import numpy as np
import h5py, pyBigWig, pyfaidx

store_path, sim_dir, want_window, want_bin = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
errors = []
def fail(msg):
    errors.append(msg)
def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)

f = h5py.File(store_path, "r")
# ---- attributes
if s(f.attrs["format"]) != "seq2exp-window-store":
    fail("format attribute is %r" % f.attrs["format"])
if int(f.attrs["schema_version"]) != 1:
    fail("schema_version is %r" % f.attrs["schema_version"])
L = int(f.attrs["window_length"])
if L != want_window:
    fail("window_length %d, built with --window %d" % (L, want_window))
BIN = int(f.attrs["hic_bin_size"])
if BIN != want_bin:
    fail("hic_bin_size %d, built from resolution %d" % (BIN, want_bin))
tracks = [s(t) for t in f.attrs["signal_names"]]
if sorted(tracks) != ["dnase", "h3k27ac"]:
    fail("signal_names %r" % tracks)

ids = list(f["genes/id"].asstr()[:])
chroms = list(f["genes/chrom"].asstr()[:])
tss = f["genes/tss"][:].astype(np.int64)
G = len(ids)
NB = -(-L // BIN) + 1
for name, shape, dtype in [("dna", (G, L), np.uint8), ("signals", (G, len(tracks), L), np.float32), ("hic", (G, NB), np.float32)]:
    if f[name].shape != shape or f[name].dtype != dtype:
        fail("%s has shape %r dtype %s, documented %r %s" % (name, f[name].shape, f[name].dtype, shape, np.dtype(dtype)))

# ---- independent readers. pyfaidx indexes its own copy of the FASTA (not the simulator's .fai).
tmp = tempfile.mkdtemp()
shutil.copy(os.path.join(sim_dir, "genome.fa"), tmp)
fa = pyfaidx.Fasta(os.path.join(tmp, "genome.fa"), as_raw=True)
bws = {t: pyBigWig.open(os.path.join(sim_dir, t + ".bw")) for t in tracks}
CODE = np.full(256, 4, dtype=np.uint8)
for i, c in enumerate("ACGT"):
    CODE[ord(c)] = i
    CODE[ord(c.lower())] = i

def fasta_window(chrom, start):
    n = len(fa[chrom])
    out = np.full(L, 4, dtype=np.uint8)
    a, b = max(start, 0), min(start + L, n)
    if a < b:
        seq = fa[chrom][a:b]
        out[a - start:b - start] = CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]
    return out

def bw_window(bw, chrom, start):
    out = np.zeros(L, dtype=np.float32)
    n = bw.chroms(chrom)
    if n is None:
        return out
    a, b = max(start, 0), min(start + L, n)
    if a < b:
        v = np.array(bw.values(chrom, a, b), dtype=np.float64)
        v[np.isnan(v)] = 0.0
        out[a - start:b - start] = v.astype(np.float32)
    return out

def bw_base(bw, chrom, x):
    n = bw.chroms(chrom)
    if n is None or x < 0 or x >= n:
        return 0.0
    v = bw.values(chrom, x, x + 1)[0]
    return 0.0 if math.isnan(v) else float(np.float32(v))

# ---- Hi-C recomputed from the .mcool pixels with h5py.
m = h5py.File(os.path.join(sim_dir, "contacts.mcool"), "r")["resolutions/%d" % BIN]
if int(m.attrs["bin-size"]) != BIN:
    fail("mcool bin-size %r" % m.attrs["bin-size"])
cnames = [s(x) for x in m["chroms/name"][:]]
coff = m["indexes/chrom_offset"][:].astype(np.int64)
b1 = m["pixels/bin1_id"][:].astype(np.int64)
b2 = m["pixels/bin2_id"][:].astype(np.int64)
cnt = m["pixels/count"][:].astype(np.float64)
if "weight" in m["bins"]:
    w = m["bins/weight"][:].astype(np.float64)
    divisive = bool(m["bins/weight"].attrs.get("divisive_weights", False))
    bal = cnt / (w[b1] * w[b2]) if divisive else cnt * w[b1] * w[b2]
    weights_trivial = bool(np.all(w == 1.0))
else:
    bal = cnt
    weights_trivial = True
bal = np.where(np.isfinite(bal), bal, 0.0)

GAMMA = 0.87
def pl(d):
    return math.exp(-4.80 + 11.63 * GAMMA - GAMMA * math.log(max(d, 5000.0) + 1.0))

def canon(c):
    b = c[3:] if c.startswith("chr") else c
    return "chr" + b

def hic_row(chrom, t_local, start):
    ci = [canon(c) for c in cnames].index(chrom)
    o, nb = int(coff[ci]), int(coff[ci + 1] - coff[ci])
    T = o + t_local
    sel = ((b1 == T) | (b2 == T)) & (b1 >= o) & (b1 < o + nb) & (b2 >= o) & (b2 < o + nb)
    total = float(bal[sel].sum())           # the TSS row's cis sum, both triangles, diagonal once
    partner = np.where(b1[sel] == T, b2[sel], b1[sel])
    contact = dict(zip(partner.tolist(), bal[sel].tolist()))
    first = start // BIN                     # floor, also for negative starts
    tidx = t_local - first
    c = np.zeros(NB)
    for j in range(NB):
        b = first + j
        if 0 <= b < nb and total > 0:
            c[j] = contact.get(o + b, 0.0) / total
    left = c[tidx - 1] if tidx >= 1 else 0.0
    right = c[tidx + 1] if tidx + 1 < NB else 0.0
    c[tidx] = max(left, right)
    if c[tidx] < 0.01:
        return np.zeros(NB), True
    cap = pl(1e6)
    out = np.array([math.log10(c[j] + min(pl(abs(j - tidx) * BIN), cap) + 1.0) for j in range(NB)])
    for j in range(NB):
        if not (0 <= first + j < nb):
            out[j] = 0.0
    return out, False

rng = random.Random(12345)
checked_pos = checked_bins = off_chrom = qc_zero = 0
max_hic_diff = 0.0
for g in range(G):
    chrom, start = chroms[g], int(tss[g]) - L // 2
    dna = f["dna"][g]
    sig = f["signals"][g]
    hic = f["hic"][g]
    # full windows, vectorised
    want = fasta_window(chrom, start)
    bad = np.nonzero(dna != want)[0]
    if len(bad):
        fail("gene %s: DNA differs from pyfaidx at %d bases, first at window base %d (store %d, fasta %d)" % (ids[g], len(bad), bad[0], dna[bad[0]], want[bad[0]]))
    for k, t in enumerate(tracks):
        wv = bw_window(bws[t], chrom, start)
        bad = np.nonzero(sig[k] != wv)[0]
        if len(bad):
            fail("gene %s: %s differs from pyBigWig at %d bases, first at window base %d (store %r, bigWig %r)" % (ids[g], t, len(bad), bad[0], sig[k][bad[0]], wv[bad[0]]))
    # Hi-C: recomputed row and the documented expansion to bases
    row, qc = hic_row(chrom, int(tss[g]) // BIN, start)
    qc_zero += qc
    d = float(np.max(np.abs(row - hic.astype(np.float64))))
    max_hic_diff = max(max_hic_diff, d)
    if d > 1e-5:
        fail("gene %s: Hi-C row differs from the recomputation by %.3g:\n  store %s\n  recomputed %s" % (ids[g], d, np.round(hic, 6).tolist(), np.round(row, 6).tolist()))
    expanded = hic[(start + np.arange(L)) // BIN - start // BIN]
    # ~200 random bases per gene plus the window edges and the TSS, each read on its own
    n = len(fa[chrom])
    for p in sorted(set([0, 1, L // 2 - 1, L // 2, L // 2 + 1, L - 2, L - 1] + rng.sample(range(L), 200))):
        x = start + p
        checked_pos += 1
        if 0 <= x < n:
            wc = CODE[ord(fa[chrom][x:x + 1])]
        else:
            wc = 4
            off_chrom += 1
        if dna[p] != wc:
            fail("gene %s base %d (%s:%d): store %d, pyfaidx %d" % (ids[g], p, chrom, x, int(dna[p]), int(wc)))
        for k, t in enumerate(tracks):
            v = bw_base(bws[t], chrom, x)
            if float(sig[k][p]) != v:
                fail("gene %s base %d (%s:%d) %s: store %r, pyBigWig %r" % (ids[g], p, chrom, x, t, float(sig[k][p]), v))
        # value at base p is the recomputed value of genome bin floor(x / BIN)
        j = x // BIN - start // BIN
        if abs(float(expanded[p]) - row[j]) > 1e-5:
            fail("gene %s base %d: expanded Hi-C %r, recomputed bin %d %r" % (ids[g], p, float(expanded[p]), x // BIN, float(row[j])))
        checked_bins += 1

# ---- blacklist
bed = set()
with open(os.path.join(sim_dir, "blacklist.bed")) as fh:
    for line in fh:
        p = line.split()
        if p and not line.startswith(("#", "track", "browser")):
            bed.add((canon(p[0]), int(p[1]), int(p[2])))
stored = set(zip(f["blacklist/chrom"].asstr()[:], f["blacklist/start"][:].tolist(), f["blacklist/end"][:].tolist()))
if stored != bed or not bed:
    fail("blacklist: store has %r, blacklist.bed %r" % (sorted(stored), sorted(bed)))

if weights_trivial:
    fail("the .mcool's weights are all 1: the weighting step is not exercised")
if qc_zero == G:
    fail("every gene failed Hi-C QC: the row comparison is vacuous")
shutil.rmtree(tmp)
if errors:
    print("%d mismatch(es); first ones:" % len(errors))
    for e in errors[:20]:
        print("  " + e)
    sys.exit(1)
print("OK: %d genes, window %d, %d sampled bases (%d off-chromosome), %d Hi-C samples, max |hic diff| %.2e, %d genes zeroed by QC, %d blacklist intervals"
      % (G, L, checked_pos, off_chrom, checked_bins, max_hic_diff, qc_zero, len(bed)))
"##;
