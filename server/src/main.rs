//! `kpimatch`: the service and its command-line tools. See `kpimatch --help`.

use kpimatch_server::cli::{Cli, Command};

// A request allocates many small, short-lived values (analysed terms, candidate maps,
// explanations) across the worker threads; glibc's malloc spent about a sixth of a cold
// match's CPU time in allocation and its arena locks (perf, benches/flamegraph.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
