//! `runtime vep` on the simulator's genome: SNV effects equal `predict` on a store rebuilt from the
//! edited FASTA (soft and hard models); indels on either side of the TSS give the ALT window the README
//! documents, built here independently from the edited haplotype; bad input fails with one clear error.

mod common;

use common::{ok, run_quiet};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use seq2exp_models::config::MaskMode;
use seq2exp_runtime::vep::edit::{build_alt, realign, Edit, RefWindow};
use seq2exp_runtime::{InputBatch, LoadOptions, Model};
use seq2exp_simulate::{simulate, SimConfig};
use seq2exp_store::{dna_code, StoreReader};

const W: usize = 4_000;

fn model(dir: &Path, mode: MaskMode) -> PathBuf {
    common::scaled_model(dir, mode, W, 11)
}

fn build(sim: &Path, fasta: &Path, out: &Path) -> PathBuf {
    common::sim_store(sim, fasta, out, W, true)
}

/// The FASTA as (name, upper-case sequence), in file order.
fn read_fasta(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if let Some(name) = line.strip_prefix('>') {
            out.push((name.split_whitespace().next().unwrap().to_string(), Vec::new()));
        } else {
            out.last_mut().unwrap().1.extend(line.trim().bytes().map(|b| b.to_ascii_uppercase()));
        }
    }
    out
}

fn write_fasta(path: &Path, seqs: &[(String, Vec<u8>)]) {
    let mut s = String::new();
    for (name, seq) in seqs {
        s.push_str(&format!(">{name}\n"));
        for chunk in seq.chunks(60) {
            s.push_str(std::str::from_utf8(chunk).unwrap());
            s.push('\n');
        }
    }
    std::fs::write(path, s).unwrap();
}

fn write_vcf(path: &Path, records: &[String]) {
    let mut s = String::from("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for r in records {
        s.push_str(r);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// vep.tsv rows keyed by (pos, alt, gene_id).
fn read_vep(path: &Path) -> HashMap<(String, String, String), HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let cols: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            let row: HashMap<String, String> =
                cols.iter().zip(l.split('\t')).map(|(c, v)| (c.to_string(), v.to_string())).collect();
            ((row["pos"].clone(), row["alt"].clone(), row["gene_id"].clone()), row)
        })
        .collect()
}

fn predict_gene(model: &Path, store: &Path, gene: usize) -> f32 {
    let m = Model::load(model, &LoadOptions { threads: Some(1), ..Default::default() }).unwrap();
    let r = StoreReader::open(store).unwrap();
    let names: Vec<&str> = m.info().signal_names.iter().map(String::as_str).collect();
    let ex = r.read(gene, &r.signal_spec(&names).unwrap()).unwrap();
    let b = InputBatch {
        batch: 1,
        window: W,
        dna: &ex.dna,
        signals: &ex.signals,
        features: &ex.features,
        blacklist: Some(&ex.blacklist),
    };
    m.predict(&b).unwrap().expression[0]
}

fn other(base: u8) -> u8 {
    match base {
        b'A' => b'G',
        b'C' => b'T',
        b'G' => b'A',
        _ => b'C',
    }
}

#[test]
fn snv_effects_equal_predict_on_a_store_rebuilt_from_the_edited_fasta() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    simulate(&SimConfig::small(5), &sim).unwrap();
    let store = build(&sim, &sim.join("genome.fa"), &d.join("store.h5"));
    let genome = read_fasta(&sim.join("genome.fa"));
    let reader = StoreReader::open(&store).unwrap();
    // Three SNVs in the windows of genes 0 and 5: upstream, in the promoter, downstream.
    let picks: Vec<(usize, i64)> = vec![(0, -1500), (0, 30), (5, 1200)];
    let mut records = Vec::new();
    let mut snvs = Vec::new();
    for &(g, offset) in &picks {
        let gene = &reader.genes()[g];
        let p = (gene.tss as i64 + offset) as usize;
        let seq = &genome.iter().find(|(n, _)| *n == gene.chrom).unwrap().1;
        let (r, a) = (seq[p], other(seq[p]));
        records.push(format!("{}\t{}\trs{g}_{offset}\t{}\t{}\t.\t.\t.", gene.chrom, p + 1, r as char, a as char));
        snvs.push((g, gene.chrom.clone(), p, a));
    }
    let vcf = d.join("snv.vcf");
    write_vcf(&vcf, &records);
    for mode in [MaskMode::Soft, MaskMode::Hard] {
        let m = model(d, mode);
        let out = d.join(format!("vep-{mode:?}"));
        ok(&run_quiet(
            &["vep", "--batch", "2"],
            &[("--model", &m), ("--store", &store), ("--vcf", &vcf), ("--out", &out)],
        ));
        let rows = read_vep(&out.join("vep.tsv"));
        assert_eq!(rows.len(), snvs.len(), "{mode:?}: one row per SNV (each lies in one gene window)");
        assert!(
            rows.values().any(|r| r["delta"].parse::<f32>().unwrap() != 0.0),
            "{mode:?}: no SNV changed the prediction"
        );
        for (k, (g, chrom, p, a)) in snvs.iter().enumerate() {
            let gene = &reader.genes()[*g];
            let row = &rows[&((p + 1).to_string(), (*a as char).to_string(), gene.id.clone())];
            let mut edited = genome.clone();
            edited.iter_mut().find(|(n, _)| n == chrom).unwrap().1[*p] = *a;
            let fa = d.join(format!("edited-{mode:?}-{k}.fa"));
            write_fasta(&fa, &edited);
            let rebuilt = build(&sim, &fa, &d.join(format!("edited-{mode:?}-{k}.h5")));
            let (want_alt, want_ref) = (predict_gene(&m, &rebuilt, *g), predict_gene(&m, &store, *g));
            let got = |c: &str| row[c].parse::<f32>().unwrap();
            assert!(
                (got("alt_prediction") - want_alt).abs() <= 1e-5,
                "{mode:?} SNV {k}: {} vs {want_alt}",
                got("alt_prediction")
            );
            assert!((got("ref_prediction") - want_ref).abs() <= 1e-5, "{mode:?} SNV {k}: REF");
            assert!((got("delta") - (want_alt - want_ref)).abs() <= 2e-5);
            let sign = if gene.strand.as_str() == "-" { -1 } else { 1 };
            assert_eq!(row["tss_distance"], (sign * (*p as i64 - gene.tss as i64)).to_string());
            assert_ne!(row["mask_ref"], "NA", "{mode:?}: the model has a mask");
        }
    }
}

/// The ALT window built from the edited haplotype, as documented: the TSS keeps the window centre, each
/// base's signals are those measured at its reference position (inserted bases: the base before the
/// insertion; bases from beyond the stored window: the nearest window edge).
fn by_haplotype(genome: &[u8], edit: &Edit, tss: i64, w: &RefWindow) -> (Vec<u8>, Vec<f32>) {
    // Haplotype bases with the reference position each stands for (inserted: the anchor).
    let mut hap: Vec<(u8, i64)> = (0..edit.start).map(|p| (genome[p as usize], p)).collect();
    hap.extend(edit.alt.iter().map(|&b| (b, edit.start - 1)));
    let after = edit.start + edit.ref_len as i64;
    hap.extend((after..genome.len() as i64).map(|p| (genome[p as usize], p)));
    let hap_tss = if edit.start > tss { tss } else { tss + edit.delta() };
    let l = w.dna.len() as i64;
    let first = hap_tss - l / 2;
    let mut dna = Vec::new();
    let mut signals = Vec::new();
    for i in first..first + l {
        let (b, p) = hap[i as usize];
        dna.push(dna_code(b));
        let at = (p - w.start).clamp(0, l - 1) as usize;
        signals.extend_from_slice(&w.signals[at * w.channels..(at + 1) * w.channels]);
    }
    (dna, signals)
}

#[test]
fn indels_on_either_side_of_the_tss_follow_the_documented_realignment() {
    // A 2,000-base genome, window 200 around a TSS at 1,000; 3 signal channels with distinct values.
    let genome: Vec<u8> = (0..2000).map(|i| b"ACGT"[(i * 7 + i / 3) % 4]).collect();
    let (tss, l) = (1000i64, 200usize);
    let ws = tss - l as i64 / 2;
    let dna: Vec<u8> = genome[ws as usize..ws as usize + l].iter().map(|&b| dna_code(b)).collect();
    let signals: Vec<f32> = (0..l * 3).map(|i| i as f32 * 0.5).collect();
    let blacklist = vec![0u8; l];
    let w = RefWindow { start: ws, dna: &dna, signals: &signals, channels: 3, blacklist: &blacklist };
    let flank = |a: i64, b: i64| Ok::<_, String>((a..b).map(|p| dna_code(genome[p as usize])).collect());
    for (name, pos, r, a) in [
        ("insertion downstream", 1040u64, "C", "CTTA"),
        ("deletion downstream", 1060, "ACGTA", "A"),
        ("insertion upstream", 950, "A", "AGG"),
        ("deletion upstream", 930, "ACGTAC", "A"),
        ("deletion at the window edge", 1095, "AAAAAA", "A"),
    ] {
        // Use the genome's own bases as REF (the records above only give lengths).
        let p0 = pos as usize - 1;
        let r = std::str::from_utf8(&genome[p0..p0 + r.len()]).unwrap().to_string();
        let a = format!("{}{}", &r[..1], &a[1..]);
        let edit = Edit::from_vcf(pos, &r, &a);
        let sources = realign(&edit, ws, l, tss).unwrap();
        let (mut d, mut s, mut b) = (Vec::new(), Vec::new(), Vec::new());
        build_alt(&sources, &edit, &w, flank, &mut d, &mut s, &mut b).unwrap();
        let (want_dna, want_signals) = by_haplotype(&genome, &edit, tss, &w);
        assert_eq!(d, want_dna, "{name}: DNA");
        assert_eq!(s, want_signals, "{name}: signals");
        assert_eq!(d.len(), l);
        // The TSS base stays at the window centre.
        assert_eq!(d[l / 2], dna_code(genome[tss as usize]), "{name}: TSS moved");
    }
}

#[test]
fn deletions_use_the_fasta_and_bad_input_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    simulate(&SimConfig::small(5), &sim).unwrap();
    let store = build(&sim, &sim.join("genome.fa"), &d.join("store.h5"));
    let genome = read_fasta(&sim.join("genome.fa"));
    let reader = StoreReader::open(&store).unwrap();
    let gene = &reader.genes()[1];
    let seq = &genome.iter().find(|(n, _)| *n == gene.chrom).unwrap().1;
    let m = model(d, MaskMode::Soft);
    // A deletion downstream of the TSS (pulls bases in past the window end), a REF mismatch, a
    // multi-allelic SNV and a symbolic allele.
    let del = gene.tss as usize + 600;
    let snv = gene.tss as usize - 300;
    let r_del = std::str::from_utf8(&seq[del..del + 4]).unwrap();
    let wrong = other(seq[snv + 10]) as char;
    let records = vec![
        format!("{}\t{}\tdel1\t{r_del}\t{}\t.\t.\t.", gene.chrom, del + 1, &r_del[..1]),
        format!("{}\t{}\tbad_ref\t{wrong}\tA\t.\t.\t.", gene.chrom, snv + 11),
        format!(
            "{}\t{}\tmulti\t{}\t{},{}\t.\t.\t.",
            gene.chrom,
            snv + 1,
            seq[snv] as char,
            other(seq[snv]) as char,
            other(other(seq[snv])) as char
        ),
        format!("{}\t{}\tsv\t{}\t<DEL>\t.\t.\t.", gene.chrom, snv + 1, seq[snv] as char),
    ];
    let vcf = d.join("mixed.vcf");
    write_vcf(&vcf, &records);

    // Without --fasta the deletion is counted, not scored.
    let out = d.join("no-fasta");
    ok(&run_quiet(&["vep"], &[("--model", &m), ("--store", &store), ("--vcf", &vcf), ("--out", &out)]));
    let warnings = std::fs::read_to_string(out.join("vep.warnings.tsv")).unwrap();
    for reason in ["needs_fasta", "ref_mismatch", "symbolic_allele"] {
        assert!(warnings.contains(reason), "warnings lack {reason}:\n{warnings}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("vep.summary.json")).unwrap()).unwrap();
    assert_eq!(summary["pairs"], 2, "the two ALTs of the multi-allelic record: {summary}");
    assert_eq!(summary["skipped"]["ref_mismatch"], 1);

    // With it, the deletion's ALT window is the haplotype's, and its prediction is the model's on it.
    let out = d.join("fasta");
    ok(&run_quiet(
        &["vep"],
        &[("--model", &m), ("--store", &store), ("--vcf", &vcf), ("--out", &out), ("--fasta", &sim.join("genome.fa"))],
    ));
    let rows = read_vep(&out.join("vep.tsv"));
    let row = &rows[&((del + 1).to_string(), r_del[..1].to_string(), gene.id.clone())];
    let model = Model::load(&m, &LoadOptions { threads: Some(1), ..Default::default() }).unwrap();
    let names: Vec<&str> = model.info().signal_names.iter().map(String::as_str).collect();
    let ex = reader.read(1, &reader.signal_spec(&names).unwrap()).unwrap();
    let ws = gene.window_start(W as u64);
    let w =
        RefWindow { start: ws, dna: &ex.dna, signals: &ex.signals, channels: names.len(), blacklist: &ex.blacklist };
    let edit = Edit::from_vcf(del as u64 + 1, r_del, &r_del[..1]);
    let (dna, signals) = by_haplotype(seq, &edit, gene.tss as i64, &w);
    let alt = model
        .predict(&InputBatch {
            batch: 1,
            window: W,
            dna: &dna,
            signals: &signals,
            features: &ex.features,
            blacklist: Some(&ex.blacklist),
        })
        .unwrap()
        .expression[0];
    let got: f32 = row["alt_prediction"].parse().unwrap();
    assert!((got - alt).abs() <= 1e-5, "deletion: vep {got}, by hand {alt}");

    // Bad input: one error line naming the file and place; no vep.tsv.
    let bad = |records: &[String], expect: &str, extra: &[&str]| {
        let vcf = d.join("bad.vcf");
        write_vcf(&vcf, records);
        let out = d.join("bad-out");
        let _ = std::fs::remove_dir_all(&out);
        let mut args = vec!["vep"];
        args.extend(extra);
        let o = run_quiet(&args, &[("--model", &m), ("--store", &store), ("--vcf", &vcf), ("--out", &out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(expect) && err.contains("bad.vcf"), "{expect}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one error line: {err}");
        assert!(!out.join("vep.tsv").exists());
    };
    // The same VCF bgzipped scores the same; two shards together are the whole job, in the same order.
    let gz = d.join("mixed.vcf.gz");
    let mut w = noodles::bgzf::io::Writer::new(std::fs::File::create(&gz).unwrap());
    std::io::Write::write_all(&mut w, &std::fs::read(&vcf).unwrap()).unwrap();
    w.finish().unwrap();
    let fa = sim.join("genome.fa");
    let run = |vcf: &Path, out: &Path, shard: Option<&str>| {
        let mut args = vec!["vep", "--allow-missing-chroms"];
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        ok(&run_quiet(
            &args,
            &[("--model", &m), ("--store", &store), ("--vcf", vcf), ("--out", out), ("--fasta", &fa)],
        ));
        std::fs::read_to_string(out.join("vep.tsv")).unwrap()
    };
    let whole = run(&gz, &d.join("gz"), None);
    assert_eq!(whole, std::fs::read_to_string(out.join("vep.tsv")).unwrap(), "bgzipped VCF");
    let (a, b) = (run(&vcf, &d.join("s1"), Some("1/2")), run(&vcf, &d.join("s2"), Some("2/2")));
    let body = |t: &str| t.lines().skip(1).map(String::from).collect::<Vec<_>>();
    assert_eq!([body(&a), body(&b)].concat(), body(&whole), "shards 1/2 + 2/2");
    assert_eq!(run(&gz, &d.join("gz"), None), whole, "a finished job reruns to the same file");

    bad(&[records[2].clone(), format!("{}\tnotanumber\t.\tA\tC\t.\t.\t.", gene.chrom)], "line 4", &[]);
    bad(&["chr9\t100\t.\tA\tC\t.\t.\t.".to_string()], "chr9", &[]);
}

/// `vep.parquet` read by pyarrow (an independent reader) holds exactly `vep.tsv`'s rows, typed, with
/// the mask columns null for a model without a mask.
#[test]
fn vep_parquet_holds_the_tsv_rows_typed_as_pyarrow_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    simulate(&SimConfig::small(7), &sim).unwrap();
    let store = build(&sim, &sim.join("genome.fa"), &d.join("store.h5"));
    let genome = read_fasta(&sim.join("genome.fa"));
    let reader = StoreReader::open(&store).unwrap();
    let mut records = Vec::new();
    for (g, offset) in [(0usize, -700i64), (1, 15), (2, 900), (3, -1800)] {
        let gene = &reader.genes()[g];
        let p = (gene.tss as i64 + offset) as usize;
        let base = genome.iter().find(|(n, _)| *n == gene.chrom).unwrap().1[p];
        records.push(format!("{}\t{}\t.\t{}\t{}\t.\t.\t.", gene.chrom, p + 1, base as char, other(base) as char));
    }
    let vcf = d.join("snv.vcf");
    write_vcf(&vcf, &records);
    let python = common::venv_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_vep_parquet.py");
    for (mode, nulls_per_row) in [(MaskMode::Soft, 0), (MaskMode::Nomask, 3)] {
        let m = model(d, mode);
        let out = d.join(format!("vep-{mode:?}"));
        ok(&run_quiet(&["vep"], &[("--model", &m), ("--store", &store), ("--vcf", &vcf), ("--out", &out)]));
        let rows = read_vep(&out.join("vep.tsv")).len();
        assert!(rows >= records.len(), "{mode:?}: every SNV lies in its gene's window");
        let o = std::process::Command::new(&python).arg(&script).arg(&out).output().unwrap();
        assert!(o.status.success(), "{mode:?}: {}", String::from_utf8_lossy(&o.stderr));
        let said = String::from_utf8_lossy(&o.stdout);
        assert_eq!(said.trim(), format!("rows {rows} nulls {}", rows * nulls_per_row), "{mode:?}");
    }
}
