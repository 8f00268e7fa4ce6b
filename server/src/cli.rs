//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// kpimatch: rank smart-city solutions against a city's weakest U4SSC KPIs.
#[derive(Debug, Parser)]
#[command(name = "kpimatch", version, about)]
pub struct Cli {
    /// The data bundle (KPI catalogue, vocabulary, profiles, seed data).
    #[arg(
        long,
        global = true,
        env = "KPIMATCH_BUNDLE",
        default_value = "index-data"
    )]
    pub bundle: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rank solutions for a city of the bundle.
    Match {
        /// City id.
        #[arg(long)]
        city: Option<String>,
        /// Needs text ("" for pure gap ranking; omitted: the city's stated needs).
        #[arg(long)]
        needs: Option<String>,
        /// Number of results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Ranking profile.
        #[arg(long)]
        profile: Option<String>,
        /// Diversity (0..1).
        #[arg(long, default_value_t = 0.0)]
        diversity: f32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a city's gap analysis.
    Gaps {
        /// City id.
        #[arg(long)]
        city: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate ranking profiles on judged topics (trec_eval measures) and compare them.
    Eval {
        /// Topics file (JSON Lines); default: the bundle's topics.
        #[arg(long)]
        topics: Option<PathBuf>,
        /// Qrels file (TREC format); default: the bundle's judgments.
        #[arg(long)]
        qrels: Option<PathBuf>,
        /// Profiles to evaluate (repeat); the first is the baseline of the comparison.
        #[arg(long = "profile")]
        profiles: Vec<String>,
        /// Which topics: all, train or heldout.
        #[arg(long, default_value = "all")]
        split: String,
        /// Measures, comma-separated trec_eval names.
        #[arg(
            long,
            default_value = "ndcg_cut_5,ndcg_cut_10,recip_rank,map,P_10,recall_10,success_1"
        )]
        metrics: String,
        /// Results per topic.
        #[arg(long, default_value_t = 100)]
        depth: usize,
        /// Write one TREC run file per profile into this directory.
        #[arg(long)]
        run_out: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Write an SVG chart of per-topic deltas (first profile vs each other) to this file.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Fit a ranking profile's weights on the training topics (coordinate ascent on a measure,
    /// k-fold cross-validated) and write it as data.
    Tune {
        /// Profile to start from (default: the built-in defaults).
        #[arg(long)]
        from: Option<String>,
        /// Name of the fitted profile.
        #[arg(long, default_value = "default")]
        name: String,
        /// Measure to maximise.
        #[arg(long, default_value = "ndcg_cut_10")]
        metric: String,
        /// Passes over the parameters.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Cross-validation folds over the training topics.
        #[arg(long, default_value_t = 4)]
        folds: usize,
        /// Where to write the profile (JSON); a Markdown report is written beside it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Data bundle tools.
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
}

/// `kpimatch bundle …`
#[derive(Debug, Subcommand)]
pub enum BundleAction {
    /// Validate the bundle and print its counts.
    Check,
    /// Rewrite manifest.json from the current data files.
    Manifest,
    /// Compare inferred KPI profiles with the declared ones (precision / recall).
    InferenceReport,
}
