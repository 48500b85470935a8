//! `runtime`: libtorch-free Seq2Exp inference. All logic lives in the library.

fn main() -> std::process::ExitCode {
    seq2exp_cli_util::main(seq2exp_runtime::cli::run)
}
