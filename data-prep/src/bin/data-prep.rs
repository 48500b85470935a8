//! `data-prep`: build, simulate and inspect seq2exp window stores. All logic lives in the library.

fn main() -> std::process::ExitCode {
    seq2exp_cli_util::main(seq2exp_data_prep::cli::run)
}
