//! One module per `data-prep` subcommand; the binary only parses and dispatches.

use clap::{Parser, Subcommand};

pub mod build;
pub mod inspect;
pub mod simulate;
pub mod bench;

#[derive(Debug, Parser)]
#[command(name = "data-prep", version, about = "Build, simulate and inspect seq2exp window stores")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a window store from FASTA, bigWigs, genes, Hi-C and tables.
    Build(build::BuildArgs),
    /// Write a small genome with planted regulatory elements, in real formats.
    Simulate(simulate::SimulateArgs),
    /// Print a store's schema, split counts, value ranges, or one gene's window.
    Inspect(inspect::InspectArgs),
    /// Measure store building speed and memory (genes/s, peak RSS) on simulated inputs, beside Python.
    Bench(bench::BenchArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(a) => build::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

/// `RUST_LOG`-controlled logging to stderr (default: info).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// An error and its chain of causes on one line, without repeating a cause already in the message.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out.replace('\n', " ")
}

/// The command line as typed, for provenance.
pub fn command_line() -> String {
    let plain = |a: &str| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    std::env::args().map(|a| if plain(&a) { a } else { format!("'{}'", a.replace('\'', "'\\''")) }).collect::<Vec<_>>().join(" ")
}

/// A progress bar on stderr (hidden when stderr is not a terminal, e.g. in CI logs).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} ({{per_sec}}, eta {{eta}})"
    ))
    .expect("valid template");
    bar.set_style(style);
    bar
}
