use kpimatch_engine::index::StoredSolution;
use kpimatch_engine::kpi::{Catalogue, KpiCode};
use kpimatch_engine::solution::{CostBand, KpiImpact, Maturity, Provenance, ProviderType, Solution};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Code};

/// A declared effect on a KPI.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiImpactBody {
    /// U4SSC KPI code, any spacing and case (`EC: I: WS: 3C`).
    #[schema(example = "EC:I:WS:3C")]
    pub code: String,
    /// How strongly the solution moves the KPI, in (0, 1].
    #[schema(minimum = 0.0, maximum = 1.0, example = 0.8)]
    pub impact: f64,
}

/// A solution as a marketplace sends it (the id is in the path).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "AquaTrace Acoustic Leak Detection",
    "provider": "AquaTrace Systems",
    "provider_type": "startup",
    "summary": "Acoustic loggers that find hidden leaks in water mains.",
    "description": "Battery loggers clip onto valves and listen at night; the cloud service correlates their recordings to pinpoint leaks within a metre.",
    "categories": ["Environment"],
    "tags": ["leak detection", "non-revenue water"],
    "regions": ["Europe"],
    "reference_cities": ["Norrvik"],
    "kpis": [{"code": "EC:I:WS:3C", "impact": 0.9}],
    "sdgs": [6],
    "maturity": "proven",
    "cost_band": "medium",
    "url": "https://aquatrace.example"
}))]
pub struct SolutionBody {
    /// Title (required, at most 300 characters).
    pub title: String,
    /// Provider.
    #[serde(default)]
    pub provider: String,
    /// Who offers it: `company` (the default), `startup`, `expert` (a person's or small firm's
    /// advisory service), `city` (a city offering what it built: open-source tools, twinning,
    /// training), `research` or `ngo`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "startup")]
    pub provider_type: Option<ProviderType>,
    /// One-sentence summary (at most 2,000 characters).
    #[serde(default)]
    pub summary: String,
    /// A paragraph of description (at most 20,000 characters).
    #[serde(default)]
    pub description: String,
    /// The language the text is written in, as a BCP 47 tag (`es`, `pt-BR`, `zh-Hans`; at
    /// most 35 characters). Omitted: detected from the text.
    #[schema(max_length = 35, example = "es")]
    #[serde(default)]
    pub lang: Option<String>,
    /// Categories, e.g. the Smart City Wheel (Economy, Environment, Government, Living, Mobility, People).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Regions served (`Global` matches every region filter).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Reference cities.
    #[serde(default)]
    pub reference_cities: Vec<String>,
    /// Declared KPI impacts (optional; solutions without them get an inferred profile).
    #[serde(default)]
    pub kpis: Vec<KpiImpactBody>,
    /// SDGs, 1–17.
    #[serde(default)]
    pub sdgs: Vec<u8>,
    /// `concept`, `pilot`, `proven` or `scaled`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "proven")]
    pub maturity: Option<Maturity>,
    /// `low`, `medium` or `high`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "medium")]
    pub cost_band: Option<CostBand>,
    /// Provider's page.
    #[serde(default)]
    pub url: Option<String>,
}

impl SolutionBody {
    /// The engine's solution with the given id; KPI codes are normalised, a malformed one is a
    /// 422 naming `kpis[i].code`.
    pub fn into_solution(self, id: &str) -> Result<Solution, ApiError> {
        let mut kpis = Vec::with_capacity(self.kpis.len());
        for (i, k) in self.kpis.into_iter().enumerate() {
            let code = KpiCode::parse(&k.code)
                .map_err(|e| ApiError::new(Code::UnknownKpi, e.to_string()).field(format!("kpis[{i}].code")))?;
            kpis.push(KpiImpact { code, impact: k.impact });
        }
        Ok(Solution {
            id: id.to_string(),
            title: self.title,
            provider: self.provider,
            provider_type: self.provider_type.unwrap_or_default(),
            summary: self.summary,
            description: self.description,
            lang: self.lang,
            categories: self.categories,
            tags: self.tags,
            regions: self.regions,
            reference_cities: self.reference_cities,
            kpis,
            sdgs: self.sdgs,
            maturity: self.maturity,
            cost_band: self.cost_band,
            url: self.url,
        })
    }
}

/// One entry of the KPI profile kpimatch uses for a solution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileEntryView {
    /// KPI code.
    #[schema(example = "EC:I:WS:3C")]
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Impact in (0, 1].
    pub impact: f32,
    /// `declared` (by the provider) or `inferred` (by kpimatch from the text).
    #[schema(example = "declared")]
    pub provenance: String,
    /// Confidence in (0, 1]; 1 for declared impacts.
    pub confidence: f32,
}

/// A stored solution with the KPI profile used for ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SolutionView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Provider.
    pub provider: String,
    /// `company`, `startup`, `expert`, `city`, `research` or `ngo`.
    #[schema(example = "company")]
    pub provider_type: String,
    /// Summary.
    pub summary: String,
    /// Description.
    pub description: String,
    /// The declared language (BCP 47), as sent; `null` when it was detected.
    pub lang: Option<String>,
    /// The language its text is analysed and profiled in: the declared one when supported, else
    /// the detected one (English when it cannot be told or is not supported).
    #[schema(example = "es")]
    pub text_lang: String,
    /// Categories.
    pub categories: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Reference cities.
    pub reference_cities: Vec<String>,
    /// Declared KPI impacts, as sent (codes normalised).
    pub kpis: Vec<KpiImpactBody>,
    /// SDGs.
    pub sdgs: Vec<u8>,
    /// Maturity.
    pub maturity: Option<String>,
    /// Cost band.
    pub cost_band: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// The KPI profile used for ranking: the declared impacts, or impacts inferred from the text.
    pub profile: Vec<ProfileEntryView>,
    /// `declared`, `inferred` or `none` (no KPI recognised).
    pub profile_source: String,
}

impl SolutionView {
    /// The view of a stored solution.
    pub fn from_stored(s: &StoredSolution, catalogue: &Catalogue) -> SolutionView {
        let sol = &s.solution;
        let profile: Vec<ProfileEntryView> = s
            .profile
            .entries()
            .iter()
            .map(|e| {
                let k = catalogue.get(e.kpi);
                ProfileEntryView {
                    code: k.code.to_string(),
                    name: k.name.clone(),
                    category: k.category.clone(),
                    impact: e.impact,
                    provenance: provenance(e.provenance).into(),
                    confidence: e.confidence,
                }
            })
            .collect();
        let profile_source = match s.profile.entries().first().map(|e| e.provenance) {
            None => "none",
            Some(p) => provenance(p),
        };
        SolutionView {
            id: sol.id.clone(),
            title: sol.title.clone(),
            provider: sol.provider.clone(),
            provider_type: sol.provider_type.as_str().to_string(),
            summary: sol.summary.clone(),
            description: sol.description.clone(),
            lang: sol.lang.clone(),
            text_lang: s.lang.code().to_string(),
            categories: sol.categories.clone(),
            tags: sol.tags.clone(),
            regions: sol.regions.clone(),
            reference_cities: sol.reference_cities.clone(),
            kpis: sol
                .kpis
                .iter()
                .map(|k| KpiImpactBody {
                    code: k.code.to_string(),
                    impact: k.impact,
                })
                .collect(),
            sdgs: sol.sdgs.clone(),
            maturity: sol.maturity.map(|m| m.as_str().to_string()),
            cost_band: sol.cost_band.map(|c| c.as_str().to_string()),
            url: sol.url.clone(),
            profile,
            profile_source: profile_source.into(),
        }
    }
}

/// The wire name of a provenance.
pub fn provenance(p: Provenance) -> &'static str {
    match p {
        Provenance::Declared => "declared",
        Provenance::Inferred => "inferred",
    }
}

/// The outcome of one item of a bulk write.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItemResult {
    /// Position in the request (0-based).
    pub index: usize,
    /// The item's id, when it had one.
    pub id: Option<String>,
    /// `created`, `replaced` or `invalid`.
    #[schema(example = "created")]
    pub status: String,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error::Problem>,
}

/// The outcome of a bulk write: valid items are stored (durably, in one transaction),
/// invalid ones are reported and skipped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResponse {
    /// Items stored.
    pub stored: usize,
    /// Items rejected.
    pub rejected: usize,
    /// Per item, in request order.
    pub items: Vec<BulkItemResult>,
}

/// Most items in one bulk call.
pub const MAX_BULK_ITEMS: usize = 10_000;

/// A bulk body parsed and validated item by item, before anything is written.
#[derive(Debug)]
pub struct BulkParse {
    /// One result per item, in request order; valid items have an empty `status` until written.
    pub items: Vec<BulkItemResult>,
    /// The valid solutions with their position in the request.
    pub valid: Vec<(usize, Solution)>,
}

/// Parses a bulk-import body — a JSON array or NDJSON (one object per line, blank lines
/// skipped) — into solutions, validating each against the catalogue. A body that is not an
/// array or NDJSON is an error; a bad item is reported in its result and skipped. More than
/// [`MAX_BULK_ITEMS`] items is a 413, found before the items are built. A repeated id is
/// invalid after its first occurrence.
pub fn parse_bulk(bytes: &[u8], catalogue: &Catalogue) -> Result<BulkParse, ApiError> {
    let parsed = split_items(bytes)?;
    let mut items: Vec<BulkItemResult> = Vec::with_capacity(parsed.len());
    let mut valid: Vec<(usize, Solution)> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (index, item) in parsed.into_iter().enumerate() {
        match bulk_item(item, catalogue) {
            Ok(s) => {
                if let Some(prev) = seen.insert(s.id.clone(), index) {
                    let e = ApiError::new(
                        Code::InvalidField,
                        format!("id '{}' appears again (first at item {prev})", s.id),
                    )
                    .field("id");
                    items.push(BulkItemResult {
                        index,
                        id: Some(s.id),
                        status: "invalid".into(),
                        error: Some(e.problem()),
                    });
                } else {
                    items.push(BulkItemResult {
                        index,
                        id: Some(s.id.clone()),
                        status: String::new(),
                        error: None,
                    });
                    valid.push((index, s));
                }
            }
            Err((id, e)) => items.push(BulkItemResult {
                index,
                id,
                status: "invalid".into(),
                error: Some(e.problem()),
            }),
        }
    }
    Ok(BulkParse { items, valid })
}

fn too_many_items(n: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        Code::PayloadTooLarge,
        format!("{n} items; a bulk call takes at most {MAX_BULK_ITEMS}"),
    )
}

/// The items of a bulk body as JSON values (or their per-item parse errors), at most
/// [`MAX_BULK_ITEMS`] of them.
fn split_items(bytes: &[u8]) -> Result<Vec<Result<serde_json::Value, ApiError>>, ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(ApiError::new(
            Code::InvalidJson,
            "the request body is empty; send a JSON array or NDJSON",
        )),
        Some(b'[') => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let too_many = std::cell::Cell::new(false);
            let values = serde::Deserializer::deserialize_seq(&mut de, BoundedSeq(&too_many))
                .and_then(|v| de.end().map(|()| v))
                .map_err(|e| {
                    if too_many.get() {
                        too_many_items("more than 10,000")
                    } else {
                        ApiError::new(Code::InvalidJson, format!("the request body is not valid: {e}"))
                    }
                })?;
            Ok(values.into_iter().map(Ok).collect())
        }
        Some(_) => {
            let lines: Vec<&[u8]> = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
                .collect();
            if lines.len() > MAX_BULK_ITEMS {
                return Err(too_many_items(lines.len()));
            }
            Ok(lines
                .into_iter()
                .enumerate()
                .map(|(i, line)| {
                    let de = &mut serde_json::Deserializer::from_slice(line);
                    let v: serde_json::Value = serde_path_to_error::deserialize(&mut *de)
                        .map_err(|e| crate::api::path_error(e, &format!("item {i} is not valid"), ""))?;
                    de.end().map_err(|e| {
                        ApiError::new(
                            Code::InvalidJson,
                            format!("item {i} is not valid: {e}; NDJSON takes one object per line"),
                        )
                    })?;
                    Ok(v)
                })
                .collect())
        }
    }
}

/// Deserialises a JSON array into values, failing (and setting the flag) past
/// [`MAX_BULK_ITEMS`] elements, so an oversized array is refused without being built.
struct BoundedSeq<'a>(&'a std::cell::Cell<bool>);

impl<'de> serde::de::Visitor<'de> for BoundedSeq<'_> {
    type Value = Vec<serde_json::Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of solutions")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            if out.len() == MAX_BULK_ITEMS {
                self.0.set(true);
                return Err(serde::de::Error::custom("too many items"));
            }
            out.push(v);
        }
        Ok(out)
    }
}

fn bulk_item(
    item: Result<serde_json::Value, ApiError>,
    catalogue: &Catalogue,
) -> Result<Solution, (Option<String>, ApiError)> {
    let mut value = item.map_err(|e| (None, e))?;
    let Some(obj) = value.as_object_mut() else {
        return Err((
            None,
            ApiError::new(Code::InvalidJson, "each item must be a JSON object"),
        ));
    };
    let id = match obj.remove("id") {
        Some(serde_json::Value::String(s)) => s,
        _ => {
            return Err((
                None,
                ApiError::new(Code::InvalidField, "each item needs a string 'id'").field("id"),
            ))
        }
    };
    if let Err(e) = kpimatch_engine::solution::validate_id(&id) {
        let shown = crate::error::truncate(&id, 80);
        return Err((Some(shown), ApiError::from(e)));
    }
    let body: SolutionBody = serde_path_to_error::deserialize(value)
        .map_err(|e| (Some(id.clone()), crate::api::path_error(e, "not a valid solution", "")))?;
    let s = body.into_solution(&id).map_err(|e| (Some(id.clone()), e))?;
    s.validate(catalogue)
        .map_err(|e| (Some(id.clone()), ApiError::from(e)))?;
    Ok(s)
}
