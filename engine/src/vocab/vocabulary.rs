use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::TextAnalyzer;

use crate::index::{analyse, english};
use crate::kpi::Catalogue;
use crate::limits;
use crate::{Error, Result};

/// Most terms listed for one KPI or category.
pub const MAX_TERMS_PER_ENTRY: usize = 40;
/// Most members of a synonym group.
pub const MAX_GROUP_SIZE: usize = 10;
/// Most synonym groups.
pub const MAX_GROUPS: usize = 2_000;
/// Most query stop words.
pub const MAX_STOP_WORDS: usize = 1_000;
/// Longest phrase (in analysed terms) matched in a query.
pub const MAX_PHRASE_TERMS: usize = 6;

/// `vocabulary.json` as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyFile {
    /// Format version (1).
    pub format_version: u32,
    /// The language of the terms (BCP 47); absent means English. Files under `vocabulary/`
    /// must declare theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Lay and technical terms per KPI code.
    pub kpis: BTreeMap<String, Vec<String>>,
    /// Lay and technical terms per category name.
    pub categories: BTreeMap<String, Vec<String>>,
    /// Groups of terms that mean the same in this domain.
    pub synonyms: Vec<Vec<String>>,
    /// Words that carry no need in a planner's question ("our", "fix", "kpis"…), dropped from
    /// needs texts before matching (the index keeps them).
    #[serde(default)]
    pub stop_words: Vec<String>,
    /// Settings of the KPI-profile inference, when not the defaults.
    #[serde(default)]
    pub inference: Option<super::InferenceConfig>,
    /// The Sustainable Development Goals by name, with the phrases that name them in a needs
    /// text ("clean water goal"); optional.
    #[serde(default)]
    pub goals: Vec<GoalTerms>,
}

/// One Sustainable Development Goal's name and the phrases that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalTerms {
    /// Goal number, 1–17.
    pub goal: u8,
    /// Short name ("Clean water and sanitation").
    pub name: String,
    /// Phrases that name the goal in a needs text, besides its name.
    #[serde(default)]
    pub terms: Vec<String>,
}

/// Where a query term comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermOrigin {
    /// Written by the user.
    Query,
    /// Added from a synonym group.
    Synonym,
}

/// An analysed query term with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpandedTerm {
    /// The analysed (stemmed) term.
    pub term: String,
    /// Written by the user or added.
    pub origin: TermOrigin,
}

/// The compiled vocabulary: analysed terms per KPI and category, and synonym groups indexed by
/// their analysed phrases.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// Analysed phrases per KPI (catalogue position).
    pub(crate) kpi_terms: Vec<Vec<Vec<String>>>,
    /// Analysed phrases per category (catalogue category order).
    pub(crate) category_terms: Vec<Vec<Vec<String>>>,
    groups: Vec<Vec<Vec<String>>>,
    phrase_to_groups: HashMap<Vec<String>, Vec<usize>>,
    stop_words: std::collections::HashSet<String>,
    pub(crate) inference: super::InferenceConfig,
    /// Goal names (index = goal number; empty when the file names none).
    goal_names: Vec<String>,
    /// Analysed phrases naming each goal (its name and terms).
    pub(crate) goal_phrases: Vec<(u8, Vec<String>)>,
}

impl Vocabulary {
    /// Compiles and validates a vocabulary file against the catalogue. Every problem is
    /// reported, each with the entry it is in.
    pub fn compile(file: &VocabularyFile, catalogue: &Catalogue) -> std::result::Result<Vocabulary, Vec<String>> {
        Self::compile_in(file, catalogue, &mut english())
    }

    /// Compiles a vocabulary whose terms are analysed by `analyzer` (a language's own: the
    /// terms must meet the needs text and solution text of that language on the same stems).
    pub fn compile_in(
        file: &VocabularyFile,
        catalogue: &Catalogue,
        analyzer: &mut TextAnalyzer,
    ) -> std::result::Result<Vocabulary, Vec<String>> {
        let mut problems = Vec::new();
        if file.format_version != 1 {
            problems.push(format!(
                "format_version {} is not supported (expected 1)",
                file.format_version
            ));
        }
        let mut kpi_terms = vec![Vec::new(); catalogue.len()];
        for (code, terms) in &file.kpis {
            match catalogue.resolve(code) {
                Ok(id) => kpi_terms[id] = analyse_list(analyzer, terms, &format!("kpis.{code}"), &mut problems),
                Err(e) => problems.push(format!("kpis: {e}")),
            }
        }
        let mut category_terms = vec![Vec::new(); catalogue.categories().len()];
        for (name, terms) in &file.categories {
            match catalogue.categories().iter().position(|c| c.eq_ignore_ascii_case(name)) {
                Some(i) => {
                    category_terms[i] = analyse_list(analyzer, terms, &format!("categories.{name}"), &mut problems)
                }
                None => problems.push(format!("categories: '{name}' is not a U4SSC category")),
            }
        }
        if file.synonyms.len() > MAX_GROUPS {
            problems.push(format!(
                "synonyms: {} groups; the limit is {MAX_GROUPS}",
                file.synonyms.len()
            ));
        }
        let mut groups = Vec::new();
        let mut phrase_to_groups: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for (gi, group) in file.synonyms.iter().enumerate() {
            if group.len() < 2 || group.len() > MAX_GROUP_SIZE {
                problems.push(format!(
                    "synonyms[{gi}]: a group needs 2 to {MAX_GROUP_SIZE} members, it has {}",
                    group.len()
                ));
                continue;
            }
            let members = analyse_list(analyzer, group, &format!("synonyms[{gi}]"), &mut problems);
            let idx = groups.len();
            for m in &members {
                let entry = phrase_to_groups.entry(m.clone()).or_default();
                if !entry.contains(&idx) {
                    entry.push(idx);
                }
            }
            groups.push(members);
        }
        if file.stop_words.len() > MAX_STOP_WORDS {
            problems.push(format!(
                "stop_words: {} words; the limit is {MAX_STOP_WORDS}",
                file.stop_words.len()
            ));
        }
        let mut stop_words = std::collections::HashSet::new();
        for w in &file.stop_words {
            // Stop words are compared after analysis; a word the analyzer drops needs no entry.
            for t in analyse(analyzer, w) {
                stop_words.insert(t);
            }
        }
        let mut goal_names = vec![String::new(); usize::from(crate::kpi::SDG_GOALS) + 1];
        let mut goal_phrases = Vec::new();
        for (i, g) in file.goals.iter().enumerate() {
            if !(1..=crate::kpi::SDG_GOALS).contains(&g.goal) {
                problems.push(format!(
                    "goals[{i}]: goal {} does not exist; the SDGs are numbered 1 to 17",
                    g.goal
                ));
                continue;
            }
            if !goal_names[usize::from(g.goal)].is_empty() {
                problems.push(format!("goals[{i}]: goal {} is named twice", g.goal));
                continue;
            }
            goal_names[usize::from(g.goal)] = g.name.clone();
            let phrases = std::iter::once(&g.name).chain(&g.terms).cloned().collect::<Vec<_>>();
            for p in analyse_list(analyzer, &phrases, &format!("goals[{i}]"), &mut problems) {
                goal_phrases.push((g.goal, p));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Vocabulary {
            goal_names,
            goal_phrases,
            kpi_terms,
            category_terms,
            groups,
            phrase_to_groups,
            stop_words,
            inference: file.inference.clone().unwrap_or_default(),
        })
    }

    /// An empty vocabulary (no lay terms, no synonyms), for tests and bare catalogues.
    pub fn empty(catalogue: &Catalogue) -> Vocabulary {
        Vocabulary {
            kpi_terms: vec![Vec::new(); catalogue.len()],
            category_terms: vec![Vec::new(); catalogue.categories().len()],
            groups: Vec::new(),
            phrase_to_groups: HashMap::new(),
            stop_words: Default::default(),
            inference: Default::default(),
            goal_names: vec![String::new(); usize::from(crate::kpi::SDG_GOALS) + 1],
            goal_phrases: Vec::new(),
        }
    }

    /// The Sustainable Development Goals a needs text asks for, in goal order: by number after
    /// a marker word ("SDG 6", "SDG6", "goals 6 and 11", "ODS 6", "objectif 13") or, when the
    /// text has a marker word, by a phrase that names the goal ("the clean water goal"). `terms`
    /// are the text's analysed terms (stop words kept).
    pub fn goals_in(&self, text: &str, terms: &[String]) -> Vec<u8> {
        // The goals' names in English, Spanish, Portuguese, French, Italian, German, Russian
        // (ЦУР), Norwegian and Arabic.
        const MARKERS: [&str; 28] = [
            "sdg",
            "sdgs",
            "goal",
            "goals",
            "ods",
            "odd",
            "odds",
            "objetivo",
            "objetivos",
            "objectif",
            "objectifs",
            "obiettivo",
            "obiettivi",
            "ziel",
            "ziele",
            "цур",
            "цель",
            "цели",
            "mål",
            "målet",
            "målene",
            "bærekraftsmål",
            "bærekraftsmålet",
            "bærekraftsmålene",
            "هدف",
            "الهدف",
            "أهداف",
            "الأهداف",
        ];
        const JOINERS: [&str; 11] = ["and", "or", "y", "e", "et", "und", "o", "ou", "и", "og", "و"];
        let lower = text.to_lowercase();
        let tokens: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        let goal = |t: &str| t.parse::<u8>().ok().filter(|g| (1..=crate::kpi::SDG_GOALS).contains(g));
        let mut goals = Vec::new();
        let mut marked = false;
        let mut i = 0;
        while i < tokens.len() {
            let t = tokens[i];
            i += 1;
            if let Some(g) = t.strip_prefix("sdg").and_then(goal) {
                goals.push(g);
                marked = true;
                continue;
            }
            if !MARKERS.contains(&t) {
                continue;
            }
            marked = true;
            while i < tokens.len() {
                if let Some(g) = goal(tokens[i]) {
                    goals.push(g);
                } else if !JOINERS.contains(&tokens[i]) {
                    break;
                }
                i += 1;
            }
        }
        if marked {
            for (g, phrase) in &self.goal_phrases {
                if terms.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
                    goals.push(*g);
                }
            }
        }
        goals.sort_unstable();
        goals.dedup();
        goals
    }

    /// The name of a Sustainable Development Goal ("Clean water and sanitation"), or `SDG n`
    /// when the vocabulary names none.
    pub fn goal_name(&self, goal: u8) -> String {
        match self.goal_names.get(usize::from(goal)) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("SDG {goal}"),
        }
    }

    /// Whether an analysed term is a query stop word.
    pub fn is_stop_word(&self, term: &str) -> bool {
        self.stop_words.contains(term)
    }

    /// Number of synonym groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The inference settings.
    pub fn inference(&self) -> &super::InferenceConfig {
        &self.inference
    }

    /// Expands analysed query terms with the synonyms of every phrase (1 to
    /// [`MAX_PHRASE_TERMS`] terms) they contain. The user's terms come first; each phrase adds at
    /// most [`limits::MAX_EXPANSIONS_PER_TERM`] new terms, and nothing is added twice.
    pub fn expand(&self, terms: &[String]) -> Vec<ExpandedTerm> {
        let mut out: Vec<ExpandedTerm> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in terms {
            if seen.insert(t.clone()) {
                out.push(ExpandedTerm {
                    term: t.clone(),
                    origin: TermOrigin::Query,
                });
            }
        }
        for start in 0..terms.len() {
            for len in 1..=MAX_PHRASE_TERMS.min(terms.len() - start) {
                let phrase = &terms[start..start + len];
                let Some(groups) = self.phrase_to_groups.get(phrase) else {
                    continue;
                };
                let mut added = 0;
                'groups: for &g in groups {
                    for member in &self.groups[g] {
                        for term in member {
                            if added >= limits::MAX_EXPANSIONS_PER_TERM {
                                break 'groups;
                            }
                            if seen.insert(term.clone()) {
                                out.push(ExpandedTerm {
                                    term: term.clone(),
                                    origin: TermOrigin::Synonym,
                                });
                                added += 1;
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The synonym groups' members (analysed), for building the KPI term profiles.
    pub(crate) fn groups_of(&self, phrase: &[String]) -> impl Iterator<Item = &Vec<String>> {
        self.phrase_to_groups
            .get(phrase)
            .into_iter()
            .flatten()
            .flat_map(move |&g| self.groups[g].iter())
    }
}

fn analyse_list(
    analyzer: &mut TextAnalyzer,
    terms: &[String],
    entry: &str,
    problems: &mut Vec<String>,
) -> Vec<Vec<String>> {
    if terms.len() > MAX_TERMS_PER_ENTRY {
        problems.push(format!(
            "{entry}: {} terms; the limit is {MAX_TERMS_PER_ENTRY}",
            terms.len()
        ));
    }
    let mut out = Vec::new();
    for t in terms.iter().take(MAX_TERMS_PER_ENTRY) {
        let analysed = analyse(analyzer, t);
        if analysed.is_empty() {
            problems.push(format!(
                "{entry}: '{t}' has no searchable word (only stop words or symbols)"
            ));
        } else if analysed.len() > MAX_PHRASE_TERMS {
            problems.push(format!("{entry}: '{t}' is longer than {MAX_PHRASE_TERMS} words"));
        } else if !out.contains(&analysed) {
            out.push(analysed);
        }
    }
    out
}

/// Loads `vocabulary.json` from a path.
pub(crate) fn read_file(path: &std::path::Path) -> Result<VocabularyFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::InvalidData {
        source_name: path.display().to_string(),
        problems: vec![crate::DataProblem {
            file: path.to_path_buf(),
            line: Some(e.line()),
            message: e.to_string(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::catalogue_tests_tiny as tiny;

    fn file() -> VocabularyFile {
        serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "kpis": {"EC:I:WS:3C": ["leaks", "non-revenue water", "burst pipes"]},
            "categories": {"water and sanitation": ["water", "sanitation"]},
            "synonyms": [["leak", "leakage", "water loss"], ["traffic jam", "congestion", "gridlock"]]
        }))
        .unwrap()
    }

    #[test]
    fn expands_single_terms_and_phrases_without_duplicates() {
        let v = Vocabulary::compile(&file(), &tiny()).unwrap();
        let mut a = english();
        let terms = analyse(&mut a, "traffic jams and leaks");
        let expanded: Vec<(String, TermOrigin)> = v.expand(&terms).into_iter().map(|t| (t.term, t.origin)).collect();
        assert_eq!(
            expanded[..3],
            [
                ("traffic".into(), TermOrigin::Query),
                ("jam".into(), TermOrigin::Query),
                ("leak".into(), TermOrigin::Query),
            ]
        );
        let added: Vec<&str> = expanded[3..].iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(added, ["congest", "gridlock", "leakag", "water", "loss"]);
    }

    #[test]
    fn unknown_codes_categories_and_oversize_groups_are_reported() {
        let mut f = file();
        f.kpis.insert("EC:I:WS:99C".into(), vec!["x".into()]);
        f.categories.insert("Space travel".into(), vec!["rocket".into()]);
        f.synonyms.push(vec!["alone".into()]);
        let problems = Vocabulary::compile(&f, &tiny()).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("EC:I:WS:99C"));
        assert!(problems[1].contains("Space travel"));
        assert!(problems[2].contains("synonyms[2]"));
    }
}
