//! `trainer`: train, evaluate and export Seq2Exp models. All logic lives in the library.

fn main() -> std::process::ExitCode {
    seq2exp_cli_util::main(seq2exp_trainer::cli::run)
}
