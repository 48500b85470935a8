//! `data-prep`: build, simulate and inspect seq2exp window stores. All logic lives in the library.

use clap::error::ErrorKind;
use clap::Parser;
use seq2exp_data_prep::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    cli::init_logging();
    let args = match Cli::try_parse() {
        Ok(args) => args,
        // --help, --version, and a bare `data-prep` (help on stderr): clap's own output.
        Err(e) if !e.use_stderr() || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Err(e) => {
            // A bad argument is bad input too: one line, like every other error.
            eprintln!("error: {}", clap_one_line(&e));
            return std::process::ExitCode::from(2);
        }
    };
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("error: {}", cli::one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// clap's message up to its usage/tip paragraphs, on one line, without its `error: ` prefix.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let head: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    let line = head.join(" ");
    let line = line.strip_prefix("error:").map(str::trim).unwrap_or(&line).to_string();
    format!("{line} (see --help)")
}
