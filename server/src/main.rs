//! `kpimatch`: the service and its command-line tools. See `kpimatch --help`.

use kpimatch_server::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = <Cli as clap::Parser>::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        // Command-line tools end quietly when their output is closed (`kpimatch eval | head`),
        // as Unix tools do; the server keeps Rust's default of ignoring SIGPIPE.
        // SAFETY: restoring the default disposition of a signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match kpimatch_server::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
