//! A deterministic synthetic catalogue for benchmarks only — never mixed into the real bundle.
//!
//! Each synthetic solution is drawn around a randomly chosen real solution of the bundle: most
//! of its words come from that template's own text and the rest from the whole bundle's word
//! distribution, so queries keep a realistic selectivity at any scale. About half carry
//! declared KPI impacts (taken from their template's domain), the rest none, as in the real
//! marketplace. The same seed always gives the same catalogue.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::kpi::Catalogue;
use crate::solution::{CostBand, KpiImpact, Maturity, Solution, WHEEL_CATEGORIES};

/// Most solutions the generator makes.
pub const MAX_SOLUTIONS: usize = 1_000_000;

struct Template {
    words: Vec<String>,
    tags: Vec<String>,
    categories: Vec<String>,
    kpis: Vec<KpiImpact>,
}

/// Generates `n` (at most [`MAX_SOLUTIONS`]) synthetic solutions from the vocabulary of
/// `real`, deterministically for a seed. Ids are `syn-<n>`.
pub fn generate(real: &[Solution], catalogue: &Catalogue, n: usize, seed: u64) -> Vec<Solution> {
    let n = n.min(MAX_SOLUTIONS);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let templates: Vec<Template> = real
        .iter()
        .map(|s| Template {
            words: split(&format!("{} {} {}", s.title, s.summary, s.description)),
            tags: s.tags.clone(),
            categories: s.categories.clone(),
            kpis: s.kpis.clone(),
        })
        .filter(|t| !t.words.is_empty())
        .collect();
    let all_words: Vec<&String> = templates.iter().flat_map(|t| t.words.iter()).collect();
    let codes: Vec<&crate::kpi::Kpi> = catalogue.kpis().iter().collect();
    let mut out = Vec::with_capacity(n);
    if templates.is_empty() {
        return out;
    }
    for i in 0..n {
        let t = &templates[rng.random_range(0..templates.len())];
        let draw = |count: usize, rng: &mut ChaCha8Rng| -> String {
            let mut words = Vec::with_capacity(count);
            for _ in 0..count {
                let w = if rng.random_bool(0.7) {
                    t.words.choose(rng)
                } else {
                    all_words.choose(rng).copied()
                };
                if let Some(w) = w {
                    words.push(w.as_str());
                }
            }
            words.join(" ")
        };
        let title = draw(rng.random_range(3..7), &mut rng);
        let summary = draw(rng.random_range(10..20), &mut rng);
        let description = draw(rng.random_range(50..110), &mut rng);
        let kpis = if rng.random_bool(0.5) {
            let mut k: Vec<KpiImpact> = t
                .kpis
                .iter()
                .map(|k| KpiImpact {
                    code: k.code.clone(),
                    impact: (k.impact * rng.random_range(0.6..1.0)).clamp(0.01, 1.0),
                })
                .collect();
            if k.is_empty() {
                let kpi = codes[rng.random_range(0..codes.len())];
                k.push(KpiImpact {
                    code: kpi.code.clone(),
                    impact: rng.random_range(0.2..1.0),
                });
            }
            k
        } else {
            Vec::new()
        };
        out.push(Solution {
            id: format!("syn-{i}"),
            title,
            provider: format!("Synthetic Provider {}", i % 997),
            provider_type: crate::solution::ProviderType::ALL[i % 6],
            lang: None,
            summary,
            description,
            categories: if t.categories.is_empty() {
                vec![WHEEL_CATEGORIES[rng.random_range(0..6)].to_string()]
            } else {
                t.categories.clone()
            },
            tags: t.tags.clone(),
            regions: vec![[
                "Europe",
                "Asia",
                "Africa",
                "North America",
                "Latin America",
                "Middle East",
                "Oceania",
            ][rng.random_range(0..7)]
            .to_string()],
            reference_cities: Vec::new(),
            kpis,
            sdgs: Vec::new(),
            maturity: Some(Maturity::ALL[rng.random_range(0..4)]),
            cost_band: Some(CostBand::ALL[rng.random_range(0..3)]),
            url: None,
        });
    }
    out
}

/// Generates `n` synthetic cities around the `real` ones, deterministically for a seed: each
/// copies a real city's observations with every value scaled by a factor in [0.6, 1.4] (so gaps
/// differ), its population by one in [0.5, 2], and about one in ten records one to three
/// deployments of `syn-<k>` solutions with `k < solutions`. Ids are `syn-city-<n>`.
pub fn generate_cities(real: &[crate::city::City], solutions: usize, n: usize, seed: u64) -> Vec<crate::city::City> {
    use crate::city::{Deployment, DeploymentStatus};
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let mut c = real[i % real.len()].clone();
            c.id = format!("syn-city-{i}");
            c.name = format!("Synthetic City {i}");
            c.population = c.population.map(|p| (p as f64 * rng.random_range(0.5..2.0)) as u64);
            for o in &mut c.observations {
                o.value *= rng.random_range(0.6..1.4);
            }
            c.deployments = if solutions > 0 && rng.random_range(0..10) == 0 {
                let mut ids: Vec<usize> = (0..rng.random_range(1..=3))
                    .map(|_| rng.random_range(0..solutions))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids.into_iter()
                    .map(|k| Deployment {
                        solution_id: format!("syn-{k}"),
                        year: 2020,
                        status: [DeploymentStatus::Deployed, DeploymentStatus::Piloting][rng.random_range(0..2)],
                    })
                    .collect()
            } else {
                Vec::new()
            };
            c
        })
        .collect()
}

/// A deterministic stand-in for a sentence-embedding model, for benches and tests: a hashed bag
/// of the lower-cased words (longer than two letters) in `dim` dimensions, unit length. Texts
/// sharing words are close; it costs microseconds, so a bench can give 10⁵ solutions vectors of
/// the shipped model's dimension and measure the ranking's cost of the dense part alone. Like the
/// shipped model it reads English only.
#[derive(Debug)]
pub struct HashedEmbedder {
    id: String,
    dim: usize,
    calls: std::sync::atomic::AtomicU64,
}

impl HashedEmbedder {
    /// An embedder of `dim` dimensions.
    pub fn new(dim: usize) -> HashedEmbedder {
        HashedEmbedder {
            id: format!("hashed-words-{dim}"),
            dim,
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many texts it embedded.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl crate::semantic::Embedder for HashedEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn reads(&self, lang: crate::lang::Lang) -> bool {
        lang == crate::lang::Lang::En
    }

    fn embed(&self, text: &str) -> crate::Result<Vec<f32>> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut v = vec![0f32; self.dim];
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 2)
        {
            // FNV-1a of the lower-cased word.
            let h = w.to_lowercase().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            v[(h % self.dim as u64) as usize] += 1.0;
        }
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if n > 0.0 {
            v.iter_mut().for_each(|x| *x /= n);
        }
        Ok(v)
    }
}
