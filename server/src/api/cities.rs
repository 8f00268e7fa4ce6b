use std::collections::BTreeMap;

use kpimatch_engine::city::{
    City, Deployment, DeploymentStatus, GapAnalysis, KpiGap, Observation, SdgStanding, TrendDirection,
};
use kpimatch_engine::kpi::{KpiCode, RollUp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Code};

/// A KPI observation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationBody {
    /// U4SSC KPI code, any spacing and case.
    #[schema(example = "EC:I:WS:3C")]
    pub kpi: String,
    /// Value in the KPI's unit.
    #[schema(example = 31.5)]
    pub value: f64,
    /// Year the value refers to (1900–2100).
    #[schema(example = 2023)]
    pub year: i32,
    /// The city's own target for this KPI (overrides the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

/// How far a city has taken a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatusBody {
    /// Trialled on a limited scale.
    Piloting,
    /// In regular use.
    Deployed,
    /// Tried and stopped (counts against the solution in peer evidence).
    Discontinued,
}

impl From<DeploymentStatusBody> for DeploymentStatus {
    fn from(s: DeploymentStatusBody) -> DeploymentStatus {
        match s {
            DeploymentStatusBody::Piloting => DeploymentStatus::Piloting,
            DeploymentStatusBody::Deployed => DeploymentStatus::Deployed,
            DeploymentStatusBody::Discontinued => DeploymentStatus::Discontinued,
        }
    }
}

impl From<DeploymentStatus> for DeploymentStatusBody {
    fn from(s: DeploymentStatus) -> DeploymentStatusBody {
        match s {
            DeploymentStatus::Piloting => DeploymentStatusBody::Piloting,
            DeploymentStatus::Deployed => DeploymentStatusBody::Deployed,
            DeploymentStatus::Discontinued => DeploymentStatusBody::Discontinued,
        }
    }
}

/// A solution the city piloted, deployed or discontinued: one entry per solution, with its
/// current status and the year the city reached it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentBody {
    /// Id of a stored solution.
    #[schema(example = "echoline-acoustic-leak-survey")]
    pub solution_id: String,
    /// The year the city reached `status` (1900–2100).
    #[schema(example = 2022)]
    pub year: i32,
    /// `piloting`, `deployed` or `discontinued`.
    pub status: DeploymentStatusBody,
}

/// A city as a client sends it (the id is in the path).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Norrvik", "country": "Norway", "region": "Europe", "population": 84000,
    "needs": ["Cut the water we lose from old pipes"],
    "observations": [{"kpi": "EC:I:WS:3C", "value": 31.0, "year": 2021}, {"kpi": "EC:I:WS:3C", "value": 28.5, "year": 2023}],
    "deployments": [{"solution_id": "echoline-acoustic-leak-survey", "year": 2022, "status": "deployed"}]
}))]
pub struct CityBody {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Country.
    #[serde(default)]
    pub country: String,
    /// World region.
    #[serde(default)]
    pub region: String,
    /// Inhabitants.
    #[serde(default)]
    pub population: Option<u64>,
    /// Stated needs in plain language (at most 20).
    #[serde(default)]
    pub needs: Vec<String>,
    /// KPI observations, several years per KPI allowed (at most 2,000).
    #[serde(default)]
    pub observations: Vec<ObservationBody>,
    /// Solutions piloted, deployed or discontinued, one entry per stored solution (at most
    /// 500). They are evidence for similar cities' rankings.
    #[serde(default)]
    pub deployments: Vec<DeploymentBody>,
}

impl CityBody {
    /// The engine's city with the given id; a malformed KPI code is a 422 naming the field.
    pub fn into_city(self, id: &str, field_prefix: &str) -> Result<City, ApiError> {
        let mut observations = Vec::with_capacity(self.observations.len());
        for (i, o) in self.observations.into_iter().enumerate() {
            let kpi = KpiCode::parse(&o.kpi).map_err(|e| {
                ApiError::new(Code::UnknownKpi, e.to_string()).field(format!("{field_prefix}observations[{i}].kpi"))
            })?;
            observations.push(Observation {
                kpi,
                value: o.value,
                year: o.year,
                target: o.target,
            });
        }
        Ok(City {
            id: id.to_string(),
            name: if self.name.is_empty() {
                id.to_string()
            } else {
                self.name
            },
            country: self.country,
            region: self.region,
            population: self.population,
            needs: self.needs,
            observations,
            deployments: self
                .deployments
                .into_iter()
                .map(|d| Deployment {
                    solution_id: d.solution_id,
                    year: d.year,
                    status: d.status.into(),
                })
                .collect(),
        })
    }
}

/// A stored city.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CityView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Region.
    pub region: String,
    /// Inhabitants.
    pub population: Option<u64>,
    /// Stated needs.
    pub needs: Vec<String>,
    /// Observations (codes normalised).
    pub observations: Vec<ObservationBody>,
    /// Solutions piloted, deployed or discontinued.
    pub deployments: Vec<DeploymentBody>,
}

impl From<&City> for CityView {
    fn from(c: &City) -> CityView {
        CityView {
            id: c.id.clone(),
            name: c.name.clone(),
            country: c.country.clone(),
            region: c.region.clone(),
            population: c.population,
            needs: c.needs.clone(),
            observations: c
                .observations
                .iter()
                .map(|o| ObservationBody {
                    kpi: o.kpi.to_string(),
                    value: o.value,
                    year: o.year,
                    target: o.target,
                })
                .collect(),
            deployments: c
                .deployments
                .iter()
                .map(|d| DeploymentBody {
                    solution_id: d.solution_id.clone(),
                    year: d.year,
                    status: d.status.into(),
                })
                .collect(),
        }
    }
}

/// A trend over the years reported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendView {
    /// `improving`, `worsening` or `stable` (judged on achievement, so direction is accounted for).
    pub direction: String,
    /// Earliest year.
    pub from_year: i32,
    /// Earliest value.
    pub from_value: f64,
    /// Change in achievement (latest − earliest).
    pub achievement_change: f64,
}

/// Where a city stands on one KPI.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiGapView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Core KPI.
    pub core: bool,
    /// Unit.
    pub unit: String,
    /// Latest value.
    pub value: f64,
    /// Its year.
    pub year: i32,
    /// Target used.
    pub target: f64,
    /// `city` (the city's own) or `default`.
    pub target_source: String,
    /// Share of target reached, 0–1.
    pub achievement: f64,
    /// U4SSC band: `0-33`, `33-66`, `66-95` or `95-100`.
    pub band: String,
    /// U4SSC points, 1–4.
    pub points: u32,
    /// Distance to target, 0–1 (0 = met).
    pub gap: f64,
    /// Trend when several years are reported.
    pub trend: Option<TrendView>,
}

/// A roll-up over a category, sub-dimension or dimension.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollUpView {
    /// Points.
    pub points: u32,
    /// Maximum points (4 per KPI scored).
    pub max_points: u32,
    /// KPIs scored.
    pub scored: u32,
    /// Share of the maximum.
    pub share: f64,
    /// Band of the share.
    pub band: Option<String>,
}

impl From<&RollUp> for RollUpView {
    fn from(r: &RollUp) -> RollUpView {
        RollUpView {
            points: r.points,
            max_points: r.max_points,
            scored: r.scored,
            share: r.share,
            band: r.band.map(|b| b.label().to_string()),
        }
    }
}

/// A city's gap analysis: weakest KPIs first, roll-ups, and the KPIs without data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapsView {
    /// City id.
    pub city_id: String,
    /// Observed KPIs, weakest first.
    pub kpis: Vec<KpiGapView>,
    /// KPIs without any observation (missing data, not met).
    pub missing: Vec<String>,
    /// Per category.
    pub categories: BTreeMap<String, RollUpView>,
    /// Per sub-dimension.
    pub subdimensions: BTreeMap<String, RollUpView>,
    /// Per dimension.
    pub dimensions: BTreeMap<String, RollUpView>,
    /// Over all KPIs scored.
    pub overall: RollUpView,
}

impl GapsView {
    /// The view of a gap analysis.
    pub fn new(city_id: &str, g: &GapAnalysis) -> GapsView {
        let map = |m: &BTreeMap<String, RollUp>| m.iter().map(|(k, v)| (k.clone(), RollUpView::from(v))).collect();
        GapsView {
            city_id: city_id.to_string(),
            kpis: g.kpis.iter().map(KpiGapView::from).collect(),
            missing: g.missing.iter().map(|c| c.to_string()).collect(),
            categories: map(&g.categories),
            subdimensions: map(&g.subdimensions),
            dimensions: map(&g.dimensions),
            overall: RollUpView::from(&g.overall),
        }
    }
}

impl From<&KpiGap> for KpiGapView {
    fn from(k: &KpiGap) -> KpiGapView {
        KpiGapView {
            code: k.code.to_string(),
            name: k.name.clone(),
            category: k.category.clone(),
            core: k.core,
            unit: k.unit.clone(),
            value: k.value,
            year: k.year,
            target: k.target,
            target_source: format!("{:?}", k.target_source).to_lowercase(),
            achievement: k.achievement,
            band: k.band.label().to_string(),
            points: k.points,
            gap: k.gap,
            trend: k.trend.map(|t| TrendView {
                direction: match t.direction {
                    TrendDirection::Improving => "improving",
                    TrendDirection::Worsening => "worsening",
                    TrendDirection::Stable => "stable",
                }
                .into(),
                from_year: t.from_year,
                from_value: t.from_value,
                achievement_change: t.achievement_change,
            }),
        }
    }
}

/// A city's standing on one Sustainable Development Goal, read off the KPIs that serve it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalStandingView {
    /// Goal number, 1–17.
    #[schema(example = 6)]
    pub goal: u8,
    /// Goal name.
    #[schema(example = "Clean water and sanitation")]
    pub name: String,
    /// KPIs of the catalogue that serve the goal.
    pub kpis_linked: usize,
    /// Of those, the KPIs the city reports.
    pub kpis_with_data: usize,
    /// The U4SSC roll-up of the reported KPIs' points: share of the maximum and its band
    /// (no band when none is reported).
    pub standing: RollUpView,
    /// The goal's reported KPIs furthest from target, weakest first (at most 3, none at target).
    pub weakest: Vec<KpiGapView>,
}

/// A city's standing per Sustainable Development Goal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SdgsView {
    /// City id.
    pub city_id: String,
    /// One entry per goal that some KPI serves, in goal order. A KPI that serves several goals
    /// counts for each.
    pub goals: Vec<GoalStandingView>,
}

impl SdgsView {
    /// The view of an SDG standing.
    pub fn new(city_id: &str, s: &SdgStanding) -> SdgsView {
        SdgsView {
            city_id: city_id.to_string(),
            goals: s
                .goals
                .iter()
                .map(|g| GoalStandingView {
                    goal: g.goal,
                    name: g.name.clone(),
                    kpis_linked: g.kpis_linked,
                    kpis_with_data: g.kpis_with_data,
                    standing: RollUpView::from(&g.standing),
                    weakest: g.weakest.iter().map(KpiGapView::from).collect(),
                })
                .collect(),
        }
    }
}
