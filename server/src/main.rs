//! `meridian-server`: parses flags and environment, then serves until SIGINT/SIGTERM.

use clap::Parser;
use meridian_server::config::Config;

fn main() -> std::process::ExitCode {
    let config = Config::parse();
    meridian_server::init_tracing(config.log_format);
    // Embedded migrations use `block_in_place`: a multi-thread runtime is required.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("meridian-server: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(meridian_server::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("meridian-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
