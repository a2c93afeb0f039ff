//! `kuberack`: the headless player of KubeRack patches.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kuberack_cli::cli::Cli::parse();
    match kuberack_cli::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kuberack: error: {e}");
            ExitCode::FAILURE
        }
    }
}
