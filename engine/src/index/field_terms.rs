//! The analysed terms of a solution's text fields, for explanations ("matched in the title and
//! the summary"), kept for the solutions recently explained.
//!
//! Explaining a result used to analyse its title, tags, summary and description on every
//! request: a third of a cold `/v1/match`'s CPU time, most of it stemming the same
//! descriptions again. A solution's analysed fields change only when it is rewritten, so they
//! are kept in a bounded cache keyed by ordinal; an entry holds the record it was made from and
//! counts only for that very record (a rewrite stores a new one), so it is never stale.

use std::sync::Arc;

use tantivy::tokenizer::TextAnalyzer;

use super::analyse;
use crate::lang::Lang;
use crate::solution::Solution;

/// The explained fields, in the order explanations list them.
pub(crate) const FIELDS: [&str; 4] = ["title", "tags", "summary", "description"];

/// Solutions whose analysed fields are kept (about 1–3 KB each).
const CAPACITY: u64 = 8192;

/// One solution's analysed terms, each with the set of [`FIELDS`] it occurs in.
#[derive(Debug, Default)]
pub(crate) struct FieldTerms {
    /// Sorted by term; bit `i` of the mask is `FIELDS[i]`.
    terms: Vec<(Box<str>, u8)>,
}

impl FieldTerms {
    /// Analyses a solution's explained fields.
    pub(crate) fn analyse(analyzer: &TextAnalyzer, solution: &Solution) -> FieldTerms {
        let mut analyzer = analyzer.clone();
        let texts = [
            solution.title.as_str(),
            &solution.tags.join(" . "),
            &solution.summary,
            &solution.description,
        ];
        let mut terms: Vec<(Box<str>, u8)> = Vec::new();
        for (bit, text) in texts.iter().enumerate() {
            terms.extend(
                analyse(&mut analyzer, text)
                    .into_iter()
                    .map(|t| (t.into_boxed_str(), 1u8 << bit)),
            );
        }
        terms.sort_unstable();
        // Merge each term's entries into one mask.
        let mut merged: Vec<(Box<str>, u8)> = Vec::with_capacity(terms.len());
        for (term, bit) in terms {
            match merged.last_mut() {
                Some((last, mask)) if *last == term => *mask |= bit,
                _ => merged.push((term, bit)),
            }
        }
        merged.shrink_to_fit();
        FieldTerms { terms: merged }
    }

    /// The fields `term` occurs in, in [`FIELDS`] order.
    pub(crate) fn fields_of(&self, term: &str) -> Vec<&'static str> {
        let mask = self
            .terms
            .binary_search_by(|(t, _)| (**t).cmp(term))
            .map_or(0, |i| self.terms[i].1);
        FIELDS
            .iter()
            .enumerate()
            .filter(|(bit, _)| mask & (1 << bit) != 0)
            .map(|(_, f)| *f)
            .collect()
    }
}

struct Entry {
    /// The record analysed: the entry answers for this record only.
    solution: Arc<Solution>,
    lang: Lang,
    terms: Arc<FieldTerms>,
}

/// The [`FieldTerms`] of recently explained solutions (bounded, shared by concurrent requests).
#[derive(Clone)]
pub(crate) struct FieldTermsCache {
    entries: moka::sync::Cache<u32, Arc<Entry>>,
}

impl Default for FieldTermsCache {
    fn default() -> Self {
        FieldTermsCache {
            entries: moka::sync::Cache::new(CAPACITY),
        }
    }
}

impl std::fmt::Debug for FieldTermsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldTermsCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl FieldTermsCache {
    /// The analysed fields of the solution at `ord` (the record `solution`) read in `lang` by
    /// `analyzer`: kept ones when they were made from this very record in this language,
    /// else analysed now and kept.
    pub(crate) fn get(
        &self,
        ord: u32,
        solution: &Arc<Solution>,
        lang: Lang,
        analyzer: &TextAnalyzer,
    ) -> Arc<FieldTerms> {
        if let Some(e) = self.entries.get(&ord) {
            if Arc::ptr_eq(&e.solution, solution) && e.lang == lang {
                return Arc::clone(&e.terms);
            }
        }
        let terms = Arc::new(FieldTerms::analyse(analyzer, solution));
        self.entries.insert(
            ord,
            Arc::new(Entry {
                solution: Arc::clone(solution),
                lang,
                terms: Arc::clone(&terms),
            }),
        );
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::english;

    fn solution(title: &str, description: &str) -> Arc<Solution> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "id": "s",
                "title": title,
                "summary": "Finds leaks in water mains",
                "description": description,
                "tags": ["Water", "sensors"],
            }))
            .unwrap(),
        )
    }

    #[test]
    fn fields_are_listed_where_the_analysed_term_occurs() {
        let t = FieldTerms::analyse(&english(), &solution("Leak detection", "Acoustic sensors on pipes."));
        assert_eq!(t.fields_of("leak"), ["title", "summary"]);
        assert_eq!(t.fields_of("sensor"), ["tags", "description"]);
        assert_eq!(t.fields_of("water"), ["tags", "summary"]);
        assert!(t.fields_of("air").is_empty());
    }

    #[test]
    fn a_rewritten_record_is_analysed_again() {
        let cache = FieldTermsCache::default();
        let analyzer = english();
        let first = solution("Leak detection", "");
        assert_eq!(
            cache.get(0, &first, Lang::En, &analyzer).fields_of("leak"),
            ["title", "summary"]
        );
        // The same record: the kept analysis.
        let kept = cache.get(0, &first, Lang::En, &analyzer);
        assert!(Arc::ptr_eq(&kept, &cache.get(0, &first, Lang::En, &analyzer)));
        // A new record at the same ordinal (an update): never the old analysis.
        let rewritten = solution("Air quality", "");
        assert_eq!(
            cache.get(0, &rewritten, Lang::En, &analyzer).fields_of("leak"),
            ["summary"]
        );
        assert_eq!(
            cache.get(0, &rewritten, Lang::En, &analyzer).fields_of("air"),
            ["title"]
        );
    }
}
