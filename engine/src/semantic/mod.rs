//! The semantic stage: a sentence-embedding model that gives every solution and every needs
//! text a unit vector, so a paraphrase ("stop people dying on our roads") meets the solution
//! that says it in other words ("road-safety cameras cut traffic fatalities").
//!
//! * [`Embedder`] is what the engine needs from a model; [`MiniLm`] is the one shipped
//!   (all-MiniLM-L6-v2 run by candle, installed by `scripts/model.sh`); benches and tests use
//!   [`crate::synth::HashedEmbedder`].
//! * [`Semantic`] wraps an embedder with the [`EmbeddingStore`]: solution embeddings are
//!   computed once per distinct text and model, at write time, and persisted beside the text
//!   index, so a restart recomputes none; needs texts are embedded per request, with a bounded
//!   cache of recent ones.
//! * The ranker turns the cosine of the two into the dense part of the score,
//!   `dense_weight · clamp((cos − dense_floor) / (1 − dense_floor), 0, 1)` (see
//!   [`crate::ranking::RankingProfile`]).
//!
//! A model only reads the languages it was trained on ([`Embedder::reads`]): a needs text or a
//! solution in another language gets no embedding, so its dense part is 0 and its ranking is the
//! lexical one.

mod minilm;
mod store;

use std::sync::{Arc, Mutex};

pub use minilm::MiniLm;
pub use store::{EmbeddingStore, Key};

use crate::lang::Lang;
use crate::solution::Solution;
use crate::Result;

/// A sentence-embedding model.
pub trait Embedder: Send + Sync {
    /// The model's identity (name and a digest of its files): part of every cache key, so
    /// embeddings of another model are never reused.
    fn id(&self) -> &str;
    /// Length of the vectors.
    fn dim(&self) -> usize;
    /// Whether the model reads text in this language.
    fn reads(&self, lang: Lang) -> bool;
    /// The embedding of a text, of unit length (all zeros for a text with no tokens).
    fn embed(&self, text: &str) -> Result<Vec<f32>>;
}

/// An embedding shared between the table, the plan and the caches.
pub type Embedding = Arc<[f32]>;

/// Cosine of two unit vectors (their dot product). Eight independent partial sums, so the
/// compiler vectorises the loop (a plain `sum()` of products is a serial dependency chain).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// What the semantic stage has done since start (for logs and `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SemanticStats {
    /// Solution texts embedded by the model.
    pub computed: u64,
    /// Solution texts found in the store.
    pub reused: u64,
    /// Texts the model failed on (their dense part is 0).
    pub failed: u64,
}

/// The text of a solution that is embedded: title, summary and description (the model reads
/// the first 256 word pieces).
pub fn solution_text(s: &Solution) -> String {
    format!("{}. {}\n{}", s.title.trim(), s.summary.trim(), s.description.trim())
}

/// The bundle's precomputed embeddings of its own solutions (written by
/// `kpimatch bundle embed`), relative to the bundle directory: a start on the bundled data
/// reads them instead of running the model over every solution.
pub const BUNDLE_SEED: &str = "embeddings/all-MiniLM-L6-v2.bin";

/// Loads the shipped model from `model_dir` with its store: persisted in `store` (or in memory)
/// and seeded from the read-only files in `seeds` that were written for the same model.
pub fn load(
    model_dir: &std::path::Path,
    store: Option<&std::path::Path>,
    seeds: &[&std::path::Path],
) -> Result<Semantic> {
    let model = MiniLm::load(model_dir)?;
    let mut st = match store {
        Some(path) => EmbeddingStore::open(path, model.id(), model.dim())?,
        None => EmbeddingStore::in_memory(model.id(), model.dim()),
    };
    for seed in seeds {
        st.seed_from(seed)?;
    }
    Ok(Semantic::new(Box::new(model), st))
}

/// A model with its embedding store and query cache.
pub struct Semantic {
    embedder: Box<dyn Embedder>,
    store: Mutex<EmbeddingStore>,
    queries: moka::sync::Cache<String, Option<Embedding>>,
    stats: Mutex<SemanticStats>,
}

impl std::fmt::Debug for Semantic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semantic").field("model", &self.embedder.id()).finish()
    }
}

/// Needs texts whose embeddings are kept (a few MB at 384 dimensions).
const QUERY_CACHE: u64 = 4096;

impl Semantic {
    /// A semantic stage over a model and a store made for it ([`EmbeddingStore::open`] with the
    /// model's id and dimension, or [`EmbeddingStore::in_memory`]).
    pub fn new(embedder: Box<dyn Embedder>, store: EmbeddingStore) -> Semantic {
        Semantic {
            embedder,
            store: Mutex::new(store),
            queries: moka::sync::Cache::new(QUERY_CACHE),
            stats: Mutex::new(SemanticStats::default()),
        }
    }

    /// The model's identity.
    pub fn model_id(&self) -> &str {
        self.embedder.id()
    }

    /// Whether the model reads this language.
    pub fn reads(&self, lang: Lang) -> bool {
        self.embedder.reads(lang)
    }

    /// Counters since start.
    pub fn stats(&self) -> SemanticStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of embeddings the store holds.
    pub fn stored(&self) -> usize {
        self.store.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// A solution's embedding: from the store when its text was embedded before by this model,
    /// else computed and appended to the store. `None` when the model does not read the
    /// solution's language or failed on its text.
    pub fn solution_embedding(&self, lang: Lang, solution: &Solution) -> Option<Embedding> {
        self.solution_embeddings(&[(lang, solution)]).pop().flatten()
    }

    /// The embeddings of many solutions, as [`Semantic::solution_embedding`] gives them one by
    /// one, with the texts not in the store embedded on every core (scoped threads, each taking
    /// the next text): a bulk import or a rebuild runs the model in parallel.
    pub fn solution_embeddings(&self, items: &[(Lang, &Solution)]) -> Vec<Option<Embedding>> {
        let mut out: Vec<Option<Embedding>> = vec![None; items.len()];
        let mut missing: Vec<(usize, Key, String)> = Vec::new();
        {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            for (i, (lang, s)) in items.iter().enumerate() {
                if !self.embedder.reads(*lang) {
                    continue;
                }
                let text = solution_text(s);
                let key = EmbeddingStore::key(self.embedder.id(), &text);
                match store.get(&key) {
                    Some(e) => out[i] = Some(e),
                    None => missing.push((i, key, text)),
                }
            }
        }
        self.bump(|s| s.reused += (items.len() - missing.len()) as u64);
        if missing.is_empty() {
            return out;
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(missing.len())
            .max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let computed: Vec<Vec<(usize, Result<Vec<f32>>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((_, _, text)) = missing.get(j) else {
                                break;
                            };
                            done.push((j, self.embedder.embed(text)));
                        }
                        done
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
        });
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for (j, r) in computed.into_iter().flatten() {
            let (i, key, _) = &missing[j];
            match r {
                Ok(v) => {
                    let e: Embedding = v.into();
                    store.insert(*key, e.clone());
                    out[*i] = Some(e);
                    self.bump(|s| s.computed += 1);
                }
                Err(_) => self.bump(|s| s.failed += 1),
            }
        }
        out
    }

    /// A needs text's embedding (cached): `None` for an empty text, a language the model does
    /// not read, or a failure.
    pub fn query_embedding(&self, lang: Lang, text: &str) -> Option<Embedding> {
        let text = text.trim();
        if text.is_empty() || !self.embedder.reads(lang) {
            return None;
        }
        self.queries
            .get_with(text.to_owned(), || match self.embedder.embed(text) {
                Ok(v) => Some(v.into()),
                Err(_) => {
                    self.bump(|s| s.failed += 1);
                    None
                }
            })
    }

    /// Makes every embedding computed so far durable in the store's file (called when the text
    /// index commits; the store is derived data, so a crash before this only costs recomputing).
    pub fn sync(&self) -> Result<()> {
        self.store.lock().unwrap_or_else(|e| e.into_inner()).sync()
    }

    fn bump(&self, f: impl FnOnce(&mut SemanticStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::HashedEmbedder;

    fn solution(id: &str, title: &str) -> Solution {
        serde_json::from_value(serde_json::json!({"id": id, "title": title, "summary": "A summary."})).unwrap()
    }

    #[test]
    fn a_solution_text_is_embedded_once_per_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embeddings.bin");
        let sem = Semantic::new(
            Box::new(HashedEmbedder::new(32)),
            EmbeddingStore::open(&path, "hashed-words-32", 32).unwrap(),
        );
        let a = sem
            .solution_embedding(Lang::En, &solution("a", "Leak detection"))
            .unwrap();
        let again = sem
            .solution_embedding(Lang::En, &solution("b", "Leak detection"))
            .unwrap();
        assert_eq!(a, again);
        assert_eq!(sem.stats().computed, 1);
        assert_eq!(sem.stats().reused, 1);
        sem.sync().unwrap();
        drop(sem);
        // Restart: the store file answers, the model is not called.
        let sem = Semantic::new(
            Box::new(HashedEmbedder::new(32)),
            EmbeddingStore::open(&path, "hashed-words-32", 32).unwrap(),
        );
        assert_eq!(
            sem.solution_embedding(Lang::En, &solution("a", "Leak detection"))
                .unwrap(),
            a
        );
        assert_eq!(
            sem.stats(),
            SemanticStats {
                computed: 0,
                reused: 1,
                failed: 0
            }
        );
    }

    #[test]
    fn languages_the_model_does_not_read_get_no_embedding() {
        let sem = Semantic::new(
            Box::new(HashedEmbedder::new(32)),
            EmbeddingStore::in_memory("hashed-words-32", 32),
        );
        assert!(sem
            .solution_embedding(Lang::Es, &solution("a", "Detección de fugas"))
            .is_none());
        assert!(sem.query_embedding(Lang::Es, "fugas de agua").is_none());
        assert!(sem.query_embedding(Lang::En, "   ").is_none());
        let q = sem.query_embedding(Lang::En, "water leaks").unwrap();
        assert!((cosine(&q, &q) - 1.0).abs() < 1e-5);
    }
}
