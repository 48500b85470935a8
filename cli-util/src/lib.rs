//! What every seq2exp binary shares, so each `main` is a one-liner: parse arguments, run, and report any
//! failure — a bad argument as much as bad input — as one `error:` line with a non-zero exit code.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

/// Runs a CLI: logging to stderr, clap parsing, `run`, one-line errors (exit 2 for bad arguments, 1 for
/// failures).
pub fn main<C: Parser>(run: impl FnOnce(C) -> anyhow::Result<()>) -> ExitCode {
    init_logging();
    // Past a file size limit (`ulimit -f`) the kernel's default is to kill the process, leaving its
    // temporary files behind; ignored, the write fails with EFBIG and is reported like any other.
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    // Rust ignores SIGPIPE, so `data-prep inspect store.h5 | head` panicked on the closed pipe; a CLI
    // should end quietly there, as the kernel's default does.
    // SAFETY: restoring a signal's default disposition installs no handler code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let args = match C::try_parse() {
        Ok(args) => args,
        // --help, --version, and a bare command (help on stderr): clap's own output.
        Err(e) if !e.use_stderr() || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Err(e) => {
            eprintln!("error: {}", clap_one_line(&e));
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// `RUST_LOG`-controlled logging to stderr (default: info).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
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

/// clap's message up to its usage/tip paragraphs, on one line, without its `error: ` prefix.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let head: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    let line = head.join(" ");
    let line = line.strip_prefix("error:").map(str::trim).unwrap_or(&line).to_string();
    format!("{line} (see --help)")
}

/// A progress bar on stderr; `{msg}` shows what `set_message` says (e.g. the loss).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} ({{per_sec}}, eta {{eta}}) {{msg}}"
    ))
    .expect("valid template");
    bar.set_style(style);
    bar
}

/// The command line as typed (shell-quoted where needed), for provenance.
pub fn command_line() -> String {
    let plain = |a: &str| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    std::env::args()
        .map(|a| if plain(&a) { a } else { format!("'{}'", a.replace('\'', "'\\''")) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Peak resident set size of this process (VmHWM), 0 where /proc is unavailable.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Checks a CLI definition (clap's `debug_assert`) and that every example in each subcommand's
/// `after_help` (the command's own, for a command without subcommands) parses: the examples users copy
/// must not rot. For tests; panics naming the example.
pub fn assert_cli_and_examples<C: clap::CommandFactory>() {
    let cmd = C::command();
    cmd.clone().debug_assert();
    let name = cmd.get_name().to_string();
    let help_of = |c: &clap::Command| c.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let mut commands: Vec<(String, String)> =
        cmd.get_subcommands().map(|sub| (format!("{name} {}", sub.get_name()), help_of(sub))).collect();
    if commands.is_empty() {
        commands.push((name.clone(), help_of(&cmd)));
    }
    let mut seen = 0;
    for (what, help) in commands {
        let examples = examples(&help, &name);
        assert!(!examples.is_empty(), "`{what}` has no examples in its --help");
        for words in examples {
            seen += 1;
            if let Err(e) = C::command().try_get_matches_from(&words) {
                panic!("example `{}` does not parse: {e}", words.join(" "));
            }
        }
    }
    assert!(seen > 0, "{name}: no examples found");
}

/// The command lines of a help text that start with `bin` (indented, `\` continuations joined), split
/// into words as a POSIX shell would for the simple quoting examples use ('…' and "…").
fn examples(help: &str, bin: &str) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in help.lines() {
        let t = line.trim();
        if current.is_empty() && !t.starts_with(&format!("{bin} ")) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    lines.iter().map(|l| shell_words(l)).collect()
}

fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut in_word) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_join_continuations_and_honour_quotes() {
        let help = "Examples:\n  tool run --a 'x y' \\\n    --b \"1*2\"\n  tool info f\nNot an example.";
        assert_eq!(
            examples(help, "tool"),
            vec![vec!["tool", "run", "--a", "x y", "--b", "1*2"], vec!["tool", "info", "f"]]
        );
    }
}
