use tantivy::tokenizer::TextAnalyzer;

use super::{InferenceConfig, KpiMapper};
use crate::index::analyse;
use crate::solution::{KpiProfile, ProfileEntry, Provenance, Solution};

/// The KPI profile kpimatch uses for a solution: its declared impacts, or — when it declares
/// none, as about half of a real marketplace does — impacts inferred from its text.
///
/// Inference scores the solution's field-weighted term vector (title, tags, summary,
/// description) against every KPI's term profile ([`KpiMapper`]) by cosine similarity and keeps
/// the best KPIs that pass both an absolute and a relative threshold. The impact grows with the
/// similarity and saturates at 1; the confidence is the similarity relative to the solution's
/// best KPI, so a solution clearly about one KPI gets a confident single entry.
pub fn profile_for(
    solution: &Solution,
    mapper: &KpiMapper,
    analyzer: &mut TextAnalyzer,
    config: &InferenceConfig,
) -> KpiProfile {
    if !solution.kpis.is_empty() {
        return KpiProfile::new(
            solution
                .kpis
                .iter()
                .filter_map(|k| {
                    Some(ProfileEntry {
                        kpi: mapper.kpi_id(&k.code)?,
                        impact: k.impact as f32,
                        provenance: Provenance::Declared,
                        confidence: 1.0,
                    })
                })
                .collect(),
        );
    }
    infer(solution, mapper, analyzer, config)
}

/// Infers a profile from text alone (ignoring any declared impacts).
pub fn infer(
    solution: &Solution,
    mapper: &KpiMapper,
    analyzer: &mut TextAnalyzer,
    config: &InferenceConfig,
) -> KpiProfile {
    let mut terms: Vec<(String, f32)> = Vec::new();
    let mut add = |text: &str, w: f32, analyzer: &mut TextAnalyzer| {
        if w > 0.0 {
            for t in analyse(analyzer, text) {
                terms.push((t, w));
            }
        }
    };
    add(&solution.title, config.title_weight, analyzer);
    for t in &solution.tags {
        add(t, config.tags_weight, analyzer);
    }
    add(&solution.summary, config.summary_weight, analyzer);
    add(&solution.description, config.description_weight, analyzer);
    let matches = mapper.score_terms(terms.iter().map(|(t, w)| (t.as_str(), *w)), true);
    let Some(best) = matches.first().map(|m| m.score) else {
        return KpiProfile::default();
    };
    let entries = matches
        .iter()
        .take(config.max_kpis)
        .filter(|m| m.score >= config.min_similarity && m.score >= config.min_relative * best)
        .map(|m| ProfileEntry {
            kpi: m.kpi,
            impact: (m.score / config.saturation).min(1.0),
            provenance: Provenance::Inferred,
            confidence: m.score / best,
        })
        .collect();
    KpiProfile::new(entries)
}
