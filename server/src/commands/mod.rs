//! One function per subcommand.

mod backup;
mod beir;
mod bundle;
mod eval;
mod import;
mod matching;
mod portfolio;
mod serve;

mod tune;

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let model = cli.model_dir();
    match cli.command {
        Command::Bundle { action } => bundle::run(&cli.bundle, model.as_deref(), action),
        Command::Serve(args) => serve::run(&cli.bundle, model, args),
        Command::EvalBeir {
            dir,
            run_out,
            profile,
            dense,
            fusion_weight,
            embeddings,
        } => {
            let dense = dense.then_some(beir::Dense {
                model: model.context("--dense needs the model (--model; not --no-model)")?,
                fusion_weight,
                embeddings,
            });
            beir::run(&cli.bundle, &dir, run_out, profile, dense)
        }
        Command::EvalPortfolio { size, diversity } => portfolio::run(&cli.bundle, size, diversity),
        Command::TrecEval {
            qrels,
            run,
            per_topic,
            complete,
            level,
            measures,
        } => eval::trec_eval(&qrels, &run, per_topic, complete, level, &measures),
        Command::Openapi => {
            println!("{}", crate::startup::openapi().to_pretty_json()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { kind, file, data } => import::run(&cli.bundle, kind, &file, data),
        Command::Backup { out, data } => backup::backup(&cli.bundle, &out, data),
        Command::Restore { from, data } => backup::restore(&cli.bundle, &from, data),
        Command::Match {
            data,
            city,
            needs,
            limit,
            profile,
            diversity,
            json,
        } => {
            let state = serve::offline_state(&cli.bundle, data)?;
            let engine = state.engine();
            matching::run_match(&engine, city, needs, limit, profile, diversity, json)
        }
        Command::Eval {
            from_feedback,
            drop_declared,
            leads,
            multilingual,
            data,
            topics,
            qrels,
            profiles,
            split,
            metrics,
            depth,
            run_out,
            json,
            svg,
        } => {
            let args = eval::EvalArgs {
                topics,
                qrels,
                profiles,
                split,
                metrics,
                depth,
                run_out,
                json,
                svg,
                drop_declared,
                leads,
                multilingual,
            };
            if from_feedback {
                eval::from_feedback(&cli.bundle, data, &args)
            } else {
                eval::run(&cli.bundle, model.as_deref(), args)
            }
        }
        Command::Tune {
            from,
            name,
            metric,
            rounds,
            folds,
            out,
        } => tune::run(&cli.bundle, from, name, &metric, rounds, folds, out),
        Command::Gaps { data, city, json } => {
            let state = serve::offline_state(&cli.bundle, data)?;
            let engine = state.engine();
            matching::run_gaps(&engine, &city, json)
        }
    }
}

/// The semantic stage for an offline command: the model in `model` with its embeddings in
/// memory, seeded from the bundle's. A missing model leaves ranking lexical, with one warning
/// on standard error.
pub(crate) fn offline_semantic(
    bundle: &kpimatch_engine::bundle::Bundle,
    model: Option<&std::path::Path>,
) -> Option<std::sync::Arc<kpimatch_engine::semantic::Semantic>> {
    let dir = model?;
    let seed = bundle.root.join(kpimatch_engine::semantic::BUNDLE_SEED);
    match kpimatch_engine::semantic::load(dir, None, &[&seed]) {
        Ok(s) => Some(std::sync::Arc::new(s)),
        Err(e) => {
            eprintln!("warning: semantic stage off, ranking is lexical: no usable model in {} ({e}); install it with scripts/model.sh", dir.display());
            None
        }
    }
}

/// Expands a data error into one line per problem.
pub fn report(e: kpimatch_engine::Error) -> anyhow::Error {
    match e {
        kpimatch_engine::Error::InvalidData { source_name, problems } => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::anyhow!("{} problem(s) in {source_name}:\n{}", problems.len(), lines.join("\n"))
        }
        other => other.into(),
    }
}
