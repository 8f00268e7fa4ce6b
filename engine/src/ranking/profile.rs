use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::index::TextFieldBoosts;
use crate::{DataProblem, Error, Result};

/// A ranking profile: every weight of the hybrid ranking, as data.
///
/// The final score of a solution is `text + kpi + evidence − diversity`, where
/// * `text = text_weight × BM25(query) / best BM25 of the request` (0 without a needs text),
/// * `kpi = kpi_weight × (1 − exp(−Σₖ qₖ · impactₖ / kpi_scale))`, with the query weight
///   `qₖ = cₖ · (gap_weight · gapₖ^gap_exponent + needs_weight · mₖ + needs_gap_weight · gapₖ · mₖ)`:
///   `gapₖ` the city's distance to target, `mₖ` how strongly the needs text maps to KPI k,
///   `cₖ` 1 for core and `advanced_weight` for advanced KPIs; inferred impacts are multiplied by
///   `inferred_weight`,
/// * `evidence = evidence_weight × R / (1 + |R|)`, with `R` the similarity-weighted votes of
///   the requesting city's peers that piloted, deployed or discontinued the solution (see
///   [`crate::peers`]); absent without deployments or with `evidence_weight = 0`,
/// * `dense = dense_weight × clamp((cos − dense_floor) / (1 − dense_floor), 0, 1)`, with `cos`
///   the cosine of the needs text's and the solution's sentence embeddings (see
///   [`crate::semantic`]); absent without a model, a needs text or an embedding of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingProfile {
    /// Format version (1).
    pub format_version: u32,
    /// Name used in requests.
    pub name: String,
    /// What this profile is for.
    #[serde(default)]
    pub description: String,
    /// Weight of the text part.
    pub text_weight: f32,
    /// Weight of the KPI part.
    pub kpi_weight: f32,
    /// Field boosts of the text part.
    pub boosts: TextFieldBoosts,
    /// Weight of synonym expansions relative to the user's own terms.
    pub synonym_weight: f32,
    /// Exponent on the gap: above 1 favours the largest gaps.
    pub gap_exponent: f32,
    /// Weight of the gap term of qₖ.
    pub gap_weight: f32,
    /// Weight of the needs-mapping term of qₖ.
    pub needs_weight: f32,
    /// Weight of the gap × needs interaction term of qₖ.
    pub needs_gap_weight: f32,
    /// Multiplier for advanced KPIs (core KPIs have 1).
    pub advanced_weight: f32,
    /// Gap assumed for a KPI the city does not report (0 = ignore missing data).
    pub missing_gap: f32,
    /// Multiplier for inferred (not declared) impacts.
    pub inferred_weight: f32,
    /// Scale of the saturation of the KPI part.
    pub kpi_scale: f32,
    /// A needs-text KPI mapping is kept when at least this share of the best mapping.
    pub needs_min_relative: f32,
    /// At most this many KPIs are taken from a needs text.
    pub needs_max_kpis: usize,
    /// Only the city's this-many weakest KPIs enter the gap term (0 = all).
    pub gap_top_k: usize,
    /// Weight of the adoption evidence from peer cities (0 = none; absent in older files).
    #[serde(default)]
    pub evidence_weight: f32,
    /// How strongly a needs text must map to its best KPI (the mapper's raw score) to count in
    /// full; a weaker mapping counts in proportion (0 = always in full; absent in older files).
    /// A question whose words the vocabulary barely knows then falls back towards the gap-only
    /// ranking instead of amplifying whatever KPI a stray word touched.
    #[serde(default)]
    pub needs_confidence: f32,
    /// Weight of the dense (sentence-embedding) part (0 = lexical only; absent in older files).
    #[serde(default)]
    pub dense_weight: f32,
    /// Cosine at or below which the dense part is 0 (unrelated texts still have a positive
    /// cosine; absent in older files).
    #[serde(default)]
    pub dense_floor: f32,
}

impl Default for RankingProfile {
    fn default() -> Self {
        RankingProfile {
            format_version: 1,
            name: "default".into(),
            description: "Hybrid ranking: text relevance of the needs plus the city's KPI gaps.".into(),
            text_weight: 0.5,
            kpi_weight: 0.5,
            boosts: TextFieldBoosts::default(),
            synonym_weight: 0.4,
            gap_exponent: 1.0,
            gap_weight: 1.0,
            needs_weight: 1.0,
            needs_gap_weight: 1.0,
            advanced_weight: 0.8,
            missing_gap: 0.0,
            inferred_weight: 0.8,
            kpi_scale: 1.0,
            needs_min_relative: 0.35,
            needs_max_kpis: 12,
            gap_top_k: 0,
            evidence_weight: 0.0,
            needs_confidence: 0.0,
            dense_weight: 0.0,
            dense_floor: 0.0,
        }
    }
}

impl RankingProfile {
    /// Text-only ablation of a profile: its BM25 part (fields, vocabulary) with no KPI part.
    pub fn text_only(base: &RankingProfile) -> RankingProfile {
        RankingProfile {
            name: "text-only".into(),
            description: format!(
                "The text part of '{}' alone: BM25 over the solution text with the domain vocabulary; no KPI scoring.",
                base.name
            ),
            text_weight: 1.0,
            kpi_weight: 0.0,
            evidence_weight: 0.0,
            dense_weight: 0.0,
            ..base.clone()
        }
    }

    /// KPI-only ablation of a profile: its KPI part (gaps, needs mapping, profiles) alone.
    pub fn kpi_only(base: &RankingProfile) -> RankingProfile {
        RankingProfile {
            name: "kpi-only".into(),
            description: format!(
                "The KPI part of '{}' alone: gaps and needs-mapped KPIs against solution profiles; no text scoring.",
                base.name
            ),
            text_weight: 0.0,
            kpi_weight: 1.0,
            evidence_weight: 0.0,
            ..base.clone()
        }
    }

    /// No-evidence ablation of a profile: its text and KPI parts without adoption evidence.
    pub fn no_evidence(base: &RankingProfile) -> RankingProfile {
        RankingProfile {
            name: "no-evidence".into(),
            description: format!(
                "'{}' without adoption evidence from peer cities: text and KPI parts only.",
                base.name
            ),
            evidence_weight: 0.0,
            ..base.clone()
        }
    }

    /// Lexical ablation of a profile: everything but the dense (sentence-embedding) part.
    pub fn lexical(base: &RankingProfile) -> RankingProfile {
        RankingProfile {
            name: "lexical".into(),
            description: format!(
                "'{}' without the semantic stage: text, KPI and evidence parts only.",
                base.name
            ),
            dense_weight: 0.0,
            ..base.clone()
        }
    }

    /// Every problem with the profile's values.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.format_version != 1 {
            p.push(format!(
                "format_version {} is not supported (expected 1)",
                self.format_version
            ));
        }
        let nonneg = [
            ("text_weight", self.text_weight),
            ("kpi_weight", self.kpi_weight),
            ("boosts.all", self.boosts.all),
            ("boosts.title", self.boosts.title),
            ("boosts.tags", self.boosts.tags),
            ("boosts.summary", self.boosts.summary),
            ("synonym_weight", self.synonym_weight),
            ("gap_weight", self.gap_weight),
            ("needs_weight", self.needs_weight),
            ("needs_gap_weight", self.needs_gap_weight),
            ("advanced_weight", self.advanced_weight),
            ("missing_gap", self.missing_gap),
            ("inferred_weight", self.inferred_weight),
            ("needs_min_relative", self.needs_min_relative),
            ("evidence_weight", self.evidence_weight),
            ("needs_confidence", self.needs_confidence),
            ("dense_weight", self.dense_weight),
        ];
        for (name, v) in nonneg {
            if !(v.is_finite() && v >= 0.0) {
                p.push(format!("{name} is {v}; it must be a finite number ≥ 0"));
            }
        }
        for (name, v) in [("gap_exponent", self.gap_exponent), ("kpi_scale", self.kpi_scale)] {
            if !(v.is_finite() && v > 0.0) {
                p.push(format!("{name} is {v}; it must be a finite number > 0"));
            }
        }
        if !(self.dense_floor.is_finite() && (0.0..1.0).contains(&self.dense_floor)) {
            p.push(format!("dense_floor is {}; it must be in [0, 1)", self.dense_floor));
        }
        if self.missing_gap > 1.0 || self.needs_min_relative > 1.0 {
            p.push("missing_gap and needs_min_relative must be at most 1".into());
        }
        if self.text_weight + self.kpi_weight + self.dense_weight <= 0.0 {
            p.push("text_weight, kpi_weight and dense_weight cannot all be 0".into());
        }
        if self.name.trim().is_empty() {
            p.push("name must not be blank".into());
        }
        p
    }

    /// Reads and validates a profile file.
    pub fn read(path: &Path) -> Result<RankingProfile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let problem = |line: Option<usize>, message: String| Error::InvalidData {
            source_name: path.display().to_string(),
            problems: vec![DataProblem {
                file: path.to_path_buf(),
                line,
                message,
            }],
        };
        let profile: RankingProfile =
            serde_json::from_str(&text).map_err(|e| problem(Some(e.line()), e.to_string()))?;
        if let Some(first) = profile.problems().into_iter().next() {
            return Err(problem(None, first));
        }
        Ok(profile)
    }

    /// Writes the profile as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }
}

/// The ranking profiles a deployment offers, by name; one of them is the default.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    profiles: BTreeMap<String, RankingProfile>,
    default: String,
}

impl ProfileSet {
    /// A set with the given profiles; `default` names the one used when a request names none.
    /// Unless given explicitly, `text-only`, `kpi-only`, `no-evidence` and `lexical` are added as
    /// ablations of the default profile, so they compare like with like.
    pub fn new(profiles: Vec<RankingProfile>, default: &str) -> Result<ProfileSet> {
        let mut map = BTreeMap::new();
        for p in profiles {
            map.insert(p.name.clone(), p);
        }
        let Some(base) = map.get(default).cloned() else {
            return Err(Error::NotFound {
                entity: "profile",
                id: default.to_string(),
            });
        };
        for p in [
            RankingProfile::text_only(&base),
            RankingProfile::kpi_only(&base),
            RankingProfile::no_evidence(&base),
            RankingProfile::lexical(&base),
        ] {
            map.entry(p.name.clone()).or_insert(p);
        }
        Ok(ProfileSet {
            profiles: map,
            default: default.to_string(),
        })
    }

    /// A profile by name, or the default one.
    pub fn get(&self, name: Option<&str>) -> Result<&RankingProfile> {
        let name = name.unwrap_or(&self.default);
        self.profiles.get(name).ok_or_else(|| Error::NotFound {
            entity: "profile",
            id: name.to_string(),
        })
    }

    /// Adds or replaces a profile.
    pub fn insert(&mut self, profile: RankingProfile) {
        self.profiles.insert(profile.name.clone(), profile);
    }

    /// All profiles by name.
    pub fn iter(&self) -> impl Iterator<Item = &RankingProfile> {
        self.profiles.values()
    }

    /// The default profile's name.
    pub fn default_name(&self) -> &str {
        &self.default
    }
}
