//! Carrying out a parsed command line.

use crate::cli::{Cli, Command, ImportArgs, PlayArgs};
use crate::error::Result;
use crate::export::run_export;
use crate::import::{run_import, Source};
use crate::live::SyncOptions;
use crate::models::{describe_all, describe_all_json};
use crate::patch::pack;
use crate::play::{play, PlayOptions};

/// Runs a command; output goes to stdout, warnings to stderr.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Play(args) => run_play(args),
        Command::Models { json } => {
            if json {
                println!("{}", describe_all_json());
            } else {
                print!("{}", describe_all());
            }
            Ok(())
        }
        Command::Pack { input, output } => {
            let patch = pack(&input, &output)?;
            for w in &patch.warnings {
                eprintln!("kuberack: warning: {w}");
            }
            println!(
                "wrote {} ({} modules, {} cables)",
                output.display(),
                patch.modules.len(),
                patch.cables.len()
            );
            Ok(())
        }
        Command::Export {
            patch,
            output,
            namespace,
        } => run_export(&patch, output.as_ref(), &namespace),
        Command::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> Result<()> {
    let source = match args.from_file {
        Some(file) => Source::File(file),
        None => Source::Cluster(args.kubeconfig),
    };
    let options = kuberack_sync::import::ImportOptions {
        namespace: args.namespace,
        selector: args.selector,
        group_by: args.group_by,
        context: args.context,
    };
    run_import(&source, &options, &args.output)
}

fn run_play(args: PlayArgs) -> Result<()> {
    let options = PlayOptions {
        patch: args.patch,
        seconds: args.seconds,
        sample_rate: args.sample_rate,
        seed: args.seed,
        wav: args.wav,
        records: args.record,
        events: args.events,
        progress: !args.no_progress,
        sync: args.sync.then_some(SyncOptions {
            context: args.context,
            namespace: args.namespace,
            mirror_only: args.mirror_only,
            selector: args.selector.clone(),
            record_cluster: args.record_cluster,
        }),
        replay: args.replay,
    };
    let summary = play(&options, &mut |w| eprintln!("kuberack: warning: {w}"))?;
    print!("{summary}");
    Ok(())
}
