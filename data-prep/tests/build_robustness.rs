//! Acceptance: inputs that used to build silently wrong, panic, or leave files behind. Each case makes
//! its own bad input in a temporary directory and checks the failure contract of `Case::failed`: an
//! exit code, one last `error:` line naming the file and the place, no panic text, and nothing left in
//! the output directory. Non-finite input values are refused (the documented policy), never zeroed.

mod build_common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use build_common::*;
use seq2exp_simulate::{bigwig, generate, SimConfig};
use seq2exp_store::StoreReader;

/// A .fai for `fasta` (LF or CRLF lines), as `samtools faidx` writes it.
fn fai_of(fasta: &[u8]) -> String {
    let mut out = String::new();
    let mut pos = 0usize;
    let lines: Vec<&[u8]> = fasta.split_inclusive(|&b| b == b'\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let header = lines[i];
        pos += header.len();
        let name = String::from_utf8_lossy(&header[1..]).split_whitespace().next().unwrap().to_string();
        let (offset, mut len, mut first) = (pos, 0usize, None);
        i += 1;
        while i < lines.len() && !lines[i].starts_with(b">") {
            let bases = lines[i].iter().filter(|b| !b.is_ascii_whitespace()).count();
            first.get_or_insert((bases, lines[i].len()));
            len += bases;
            pos += lines[i].len();
            i += 1;
        }
        let (bases, width) = first.unwrap();
        out.push_str(&format!("{name}\t{len}\t{offset}\t{bases}\t{width}\n"));
    }
    out
}

fn strip(id: &str) -> &str {
    id.split('.').next().unwrap()
}

#[test]
fn fasta_edited_after_indexing_is_refused() {
    let c = Case::new();
    let fa = c.read("genome.fa");
    // Delete one sequence line in the middle of chr2: the .fai is now stale for chr2 and after.
    let at = fa.find(">chr2").unwrap();
    let line_start = at + fa[at..].find('\n').unwrap() + 1 + 61 * 100;
    let edited = format!("{}{}", &fa[..line_start], &fa[line_start + 61..]);
    assert_eq!(fa[line_start..line_start + 61].chars().last(), Some('\n'), "the simulator writes 60-base lines");
    c.write("genome.fa", &edited);
    let line = c.fails(&c.args(), &c.p("genome.fa.fai"), &["chromosome chr2", "stale", "rerun `samtools faidx"]);
    assert!(line.contains(&format!("does not match {}", c.p("genome.fa").display())), "{line}");
}

#[test]
fn crlf_fasta_with_an_lf_index_is_refused() {
    let c = Case::new();
    c.write("genome.fa", &c.read("genome.fa").replace('\n', "\r\n"));
    c.fails(&c.args(), &c.p("genome.fa.fai"), &["chromosome chr1", "line endings", "samtools faidx"]);
}

/// Not an error: a CRLF FASTA with its own (CRLF) index builds the same DNA as the LF file.
#[test]
fn crlf_fasta_with_its_own_index_builds_the_same_dna() {
    let lf = Case::new();
    data_prep_ok(lf.args());
    let crlf = Case::new();
    let text = crlf.read("genome.fa").replace('\n', "\r\n");
    crlf.write("genome.fa", &text);
    crlf.write("genome.fa.fai", &fai_of(text.as_bytes()));
    data_prep_ok(crlf.args());
    let (a, b) = (StoreReader::open(lf.out()).unwrap(), StoreReader::open(crlf.out()).unwrap());
    let spec = a.signal_spec(&["dnase"]).unwrap();
    assert_eq!(a.len(), b.len());
    for i in 0..a.len() {
        assert_eq!(a.read(i, &spec).unwrap().dna, b.read(i, &spec).unwrap().dna, "gene {}", a.genes()[i].id);
    }
}

#[test]
fn fai_length_that_disagrees_is_reported_against_the_index() {
    let c = Case::new();
    let fai: String = c
        .read("genome.fa.fai")
        .lines()
        .map(|l| {
            let mut cols: Vec<String> = l.split('\t').map(str::to_string).collect();
            if cols[0] == "chr2" {
                cols[1] = (cols[1].parse::<u64>().unwrap() - 1).to_string();
            }
            cols.join("\t") + "\n"
        })
        .collect();
    c.write("genome.fa.fai", &fai);
    let line = c.fails(&c.args(), &c.p("genome.fa.fai"), &["chromosome chr2", "goes on", "samtools faidx"]);
    assert!(!line.contains(".bw"), "the index, not a bigWig, is at fault: {line}");
}

#[test]
fn corrupt_bigwig_data_block_is_an_error_not_a_panic() {
    let c = Case::new();
    let mut bytes = std::fs::read(c.p("dnase.bw")).unwrap();
    let data = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    // The data section: a record count (8 bytes), then chr1's first zlib block; break its header.
    bytes[data + 8..data + 24].fill(0xff);
    std::fs::write(c.p("dnase.bw"), &bytes).unwrap();
    c.fails(&c.args(), &c.p("dnase.bw"), &["chromosome chr1, position ", "corrupt bigWig data block"]);
}

#[test]
fn infinite_bigwig_value_is_refused() {
    let c = Case::new();
    let mut genome = generate(&SimConfig::small(SEED)).unwrap();
    let run = &mut genome.chroms[1].dnase.runs[3];
    run.value = f32::INFINITY;
    let (start, end) = (run.start, run.end);
    bigwig::write(&genome, bigwig::Which::Dnase, &c.p("dnase.bw")).unwrap();
    c.fails(
        &c.args(),
        &c.p("dnase.bw"),
        &[
            &format!("chromosome chr2, position {start}"),
            &format!("value inf over [{start}, {end})"),
            "not a finite number",
        ],
    );
}

/// Replaces field `col` of 1-based line `n` of a comma-separated file; returns the line's first field.
fn set_field(c: &Case, name: &str, n: usize, col: usize, value: &str) -> String {
    let mut lines: Vec<String> = c.read(name).lines().map(str::to_string).collect();
    let mut cols: Vec<String> = lines[n - 1].split(',').map(str::to_string).collect();
    cols[col] = value.into();
    lines[n - 1] = cols.join(",");
    c.write(name, &(lines.join("\n") + "\n"));
    cols[0].clone()
}

#[test]
fn infinite_expression_value_is_refused() {
    let c = Case::new();
    let id = set_field(&c, "expression.csv", 3, 1, "inf");
    c.fails(
        &c.args(),
        &c.p("expression.csv"),
        &["line 3", &format!("gene {}", strip(&id)), "'inf'", VALUE_COL, "not a finite number"],
    );
}

#[test]
fn nan_feature_value_is_refused() {
    let c = Case::new();
    let id = set_field(&c, "features.csv", 4, 2, "NaN");
    c.fails(
        &c.args(),
        &c.p("features.csv"),
        &["line 4", &format!("gene {}", strip(&id)), "'NaN'", "not a finite number"],
    );
}

#[test]
fn window_over_the_hdf5_chunk_limit_names_the_flag_and_the_limit() {
    let c = Case::new();
    let mut args = c.args();
    set_arg(&mut args, "--window", "600000000");
    // 2 tracks × 4 bytes per base: the largest even window under 2^32 bytes.
    c.fails(
        &args,
        &c.out(),
        &["--window 600000000", "4 GiB chunk limit", "largest --window with 2 track(s) is 536870910"],
    );
}

#[test]
fn output_path_that_is_a_directory() {
    let c = Case::new();
    let mut args = c.args();
    set_arg(&mut args, "--out", &c.out_dir);
    c.fails(&args, &c.out_dir, &["is a directory"]);
}

/// A file size limit (`ulimit -f`) reached while the store is written: an error in plain words naming
/// the store, not a SIGXFSZ kill, and the temporary file is gone. The child keeps SIGXFSZ's default
/// action: the binary itself must ignore it.
#[test]
fn file_size_limit_reached_mid_build() {
    let c = Case::new();
    let mut cmd = Command::new(bin());
    cmd.args(c.args()).env("RUST_LOG", "warn");
    // SAFETY: only async-signal-safe setrlimit between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 60_000, rlim_max: 60_000 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line = c.failed(o, &c.out(), &["file size limit reached"]);
    assert!(!line.contains(".tmp-"), "the error should name the store, not its temporary file: {line}");
}

/// `kill -9` during a build leaves its temporary file (nothing can remove it then); the next build of
/// the same output removes it, and the store is complete.
#[test]
fn rerun_after_kill_removes_the_killed_builds_temporary_file() {
    let c = Case::new();
    let mut args = c.args();
    set_arg(&mut args, "--window", "1000000");
    let mut child = Command::new(bin())
        .args(&args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let tmp = loop {
        if let Some(name) = list_dir(&c.out_dir).into_iter().find(|n| n.starts_with(".store.h5.tmp-")) {
            break name;
        }
        assert!(child.try_wait().unwrap().is_none(), "the build finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        list_dir(&c.out_dir),
        std::slice::from_ref(&tmp),
        "the killed build's temporary file should still be there"
    );
    assert_eq!(tmp, format!(".store.h5.tmp-{}", child.id()));
    data_prep_ok(&args);
    assert_eq!(list_dir(&c.out_dir), ["store.h5"]);
    StoreReader::open(c.out()).unwrap();
}
