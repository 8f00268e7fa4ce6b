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
    /// The sentence-embedding model of the semantic stage (installed by scripts/model.sh);
    /// when it is missing, ranking is lexical (one warning).
    #[arg(
        long,
        global = true,
        env = "KPIMATCH_MODEL",
        default_value = "models/all-MiniLM-L6-v2"
    )]
    pub model: PathBuf,
    /// Run without the semantic stage even when the model is installed.
    #[arg(long, global = true, env = "KPIMATCH_NO_MODEL")]
    pub no_model: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The model directory to load, unless `--no-model`.
    pub fn model_dir(&self) -> Option<PathBuf> {
        (!self.no_model).then(|| self.model.clone())
    }
}

/// Where the service keeps its data, shared by `serve`, `match`, `gaps` and `import`.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Directory of the database (created when missing).
    #[arg(long, env = "KPIMATCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Optional TOML config file (unknown keys are errors).
    #[arg(long, env = "KPIMATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Do not seed an empty data directory from the bundle.
    #[arg(long, env = "KPIMATCH_NO_SEED")]
    pub no_seed: bool,
    /// PostgreSQL as the source of truth (postgres://user:password@host:port/db); the data
    /// directory then holds only this replica's index.
    #[arg(long, env = "KPIMATCH_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Settings of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "KPIMATCH_BIND")]
    pub bind: Option<String>,
    /// Largest JSON body, bytes (default 1 MiB).
    #[arg(long, env = "KPIMATCH_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest bulk-import body, bytes (default 64 MiB).
    #[arg(long, env = "KPIMATCH_MAX_BULK_BYTES")]
    pub max_bulk_bytes: Option<usize>,
    /// Entries per cache (default 10 000).
    #[arg(long, env = "KPIMATCH_CACHE_ENTRIES")]
    pub cache_entries: Option<u64>,
    /// Ranking requests processed at once (default: CPUs).
    #[arg(long, env = "KPIMATCH_MATCH_CONCURRENCY")]
    pub match_concurrency: Option<usize>,
    /// Wait for a free ranking worker before answering 503, ms (default 2000).
    #[arg(long, env = "KPIMATCH_QUEUE_TIMEOUT_MS")]
    pub queue_timeout_ms: Option<u64>,
    /// HTTP worker threads (default: CPUs).
    #[arg(long, env = "KPIMATCH_HTTP_WORKERS")]
    pub http_workers: Option<usize>,
    /// Log format: text or json.
    #[arg(long, env = "KPIMATCH_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Pooled PostgreSQL connections (default 4).
    #[arg(long, env = "KPIMATCH_DATABASE_POOL")]
    pub database_pool: Option<u32>,
    /// Change-log polling interval when no notification arrives, ms (default 1000).
    #[arg(long, env = "KPIMATCH_POLL_INTERVAL_MS")]
    pub poll_interval_ms: Option<u64>,
    /// The admin API key (writes and key management; at least 32 bytes with --production).
    #[arg(long, env = "KPIMATCH_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Read-only API keys, comma-separated (at least 16 bytes each).
    #[arg(long, env = "KPIMATCH_READ_KEYS", value_delimiter = ',', hide_env_values = true)]
    pub read_keys: Option<Vec<String>>,
    /// Refuse to start without an admin key (no development mode).
    #[arg(long, env = "KPIMATCH_PRODUCTION")]
    pub production: bool,
    /// Requests per second per API key, bursts of twice that (default 200; 0: no limit).
    #[arg(long, env = "KPIMATCH_RATE_LIMIT_PER_SECOND")]
    pub rate_limit_per_second: Option<u32>,
}

/// What `import` loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// Solutions (each with an `id`).
    Solutions,
    /// Cities (each with an `id`).
    Cities,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (seeds an empty data directory from the bundle).
    Serve(ServeArgs),
    /// Print the OpenAPI document (JSON).
    Openapi,
    /// Import solutions or cities from a JSON array or NDJSON file into the data directory.
    Import {
        /// solutions or cities.
        kind: ImportKind,
        /// The file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write a consistent backup of the database (solutions, cities, feedback) to a file, while
    /// the service runs (SQLite or PostgreSQL).
    Backup {
        /// The backup file (JSON lines; `-` for standard output).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Restore a backup into an empty database; the replicas rebuild their indexes from it.
    Restore {
        /// The backup file written by `kpimatch backup` (`-` for standard input).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rank solutions for a city (on the data directory, as the service would).
    Match {
        #[command(flatten)]
        data: DataArgs,
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
    /// Show a city's gap analysis (on the data directory).
    Gaps {
        #[command(flatten)]
        data: DataArgs,
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
        /// Write an SVG chart of per-topic values (every profile, first measure) to this file.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Stress test: ignore every declared KPI impact, so all solutions are profiled from
        /// their text alone (as in a marketplace where nobody tags).
        #[arg(long)]
        drop_declared: bool,
        /// Evaluate the lead topics (a solution → the cities it should approach,
        /// `topics/leads.jsonl`) instead of the match topics.
        #[arg(long)]
        leads: bool,
        /// Evaluate the translated and paraphrased topics (`topics/multilingual.jsonl`) against
        /// their English sources and against gap-only ranking, per language.
        #[arg(long)]
        multilingual: bool,
        /// Measure the ranking as served, from the feedback stored in the data directory
        /// (adopted = 2, shortlist/contact = 1, seen only = 0; impressions give the served run).
        #[arg(long)]
        from_feedback: bool,
        #[command(flatten)]
        data: DataArgs,
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
    /// Rank a BEIR-format benchmark (corpus.jsonl, queries.jsonl, qrels) with the engine's text
    /// ranking and report trec_eval measures and timing.
    EvalBeir {
        /// The BEIR directory.
        dir: PathBuf,
        /// Write the TREC run here.
        #[arg(long)]
        run_out: Option<PathBuf>,
        /// Ranking profile file (JSON) to use instead of the built-in BEIR profile.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Also rank with the semantic stage: dense alone and fused with BM25
        /// (`text = BM25 / best BM25`, plus `fusion_weight × cosine`).
        #[arg(long)]
        dense: bool,
        /// Weight of the cosine in the fusion (BM25's normalised score has weight 1).
        #[arg(long, default_value_t = 1.0)]
        fusion_weight: f32,
        /// Where the collection's embeddings are kept between runs (computed once per model).
        #[arg(long, default_value = "target/beir-embeddings.bin")]
        embeddings: PathBuf,
    },
    /// Gap coverage of a portfolio against the top results of a match, over the bundled cities
    /// (with their gaps only and with their stated needs).
    EvalPortfolio {
        /// Solutions per portfolio (1–10).
        #[arg(long, default_value_t = 5)]
        size: usize,
        /// Diversity of the second match baseline (MMR over KPI profiles).
        #[arg(long, default_value_t = 0.5)]
        diversity: f32,
    },
    /// Score a TREC run file as trec_eval does (measure<TAB>topic|all<TAB>value).
    TrecEval {
        /// Qrels (TREC or BEIR tsv).
        qrels: PathBuf,
        /// Run (TREC format).
        run: PathBuf,
        /// Per-topic values too.
        #[arg(short = 'q')]
        per_topic: bool,
        /// Average over all topics in the qrels (missing topics score 0).
        #[arg(short = 'c')]
        complete: bool,
        /// Relevance level: grades at or above count as relevant for binary measures.
        #[arg(short = 'l', default_value_t = 1)]
        level: i32,
        /// Measures (trec_eval names; repeat). Default: all implemented.
        #[arg(short = 'm')]
        measures: Vec<String>,
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
    /// Write the bundled solutions' sentence embeddings (embeddings/all-MiniLM-L6-v2.bin) with
    /// the installed model, so a start on the bundle need not run the model over them.
    Embed,
}
