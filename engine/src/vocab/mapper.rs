use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::TextAnalyzer;

use super::Vocabulary;
use crate::index::{analyse, english};
use crate::kpi::{Catalogue, KpiId};

/// Settings of the KPI-profile inference (part of `vocabulary.json`, because they are tied to
/// how the vocabulary weighs terms; changing them needs a re-index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceConfig {
    /// At most this many KPIs are inferred per solution.
    pub max_kpis: usize,
    /// A KPI is kept when its similarity is at least this share of the solution's best.
    pub min_relative: f32,
    /// …and at least this absolute cosine similarity.
    pub min_similarity: f32,
    /// Cosine similarity at which the inferred impact reaches 1.
    pub saturation: f32,
    /// Weight of the title in the solution's term vector.
    pub title_weight: f32,
    /// Weight of the tags.
    pub tags_weight: f32,
    /// Weight of the summary.
    pub summary_weight: f32,
    /// Weight of the description.
    pub description_weight: f32,
}

impl Default for InferenceConfig {
    fn default() -> Self {
        InferenceConfig {
            max_kpis: 4,
            min_relative: 0.5,
            min_similarity: 0.06,
            saturation: 0.30,
            title_weight: 3.0,
            tags_weight: 2.0,
            summary_weight: 1.5,
            description_weight: 1.0,
        }
    }
}

/// A KPI a text was mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KpiMatch {
    /// The KPI.
    pub kpi: KpiId,
    /// Similarity score; comparable within one text only.
    pub score: f32,
}

/// Maps free text to KPIs by the similarity of its analysed terms to each KPI's term profile.
///
/// Each KPI's profile is a weighted, IDF-scaled, unit-length term vector built from its name,
/// its lay terms in the vocabulary, its category's name and lay terms, its description, and the
/// synonyms of all of these. A text is analysed with the same English analyzer and scored
/// against every KPI through an inverted map, so the cost is linear in the text's distinct terms.
#[derive(Debug, Clone)]
pub struct KpiMapper {
    postings: HashMap<String, Vec<(KpiId, f32)>>,
    kpi_count: usize,
    codes: HashMap<crate::kpi::KpiCode, KpiId>,
}

const NAME_WEIGHT: f32 = 3.0;
const KPI_TERM_WEIGHT: f32 = 2.0;
const CATEGORY_NAME_WEIGHT: f32 = 1.5;
const CATEGORY_TERM_WEIGHT: f32 = 1.0;
const DESCRIPTION_WEIGHT: f32 = 0.5;
const SYNONYM_FACTOR: f32 = 0.5;

impl KpiMapper {
    /// Builds the English KPI term profiles.
    pub fn new(catalogue: &Catalogue, vocabulary: &Vocabulary) -> KpiMapper {
        Self::build(catalogue, vocabulary, &mut english(), true)
    }

    /// Builds the KPI term profiles of another language from its vocabulary alone (the
    /// catalogue's names and descriptions are English); `analyzer` is the language's.
    pub fn for_language(catalogue: &Catalogue, vocabulary: &Vocabulary, analyzer: &mut TextAnalyzer) -> KpiMapper {
        Self::build(catalogue, vocabulary, analyzer, false)
    }

    fn build(
        catalogue: &Catalogue,
        vocabulary: &Vocabulary,
        analyzer: &mut TextAnalyzer,
        catalogue_text: bool,
    ) -> KpiMapper {
        let n = catalogue.len();
        let mut bags: Vec<HashMap<String, f32>> = vec![HashMap::new(); n];
        let add = |bag: &mut HashMap<String, f32>, terms: &[String], w: f32| {
            for t in terms {
                *bag.entry(t.clone()).or_default() += w;
            }
        };
        for (id, kpi) in catalogue.kpis().iter().enumerate() {
            let mut bag = HashMap::new();
            let mut phrases: Vec<(Vec<String>, f32)> = Vec::new();
            if catalogue_text {
                phrases.push((analyse(analyzer, &kpi.name), NAME_WEIGHT));
            }
            for p in &vocabulary.kpi_terms[id] {
                phrases.push((p.clone(), KPI_TERM_WEIGHT));
            }
            let cat = catalogue
                .categories()
                .iter()
                .position(|c| c == &kpi.category)
                .expect("a KPI's category is in the catalogue");
            if catalogue_text {
                phrases.push((analyse(analyzer, &kpi.category), CATEGORY_NAME_WEIGHT));
            }
            for p in &vocabulary.category_terms[cat] {
                phrases.push((p.clone(), CATEGORY_TERM_WEIGHT));
            }
            for (phrase, w) in &phrases {
                add(&mut bag, phrase, *w);
                for member in vocabulary.groups_of(phrase) {
                    if member != phrase {
                        add(&mut bag, member, w * SYNONYM_FACTOR);
                    }
                }
            }
            if catalogue_text {
                add(&mut bag, &analyse(analyzer, &kpi.description), DESCRIPTION_WEIGHT);
            }
            bags[id] = bag;
        }
        let mut df: HashMap<&str, usize> = HashMap::new();
        for bag in &bags {
            for t in bag.keys() {
                *df.entry(t.as_str()).or_default() += 1;
            }
        }
        let mut postings: HashMap<String, Vec<(KpiId, f32)>> = HashMap::new();
        for (id, bag) in bags.iter().enumerate() {
            let mut weighted: Vec<(&String, f32)> = bag
                .iter()
                .map(|(t, w)| {
                    let idf = (1.0 + n as f32 / df[t.as_str()] as f32).ln();
                    (t, (1.0 + w).ln() * idf)
                })
                .collect();
            weighted.sort_by(|a, b| a.0.cmp(b.0));
            let norm = weighted.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-6);
            for (t, w) in weighted {
                postings.entry(t.clone()).or_default().push((id, w / norm));
            }
        }
        let codes = catalogue
            .kpis()
            .iter()
            .enumerate()
            .map(|(i, k)| (k.code.clone(), i))
            .collect();
        KpiMapper {
            postings,
            kpi_count: n,
            codes,
        }
    }

    /// Scores weighted analysed terms against every KPI; returns the KPIs with a positive score,
    /// best first (ties by KPI position). With `normalise`, the text vector is made unit-length
    /// so scores are cosine similarities.
    pub fn score_terms<'a>(&self, terms: impl IntoIterator<Item = (&'a str, f32)>, normalise: bool) -> Vec<KpiMatch> {
        // A BTreeMap so the sums below run in one order: scores are reproducible bit for bit.
        let mut tf: std::collections::BTreeMap<&str, f32> = std::collections::BTreeMap::new();
        for (t, w) in terms {
            *tf.entry(t).or_default() += w;
        }
        let mut norm = 0f32;
        let mut scores = vec![0f32; self.kpi_count];
        for (t, w) in &tf {
            let qw = (1.0 + w).ln();
            norm += qw * qw;
            if let Some(list) = self.postings.get(*t) {
                for &(k, v) in list {
                    scores[k] += qw * v;
                }
            }
        }
        let norm = if normalise { norm.sqrt().max(1e-6) } else { 1.0 };
        let mut out: Vec<KpiMatch> = scores
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .map(|(kpi, s)| KpiMatch { kpi, score: s / norm })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.kpi.cmp(&b.kpi)));
        out
    }

    /// The catalogue position of a canonical code.
    pub fn kpi_id(&self, code: &crate::kpi::KpiCode) -> Option<KpiId> {
        self.codes.get(code).copied()
    }

    /// True when the term occurs in some KPI's profile.
    pub fn knows(&self, term: &str) -> bool {
        self.postings.contains_key(term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::catalogue_tests_tiny as tiny;
    use crate::vocab::VocabularyFile;

    #[test]
    fn maps_lay_terms_to_kpis() {
        let cat = tiny();
        let file: VocabularyFile = serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "kpis": {"EC:I:WS:3C": ["leaks", "burst pipes"], "SC:EH:ED:4A": ["reading", "illiteracy"]},
            "categories": {"Water and Sanitation": ["water"], "Education": ["school"]},
            "synonyms": [["leak", "leakage"]]
        }))
        .unwrap();
        let v = Vocabulary::compile(&file, &cat).unwrap();
        let m = KpiMapper::new(&cat, &v);
        let mut a = english();
        let q = analyse(&mut a, "our pipes have leakage");
        let r = m.score_terms(q.iter().map(|t| (t.as_str(), 1.0)), false);
        assert_eq!(r[0].kpi, 0);
        assert!(r.iter().all(|x| x.kpi != 2));
        let q = analyse(&mut a, "adults struggle with reading");
        let r = m.score_terms(q.iter().map(|t| (t.as_str(), 1.0)), true);
        assert_eq!(r[0].kpi, 2);
        assert!(r[0].score <= 1.0);
    }
}
