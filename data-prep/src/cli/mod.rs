//! One module per `data-prep` subcommand; the binary only dispatches.
