fn main() -> std::process::ExitCode {
    seq2exp_cli_util::main(seq2exp_report::cli::run)
}
