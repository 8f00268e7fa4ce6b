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

use crate::cli::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bundle { action } => bundle::run(&cli.bundle, action),
        Command::Serve(args) => serve::run(&cli.bundle, args),
        Command::EvalBeir { dir, run_out, profile } => beir::run(&cli.bundle, &dir, run_out, profile),
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
                eval::run(&cli.bundle, args)
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
