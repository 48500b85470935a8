//! `data-prep`: build, simulate and inspect seq2exp window stores. All logic lives in the library.

use clap::Parser;
use seq2exp_data_prep::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    cli::init_logging();
    let args = Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("error: {}", cli::one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
