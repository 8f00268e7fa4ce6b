use std::sync::Arc;

use serde::Serialize;

use super::{CityInput, MatchRequest, RankingProfile};
use crate::city::{City, GapAnalysis};
use crate::index::{analyse, TextQuery, WeightedTerm};
use crate::kpi::{Catalogue, KpiCode, KpiId};
use crate::limits;
use crate::vocab::{KpiMapper, TermOrigin, Vocabulary};
use crate::{Error, Result};

/// What building a plan reads from the engine.
pub(crate) struct PlanContext<'a> {
    pub(crate) catalogue: &'a Catalogue,
    pub(crate) vocabulary: &'a Vocabulary,
    pub(crate) mapper: &'a KpiMapper,
    pub(crate) analyzer: &'a tantivy::tokenizer::TextAnalyzer,
}

/// Why a KPI weighs in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    /// The city's gap only.
    Gap,
    /// The needs text only.
    Needs,
    /// Both the gap and the needs text.
    GapAndNeeds,
    /// An explicit focus in the request.
    Focus,
}

/// The weight a request gives one KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiWeight {
    /// Catalogue position.
    #[serde(skip)]
    pub kpi: KpiId,
    /// Canonical code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// qₖ, the query weight.
    pub weight: f32,
    /// The city's gap, when observed.
    pub gap: Option<f32>,
    /// How strongly the needs text maps to the KPI, [0, 1].
    pub needs: f32,
    /// Why it weighs.
    pub source: WeightSource,
}

/// A request turned into what the ranker executes: a text query and a KPI weight vector.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// The needs text used (possibly the city's stated needs).
    pub needs_text: String,
    /// Analysed terms written by the user.
    pub user_terms: Vec<String>,
    /// The text query (user terms and expansions).
    pub text: TextQuery,
    /// KPI weights with qₖ > 0, largest first.
    pub kpi_weights: Vec<KpiWeight>,
    /// Dense qₖ over the catalogue.
    pub q: Vec<f32>,
    /// The gap analysis of the city, when there is one.
    pub gaps: Option<Arc<GapAnalysis>>,
}

impl QueryPlan {
    /// Builds the plan of a request; `gaps` is the city's gap analysis (cached for stored cities).
    pub(crate) fn build(
        req: &MatchRequest,
        city: Option<&City>,
        gaps: Option<Arc<GapAnalysis>>,
        profile: &RankingProfile,
        ctx: &PlanContext<'_>,
    ) -> Result<QueryPlan> {
        let (catalogue, vocabulary, mapper) = (ctx.catalogue, ctx.vocabulary, ctx.mapper);
        let needs_text = match (&req.needs, city) {
            (Some(text), _) => text.clone(),
            (None, Some(c)) => c.needs.join(". "),
            (None, None) => String::new(),
        };
        if needs_text.chars().count() > limits::MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "needs",
                format!(
                    "is {} characters long; the limit is {}",
                    needs_text.chars().count(),
                    limits::MAX_QUERY_CHARS
                ),
            ));
        }
        let mut analyzer = ctx.analyzer.clone();
        let mut user_terms = analyse(&mut analyzer, &needs_text);
        user_terms.retain(|t| !vocabulary.is_stop_word(t));
        user_terms.truncate(limits::MAX_QUERY_TERMS);
        let expanded = vocabulary.expand(&user_terms);
        let weighted: Vec<WeightedTerm> = expanded
            .iter()
            .map(|t| WeightedTerm {
                term: t.term.clone(),
                weight: match t.origin {
                    TermOrigin::Query => 1.0,
                    TermOrigin::Synonym => profile.synonym_weight,
                },
            })
            .filter(|t| t.weight > 0.0)
            .collect();

        // Needs text → KPIs.
        let mut needs = vec![0f32; catalogue.len()];
        let matches = mapper.score_terms(weighted.iter().map(|t| (t.term.as_str(), t.weight)), false);
        if let Some(best) = matches.first().map(|m| m.score) {
            for m in matches.iter().take(profile.needs_max_kpis) {
                let rel = m.score / best;
                if rel >= profile.needs_min_relative {
                    needs[m.kpi] = rel;
                }
            }
        }
        // Explicit focus: codes or category names.
        let mut focus = vec![false; catalogue.len()];
        if req.focus.len() > limits::MAX_FILTER_ITEMS {
            return Err(Error::invalid(
                "kpis",
                format!(
                    "has {} items; the limit is {}",
                    req.focus.len(),
                    limits::MAX_FILTER_ITEMS
                ),
            ));
        }
        for (i, f) in req.focus.iter().enumerate() {
            let ids = match catalogue.kpis_in_category(f) {
                Some(ids) => ids,
                None => vec![catalogue.resolve(f).map_err(|_| {
                    Error::invalid(
                        format!("kpis[{i}]"),
                        format!(
                            "'{}' is neither a U4SSC KPI code nor a category name",
                            f.chars().take(80).collect::<String>()
                        ),
                    )
                })?],
            };
            for id in ids {
                focus[id] = true;
            }
        }
        let mut gap: Vec<Option<f32>> = vec![None; catalogue.len()];
        if let Some(g) = &gaps {
            let take = if profile.gap_top_k == 0 {
                usize::MAX
            } else {
                profile.gap_top_k
            };
            for (rank, k) in g.kpis.iter().enumerate() {
                gap[k.kpi] = Some(if rank < take { k.gap as f32 } else { 0.0 });
            }
        }
        let mut q = vec![0f32; catalogue.len()];
        let mut kpi_weights = Vec::new();
        for (id, kpi) in catalogue.kpis().iter().enumerate() {
            let c = if kpi.core { 1.0 } else { profile.advanced_weight };
            let g = match (gap[id], &gaps) {
                (Some(g), _) => g,
                (None, Some(_)) => profile.missing_gap,
                (None, None) => 0.0,
            };
            let m = if focus[id] { 1.0f32.max(needs[id]) } else { needs[id] };
            let w = c
                * (profile.gap_weight * g.powf(profile.gap_exponent)
                    + profile.needs_weight * m
                    + profile.needs_gap_weight * g * m);
            if w > 0.0 && w.is_finite() {
                q[id] = w;
                let source = if focus[id] {
                    WeightSource::Focus
                } else if g > 0.0 && m > 0.0 {
                    WeightSource::GapAndNeeds
                } else if m > 0.0 {
                    WeightSource::Needs
                } else {
                    WeightSource::Gap
                };
                kpi_weights.push(KpiWeight {
                    kpi: id,
                    code: kpi.code.clone(),
                    name: kpi.name.clone(),
                    weight: w,
                    gap: gap[id],
                    needs: needs[id],
                    source,
                });
            }
        }
        kpi_weights.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.kpi.cmp(&b.kpi)));
        let text = TextQuery {
            terms: if profile.text_weight > 0.0 {
                weighted
            } else {
                Vec::new()
            },
            boosts: profile.boosts.clone(),
        };
        Ok(QueryPlan {
            needs_text,
            user_terms,
            text,
            kpi_weights,
            q,
            gaps,
        })
    }
}

/// Resolves the city of a request.
pub(crate) fn resolve_city<'a>(
    input: &'a Option<CityInput>,
    lookup: impl Fn(&str) -> Option<&'a City>,
    catalogue: &Catalogue,
) -> Result<Option<&'a City>> {
    match input {
        None => Ok(None),
        Some(CityInput::Id(id)) => lookup(id).map(Some).ok_or_else(|| Error::NotFound {
            entity: "city",
            id: id.chars().take(80).collect(),
        }),
        Some(CityInput::Inline(c)) => {
            if let Some(e) = c.problems(catalogue).into_iter().next() {
                return Err(match e {
                    Error::InvalidField { field, message } => Error::InvalidField {
                        field: format!("city.{field}"),
                        message,
                    },
                    Error::UnknownKpiAt { field, code } => Error::UnknownKpiAt {
                        field: format!("city.{field}"),
                        code,
                    },
                    other => other,
                });
            }
            Ok(Some(c))
        }
    }
}
