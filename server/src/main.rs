//! `kpimatch`: the service and its command-line tools. See `kpimatch --help`.

fn main() -> std::process::ExitCode {
    let cli = <kpimatch_server::cli::Cli as clap::Parser>::parse();
    match kpimatch_server::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
