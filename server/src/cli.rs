//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// kpimatch: rank smart-city solutions against a city's weakest U4SSC KPIs.
#[derive(Debug, Parser)]
#[command(name = "kpimatch", version, about)]
pub struct Cli {
    /// The data bundle (KPI catalogue, vocabulary, profiles, seed data).
    #[arg(long, global = true, env = "KPIMATCH_BUNDLE", default_value = "index-data")]
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
