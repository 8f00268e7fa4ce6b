use kpimatch_engine::ranking::{
    CityInput, Explanation, Filters, KpiWeight, MatchRequest, MatchResponse, NotReturned, NotReturnedReason,
    WeightSource,
};
use kpimatch_engine::solution::{CostBand, Maturity, ProviderType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cities::CityBody;
use super::peers::AdoptionView;
use super::solutions::provenance;
use crate::error::{ApiError, Code};

/// Hard filters: any value of a list matches, every list must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FiltersBody {
    /// Maturities accepted: `concept`, `pilot`, `proven`, `scaled`.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["proven", "scaled"]))]
    pub maturity: Vec<Maturity>,
    /// Cost bands accepted: `low`, `medium`, `high`.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["low", "medium"]))]
    pub cost_band: Vec<CostBand>,
    /// Provider types accepted: `company`, `startup`, `expert`, `city`, `research`, `ngo`.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["city", "expert"]))]
    pub provider_type: Vec<ProviderType>,
    /// Regions accepted (solutions serving `Global` match any).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Categories accepted (case-insensitive).
    #[serde(default)]
    pub categories: Vec<String>,
    /// KPI codes: the solution must address at least one.
    #[serde(default)]
    pub kpis: Vec<String>,
    /// Solution ids never to return.
    #[serde(default)]
    pub exclude_ids: Vec<String>,
}

impl From<FiltersBody> for Filters {
    fn from(f: FiltersBody) -> Filters {
        Filters {
            maturity: f.maturity,
            cost_band: f.cost_band,
            provider_type: f.provider_type,
            regions: f.regions,
            categories: f.categories,
            kpis: f.kpis,
            exclude_ids: f.exclude_ids,
        }
    }
}

/// A match request: a stored or inline city, a needs text, KPI focus, filters and paging.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "city_id": "qasr-alwan",
    "needs": "what fixes our water KPIs?",
    "filters": {"maturity": ["proven", "scaled"]},
    "limit": 5,
    "explain": true
}))]
pub struct MatchBody {
    /// A stored city (its gaps drive the KPI part).
    pub city_id: Option<String>,
    /// An inline city instead of a stored one (not stored).
    pub city: Option<CityBody>,
    /// Needs in plain words (at most 2,000 characters). Omitted: the city's stated needs;
    /// `""`: pure gap ranking.
    #[schema(max_length = 2000)]
    pub needs: Option<String>,
    /// The language of the needs text, as a BCP 47 tag (`es`, `pt-BR`, `zh`; at most 35
    /// characters). Omitted: detected from the text. A language kpimatch does not support is
    /// accepted; its words then match nothing (the ranking is the one without text).
    #[schema(max_length = 35, example = "es")]
    pub lang: Option<String>,
    /// KPI codes or category names to focus on (without a city: pure focus ranking).
    #[serde(default)]
    pub kpis: Vec<String>,
    /// Sustainable Development Goals (1–17, at most 17) to focus on: the KPIs serving them
    /// weigh by the city's gap (fully without a city). Goals named in the needs text ("SDG 6",
    /// "goals 6 and 11", "the clean water goal") are added.
    #[serde(default)]
    #[schema(example = json!([6, 11]))]
    pub sdgs: Vec<u8>,
    /// Hard filters.
    #[serde(default)]
    pub filters: FiltersBody,
    /// Results wanted, 1–100 (default 10).
    #[schema(minimum = 1, maximum = 100, default = 10)]
    pub limit: Option<usize>,
    /// Results skipped (default 0, at most 10,000).
    pub offset: Option<usize>,
    /// Diversity 0–1 (default 0): penalise solutions whose KPI profile repeats those above.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub diversity: Option<f32>,
    /// Include explanations (default true).
    pub explain: Option<bool>,
    /// Ranking profile (default profile when omitted).
    pub profile: Option<String>,
    /// Solutions to explain when they are not on the page ("why not X?"), at most 20: each gets
    /// an entry in `not_returned` with the filter that excluded it, or its rank, score and
    /// explanation, or that it does not exist.
    #[serde(default)]
    #[schema(max_items = 20, example = json!(["aquatrace-leak-detection"]))]
    pub explain_ids: Vec<String>,
}

impl MatchBody {
    /// The engine request.
    pub fn into_request(self) -> Result<MatchRequest, ApiError> {
        let city = match (self.city_id, self.city) {
            (Some(_), Some(_)) => {
                return Err(
                    ApiError::new(Code::InvalidField, "give either city_id or an inline city, not both").field("city"),
                )
            }
            (Some(id), None) => Some(CityInput::Id(id)),
            (None, Some(c)) => Some(CityInput::Inline(Box::new(c.into_city("inline", "city.")?))),
            (None, None) => None,
        };
        let limit = self.limit.unwrap_or(10);
        if limit == 0 {
            return Err(ApiError::new(Code::InvalidField, "limit must be between 1 and 100").field("limit"));
        }
        if city.is_none()
            && self.kpis.is_empty()
            && self.sdgs.is_empty()
            && self.needs.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            return Err(ApiError::new(
                Code::InvalidField,
                "nothing to match on: give a city (city_id or city), a needs text, KPI focus (kpis) or SDG focus (sdgs)",
            )
            .field("needs"));
        }
        let f = self.filters;
        Ok(MatchRequest {
            city,
            needs: self.needs,
            lang: self.lang,
            focus: self.kpis,
            sdgs: self.sdgs,
            filters: f.into(),
            limit,
            offset: self.offset.unwrap_or(0),
            diversity: self.diversity.unwrap_or(0.0),
            explain: self.explain.unwrap_or(true),
            profile: self.profile,
            explain_ids: self.explain_ids,
        })
    }
}

/// `GET /v1/search` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The question in plain words, e.g. "what fixes our water KPIs?" (1–2,000 characters).
    #[param(example = "what fixes our water KPIs?", min_length = 1, max_length = 2000)]
    pub q: String,
    /// A stored city whose gaps also count.
    pub city_id: Option<String>,
    /// The question's language (BCP 47, at most 35 characters); detected when omitted.
    #[param(example = "es", max_length = 35)]
    pub lang: Option<String>,
    /// Results wanted, 1–100 (default 10).
    pub limit: Option<usize>,
    /// Results skipped.
    pub offset: Option<usize>,
    /// Ranking profile.
    pub profile: Option<String>,
    /// Include explanations (default true).
    pub explain: Option<bool>,
}

/// A query term found in a solution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextMatchView {
    /// The analysed (stemmed) term.
    pub term: String,
    /// Added by the domain vocabulary rather than typed by the user.
    pub from_synonym: bool,
    /// Fields it occurs in.
    pub fields: Vec<String>,
}

/// One KPI's share of a result's score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiContributionView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Points of the score from this KPI.
    pub contribution: f32,
    /// The city's latest value.
    pub city_value: Option<f64>,
    /// Target used.
    pub target: Option<f64>,
    /// Unit.
    pub unit: String,
    /// The city's gap (0–1).
    pub gap: Option<f32>,
    /// How strongly the needs text asked for this KPI (0–1).
    pub needs: f32,
    /// Why the KPI weighs: `gap`, `needs`, `gap_and_needs`, `focus` or `sdg`.
    pub source: String,
    /// The goals of the request's SDG focus this KPI served (empty without SDG focus).
    pub sdgs: Vec<u8>,
    /// The solution's impact on the KPI.
    pub impact: f32,
    /// `declared` or `inferred`.
    pub provenance: String,
    /// Confidence of the impact.
    pub confidence: f32,
}

/// Why a result got its score; `text + kpi + evidence + dense − diversity_penalty = score`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExplanationView {
    /// Text part.
    pub text: f32,
    /// Query terms found, with fields.
    pub matched_terms: Vec<TextMatchView>,
    /// KPI part (sum of the contributions).
    pub kpi: f32,
    /// Contributing KPIs, largest first.
    pub kpis: Vec<KpiContributionView>,
    /// Adoption evidence part: similar cities that piloted or deployed the solution and do
    /// well (or improved) on the city's weak KPIs add to it; those that discontinued it
    /// subtract. Sum of `adoptions[*].contribution`; 0 without evidence.
    pub evidence: f32,
    /// The adoptions behind `evidence`, largest share first.
    pub adoptions: Vec<AdoptionView>,
    /// Meaning part (the semantic stage): how close the needs text and the solution's text are
    /// in a sentence-embedding model, beyond shared words; 0 when the stage is off, the needs
    /// text is empty or in a language the model does not read.
    pub dense: f32,
    /// The cosine of the two sentence embeddings behind `dense`, when they were compared.
    pub dense_cosine: Option<f32>,
    /// Penalty for repeating KPIs of results above (diversity).
    pub diversity_penalty: f32,
    /// The score.
    pub score: f32,
}

fn source(s: WeightSource) -> &'static str {
    match s {
        WeightSource::Gap => "gap",
        WeightSource::Needs => "needs",
        WeightSource::GapAndNeeds => "gap_and_needs",
        WeightSource::Focus => "focus",
        WeightSource::Sdg => "sdg",
    }
}

impl From<&Explanation> for ExplanationView {
    fn from(e: &Explanation) -> ExplanationView {
        ExplanationView {
            text: e.text,
            matched_terms: e
                .matched_terms
                .iter()
                .map(|m| TextMatchView {
                    term: m.term.clone(),
                    from_synonym: m.from_synonym,
                    fields: m.fields.iter().map(|f| f.to_string()).collect(),
                })
                .collect(),
            kpi: e.kpi,
            kpis: e
                .kpis
                .iter()
                .map(|k| KpiContributionView {
                    code: k.code.to_string(),
                    name: k.name.clone(),
                    contribution: k.contribution,
                    city_value: k.city_value,
                    target: k.target,
                    unit: k.unit.clone(),
                    gap: k.gap,
                    needs: k.needs,
                    source: source(k.source).into(),
                    sdgs: k.sdgs.clone(),
                    impact: k.impact,
                    provenance: provenance(k.provenance).into(),
                    confidence: k.confidence,
                })
                .collect(),
            evidence: e.evidence,
            adoptions: e.adoptions.iter().map(AdoptionView::from).collect(),
            dense: e.dense,
            dense_cosine: e.dense_cosine,
            diversity_penalty: e.diversity_penalty,
            score: e.score,
        }
    }
}

/// One ranked solution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchResultView {
    /// 1-based rank.
    pub rank: usize,
    /// Solution id.
    pub solution_id: String,
    /// Title.
    pub title: String,
    /// Provider.
    pub provider: String,
    /// `company`, `startup`, `expert`, `city`, `research` or `ngo`.
    #[schema(example = "company")]
    pub provider_type: String,
    /// Summary.
    pub summary: String,
    /// The language the solution is written in (BCP 47 primary subtag, declared or detected).
    #[schema(example = "en")]
    pub lang: String,
    /// Score.
    pub score: f32,
    /// Explanation (unless `explain` was false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<ExplanationView>,
}

/// The filter that kept a solution out.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilterMissView {
    /// The request field (`filters.maturity`, `filters.regions`, …).
    #[schema(example = "filters.maturity")]
    pub field: String,
    /// What the solution has for it.
    #[schema(example = "pilot")]
    pub value: String,
    /// What the filter accepts.
    #[schema(example = "proven, scaled")]
    pub accepted: String,
}

/// Why a solution named in `explain_ids` is not on the page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotReturnedView {
    /// The id asked about.
    pub solution_id: String,
    /// `not_found`, `filtered`, `no_score` (no needs word, none of the weighed KPIs),
    /// `ranked_lower`, `earlier_page` or `diversity` (the diversity penalty moved it off).
    #[schema(example = "ranked_lower")]
    pub reason: String,
    /// The reason in a sentence, with the numbers.
    #[schema(example = "It ranks 14th with 0.412, 0.081 below the last result shown (0.493).")]
    pub message: String,
    /// Its rank by score (before any diversity penalty), when ranked.
    pub rank: Option<usize>,
    /// Its score, when ranked.
    pub score: Option<f32>,
    /// How far below the last result on the page its score is (`ranked_lower` only; never
    /// negative).
    pub score_gap: Option<f32>,
    /// Its full explanation, when ranked (the parts add up to `score`).
    pub explanation: Option<ExplanationView>,
    /// The filter that excluded it.
    pub filter: Option<FilterMissView>,
}

impl From<&NotReturned> for NotReturnedView {
    fn from(n: &NotReturned) -> NotReturnedView {
        NotReturnedView {
            solution_id: n.solution_id.clone(),
            reason: match n.reason {
                NotReturnedReason::NotFound => "not_found",
                NotReturnedReason::Filtered => "filtered",
                NotReturnedReason::NoScore => "no_score",
                NotReturnedReason::RankedLower => "ranked_lower",
                NotReturnedReason::EarlierPage => "earlier_page",
                NotReturnedReason::Diversity => "diversity",
            }
            .into(),
            message: n.message.clone(),
            rank: n.rank,
            score: n.score,
            score_gap: n.score_gap,
            explanation: n.explanation.as_ref().map(ExplanationView::from),
            filter: n.filter.as_ref().map(|f| FilterMissView {
                field: f.field.clone(),
                value: f.value.clone(),
                accepted: f.accepted.clone(),
            }),
        }
    }
}

/// A KPI weight the request used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapUsedView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Query weight qₖ.
    pub weight: f32,
    /// The city's gap, when observed.
    pub gap: Option<f32>,
    /// Needs-text mapping strength.
    pub needs: f32,
    /// `gap`, `needs`, `gap_and_needs`, `focus` or `sdg`.
    pub source: String,
    /// The goals of the request's SDG focus this KPI serves.
    pub sdgs: Vec<u8>,
}

impl From<&KpiWeight> for GapUsedView {
    fn from(w: &KpiWeight) -> GapUsedView {
        GapUsedView {
            code: w.code.to_string(),
            name: w.name.clone(),
            weight: w.weight,
            gap: w.gap,
            needs: w.needs,
            source: source(w.source).into(),
            sdgs: w.sdgs.clone(),
        }
    }
}

/// The language a needs text was read in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedsLangView {
    /// Language code: BCP 47 (`es`) for a supported language, the detector's ISO 639-3 code
    /// (`jpn`) or the declared tag for one kpimatch does not support.
    #[schema(example = "es")]
    pub code: String,
    /// The language's English name, when supported.
    #[schema(example = "Spanish")]
    pub name: Option<String>,
    /// Whether kpimatch analyses this language; when not, the text's words matched nothing and
    /// the ranking is the one without text.
    pub supported: bool,
    /// `declared` (the request's `lang`), `detected` or `default` (too little text: English).
    #[schema(example = "detected")]
    pub source: String,
    /// The detector's confidence in [0, 1] (1 when declared).
    pub confidence: f32,
}

impl From<&kpimatch_engine::lang::LangChoice> for NeedsLangView {
    fn from(c: &kpimatch_engine::lang::LangChoice) -> Self {
        NeedsLangView {
            code: c.code.clone(),
            name: c.lang.map(|l| l.name().to_string()),
            supported: c.lang.is_some(),
            source: match c.source {
                kpimatch_engine::lang::LangSource::Declared => "declared",
                kpimatch_engine::lang::LangSource::Detected => "detected",
                kpimatch_engine::lang::LangSource::Default => "default",
            }
            .to_string(),
            confidence: c.confidence,
        }
    }
}

/// The ranked answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchResponseBody {
    /// Id of this request (quote it in feedback).
    pub request_id: String,
    /// Results of the requested page.
    pub results: Vec<MatchResultView>,
    /// KPI weights used, largest first.
    pub gaps_used: Vec<GapUsedView>,
    /// The needs text used.
    pub needs_text: String,
    /// The language the needs text was read in; its words matched solutions written in that
    /// language, and its vocabulary mapped them to KPIs.
    pub needs_lang: NeedsLangView,
    /// The analysed query terms.
    pub query_terms: Vec<String>,
    /// The Sustainable Development Goals the request focused on (`sdgs` and goals named in the
    /// needs text).
    pub sdgs: Vec<u8>,
    /// Ranking profile used.
    pub profile: String,
    /// For each solution of `explain_ids` that is not on this page, why not (empty otherwise).
    pub not_returned: Vec<NotReturnedView>,
    /// Time taken, milliseconds.
    pub took_ms: f64,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

impl MatchResponseBody {
    /// The body of an engine response (request id and timing filled in by the caller).
    pub fn new(r: &MatchResponse) -> MatchResponseBody {
        MatchResponseBody {
            request_id: String::new(),
            results: r
                .results
                .iter()
                .map(|m| MatchResultView {
                    rank: m.rank,
                    solution_id: m.solution_id.clone(),
                    title: m.title.clone(),
                    provider: m.provider.clone(),
                    provider_type: m.provider_type.as_str().to_string(),
                    summary: m.summary.clone(),
                    lang: m.lang.code().to_string(),
                    score: m.score,
                    explanation: m.explanation.as_ref().map(ExplanationView::from),
                })
                .collect(),
            gaps_used: r.gaps_used.iter().map(GapUsedView::from).collect(),
            needs_text: r.needs_text.clone(),
            needs_lang: NeedsLangView::from(&r.lang),
            query_terms: r.query_terms.clone(),
            sdgs: r.sdgs.clone(),
            profile: r.profile.clone(),
            not_returned: r.not_returned.iter().map(NotReturnedView::from).collect(),
            took_ms: 0.0,
            cached: false,
        }
    }
}
