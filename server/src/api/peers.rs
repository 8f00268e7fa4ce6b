//! Wire types of the peer endpoints (`/v1/cities/{id}/peers`, `/v1/cities/{id}/benchmark`)
//! and of the adoption evidence in match explanations.

use kpimatch_engine::city::TrendDirection;
use kpimatch_engine::kpi::Direction;
use kpimatch_engine::peers::{
    Adoption, Benchmark, CategoryStanding, KpiAhead, KpiStanding, Peer, Peers, AHEAD_MARGIN, MIN_COMPARABLE_KPIS,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /v1/cities/{id}/peers` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeersParams {
    /// Peers wanted, 1–50 (default 5).
    #[param(minimum = 1, maximum = 50, default = 5)]
    pub limit: Option<usize>,
}

/// `GET /v1/cities/{id}/benchmark` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BenchmarkParams {
    /// Size of the peer group, 1–50 (default 10): the most similar comparable cities.
    #[param(minimum = 1, maximum = 50, default = 10)]
    pub peers: Option<usize>,
}

fn trend(d: TrendDirection) -> &'static str {
    match d {
        TrendDirection::Improving => "improving",
        TrendDirection::Worsening => "worsening",
        TrendDirection::Stable => "stable",
    }
}

/// The components of a similarity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimilarityView {
    /// One minus the root-mean-square difference in achievement over the KPIs both report, 0–1.
    pub kpis: f64,
    /// Population-band similarity (1 − band distance / 4), when both populations are known.
    pub population: Option<f64>,
    /// 1 for the same region, 0 otherwise, when both regions are known.
    pub region: Option<f64>,
}

/// A KPI where a peer is clearly ahead (by at least `ahead_margin` of target).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiAheadView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit of values and targets.
    pub unit: String,
    /// The peer's latest value.
    pub peer_value: f64,
    /// The peer's target.
    pub peer_target: f64,
    /// The peer's share of target reached, 0–1.
    pub peer_achievement: f64,
    /// The city's latest value.
    pub city_value: f64,
    /// The city's target.
    pub city_target: f64,
    /// The city's share of target reached, 0–1.
    pub city_achievement: f64,
    /// `peer_achievement − city_achievement`.
    pub difference: f64,
}

impl From<&KpiAhead> for KpiAheadView {
    fn from(k: &KpiAhead) -> KpiAheadView {
        KpiAheadView {
            code: k.code.to_string(),
            name: k.name.clone(),
            category: k.category.clone(),
            unit: k.unit.clone(),
            peer_value: k.peer_value,
            peer_target: k.peer_target,
            peer_achievement: k.peer_achievement,
            city_value: k.city_value,
            city_target: k.city_target,
            city_achievement: k.city_achievement,
            difference: k.difference,
        }
    }
}

/// One peer city.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerView {
    /// The peer's id.
    pub city_id: String,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Region.
    pub region: String,
    /// Inhabitants.
    pub population: Option<u64>,
    /// Population band: `<50k`, `50k-250k`, `250k-1m`, `1m-5m` or `>=5m`.
    pub population_band: Option<String>,
    /// Similarity to the city, 0–1 (1 = alike in every component).
    pub similarity: f64,
    /// Its components.
    pub components: SimilarityView,
    /// KPIs both cities report (what the KPI component compares).
    pub comparable_kpis: usize,
    /// KPIs where the peer is clearly ahead, largest difference first.
    pub ahead: Vec<KpiAheadView>,
}

impl From<&Peer> for PeerView {
    fn from(p: &Peer) -> PeerView {
        PeerView {
            city_id: p.city_id.clone(),
            name: p.name.clone(),
            country: p.country.clone(),
            region: p.region.clone(),
            population: p.population,
            population_band: p.population_band.map(|b| b.label().to_string()),
            similarity: p.similarity.score,
            components: SimilarityView {
                kpis: p.similarity.kpis,
                population: p.similarity.population,
                region: p.similarity.region,
            },
            comparable_kpis: p.similarity.comparable_kpis,
            ahead: p.ahead.iter().map(KpiAheadView::from).collect(),
        }
    }
}

/// A city's most similar peer cities, or why it has none (`comparable: false`, with `reason`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "city_id": "qasr-alwan", "comparable": true, "reason": null,
    "min_comparable_kpis": 8, "ahead_margin": 0.2, "kpis_reported": 56,
    "cities_compared": 17, "not_comparable": 0,
    "peers": [{"city_id": "madinat-sarab", "name": "Madinat Sarab", "country": "United Arab Emirates",
               "region": "Middle East", "population": 900000, "population_band": "250k-1m",
               "similarity": 0.76, "components": {"kpis": 0.6, "population": 1.0, "region": 1.0},
               "comparable_kpis": 38,
               "ahead": [{"code": "EC:I:WS:3C", "name": "Water Supply Loss", "category": "Water and Sanitation",
                          "unit": "% of water supplied that is lost", "peer_value": 11.0, "peer_target": 10.0,
                          "peer_achievement": 0.91, "city_value": 42.0, "city_target": 10.0,
                          "city_achievement": 0.24, "difference": 0.67}]}]
}))]
pub struct PeersView {
    /// The city.
    pub city_id: String,
    /// False when no other city reports enough of the same KPIs to be compared.
    pub comparable: bool,
    /// Why the city cannot be compared ("too few comparable KPIs: …"), when it cannot.
    pub reason: Option<String>,
    /// KPIs two cities must both report to be compared.
    pub min_comparable_kpis: usize,
    /// Achievement difference (share of target) from which a peer is clearly ahead.
    pub ahead_margin: f64,
    /// KPIs the city reports.
    pub kpis_reported: usize,
    /// Other cities considered.
    pub cities_compared: usize,
    /// Of those, cities sharing too few KPIs with it.
    pub not_comparable: usize,
    /// The most similar comparable cities, most similar first (ties by id).
    pub peers: Vec<PeerView>,
}

impl From<&Peers> for PeersView {
    fn from(p: &Peers) -> PeersView {
        PeersView {
            city_id: p.city_id.clone(),
            comparable: p.comparable,
            reason: p.reason.clone(),
            min_comparable_kpis: MIN_COMPARABLE_KPIS,
            ahead_margin: AHEAD_MARGIN,
            kpis_reported: p.kpis_reported,
            cities_compared: p.cities_compared,
            not_comparable: p.not_comparable,
            peers: p.peers.iter().map(PeerView::from).collect(),
        }
    }
}

/// A peer of the benchmark group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerRefView {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its similarity to the city, 0–1.
    pub similarity: f64,
}

/// One year of the city's own series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearValueView {
    /// Year.
    pub year: i32,
    /// Value reported.
    pub value: f64,
    /// Share of today's target it reached, 0–1.
    pub achievement: f64,
}

/// The best peer on a KPI.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerBestView {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its latest value.
    pub value: f64,
    /// Its share of target reached, 0–1.
    pub achievement: f64,
}

/// The city's standing on one KPI among its peers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiStandingView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit of the values.
    pub unit: String,
    /// `higher_better` or `lower_better`.
    pub direction: String,
    /// The city's latest value.
    pub value: f64,
    /// Its year.
    pub year: i32,
    /// The city's target.
    pub target: f64,
    /// The city's share of target reached, 0–1.
    pub achievement: f64,
    /// Rank by achievement among the city and the peers reporting the KPI (1 = best).
    pub rank: usize,
    /// The city plus the peers reporting the KPI.
    pub out_of: usize,
    /// Share of those peers the city does better than (ties count half), 0–100; null when no
    /// peer reports the KPI.
    pub percentile: Option<f64>,
    /// Median of the peers' latest values.
    pub peer_median: Option<f64>,
    /// Median of the peers' achievements.
    pub peer_median_achievement: Option<f64>,
    /// The peer with the highest achievement.
    pub peer_best: Option<PeerBestView>,
    /// The city's own trend: `improving`, `worsening` or `stable` (two or more years reported).
    pub trend: Option<String>,
    /// The city's own series, oldest first.
    pub series: Vec<YearValueView>,
}

impl From<&KpiStanding> for KpiStandingView {
    fn from(k: &KpiStanding) -> KpiStandingView {
        KpiStandingView {
            code: k.code.to_string(),
            name: k.name.clone(),
            category: k.category.clone(),
            unit: k.unit.clone(),
            direction: match k.direction {
                Direction::HigherBetter => "higher_better",
                Direction::LowerBetter => "lower_better",
            }
            .into(),
            value: k.value,
            year: k.year,
            target: k.target,
            achievement: k.achievement,
            rank: k.rank,
            out_of: k.out_of,
            percentile: k.percentile,
            peer_median: k.peer_median,
            peer_median_achievement: k.peer_median_achievement,
            peer_best: k.peer_best.as_ref().map(|b| PeerBestView {
                city_id: b.city_id.clone(),
                name: b.name.clone(),
                value: b.value,
                achievement: b.achievement,
            }),
            trend: k.trend.map(|t| trend(t).to_string()),
            series: k
                .series
                .iter()
                .map(|y| YearValueView {
                    year: y.year,
                    value: y.value,
                    achievement: y.achievement,
                })
                .collect(),
        }
    }
}

/// The best peer in a category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerShareView {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its U4SSC roll-up share, 0–1.
    pub share: f64,
}

/// The city's standing on one category's U4SSC roll-up among its peers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryStandingView {
    /// Category.
    pub category: String,
    /// The city's roll-up share (points / maximum points), 0–1.
    pub share: f64,
    /// Its U4SSC band.
    pub band: Option<String>,
    /// KPIs of the category the city reports.
    pub kpis_scored: u32,
    /// Rank by share among the city and the peers scored in the category (1 = best).
    pub rank: usize,
    /// The city plus the peers scored in the category.
    pub out_of: usize,
    /// Share of those peers the city does better than (ties count half), 0–100.
    pub percentile: Option<f64>,
    /// Median of the peers' shares.
    pub peer_median_share: Option<f64>,
    /// The peer with the highest share.
    pub peer_best: Option<PeerShareView>,
    /// The city's KPIs in the category that improved over the years reported.
    pub improving: usize,
    /// … that worsened.
    pub worsening: usize,
    /// … that held.
    pub stable: usize,
}

impl From<&CategoryStanding> for CategoryStandingView {
    fn from(c: &CategoryStanding) -> CategoryStandingView {
        CategoryStandingView {
            category: c.category.clone(),
            share: c.share,
            band: c.band.map(|b| b.label().to_string()),
            kpis_scored: c.kpis_scored,
            rank: c.rank,
            out_of: c.out_of,
            percentile: c.percentile,
            peer_median_share: c.peer_median_share,
            peer_best: c.peer_best.as_ref().map(|b| PeerShareView {
                city_id: b.city_id.clone(),
                name: b.name.clone(),
                share: b.share,
            }),
            improving: c.improving,
            worsening: c.worsening,
            stable: c.stable,
        }
    }
}

/// A city's standing on every KPI and category among its most similar peers, with its own
/// trends; or why there is none (`comparable: false`, with `reason`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenchmarkView {
    /// The city.
    pub city_id: String,
    /// False when no other city reports enough of the same KPIs to be compared.
    pub comparable: bool,
    /// Why the city cannot be compared, when it cannot.
    pub reason: Option<String>,
    /// KPIs two cities must both report to be compared.
    pub min_comparable_kpis: usize,
    /// The peer group, most similar first.
    pub peers: Vec<PeerRefView>,
    /// Per KPI the city reports, weakest first.
    pub kpis: Vec<KpiStandingView>,
    /// Per category the city reports, by name.
    pub categories: Vec<CategoryStandingView>,
}

impl From<&Benchmark> for BenchmarkView {
    fn from(b: &Benchmark) -> BenchmarkView {
        BenchmarkView {
            city_id: b.city_id.clone(),
            comparable: b.comparable,
            reason: b.reason.clone(),
            min_comparable_kpis: MIN_COMPARABLE_KPIS,
            peers: b
                .peers
                .iter()
                .map(|p| PeerRefView {
                    city_id: p.city_id.clone(),
                    name: p.name.clone(),
                    similarity: p.similarity,
                })
                .collect(),
            kpis: b.kpis.iter().map(KpiStandingView::from).collect(),
            categories: b.categories.iter().map(CategoryStandingView::from).collect(),
        }
    }
}

/// The KPI an adoption is reported on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdoptionKpiView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// The requesting city's latest value.
    pub city_value: f64,
    /// The requesting city's target.
    pub city_target: f64,
    /// The adopting city's latest value.
    pub peer_value: Option<f64>,
    /// Its year.
    pub peer_year: Option<i32>,
    /// The adopting city's value in or before the adoption year, when its improvement since
    /// is what counted.
    pub peer_before_value: Option<f64>,
    /// Its year.
    pub peer_before_year: Option<i32>,
}

/// A similar city's deployment of the solution, as evidence for (piloted, deployed) or
/// against (discontinued) it. Correlational: it says who adopted it, not that it caused a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdoptionView {
    /// The adopting city.
    pub city_id: String,
    /// Its name.
    pub city_name: String,
    /// `piloting`, `deployed` or `discontinued`.
    pub status: String,
    /// The year it reached that status.
    pub year: i32,
    /// Its similarity to the requesting city, 0–1.
    pub similarity: f64,
    /// Points of the score (negative for a discontinued deployment).
    pub contribution: f32,
    /// The KPI that weighs most in it.
    pub kpi: Option<AdoptionKpiView>,
    /// In words and numbers, e.g. "deployed 2022 by Norrvik — similar city (0.82); Water
    /// Supply Loss 9 % vs your 41 %".
    pub summary: String,
}

impl From<&Adoption> for AdoptionView {
    fn from(a: &Adoption) -> AdoptionView {
        AdoptionView {
            city_id: a.city_id.clone(),
            city_name: a.city_name.clone(),
            status: a.status.as_str().to_string(),
            year: a.year,
            similarity: a.similarity,
            contribution: a.contribution,
            kpi: a.kpi.as_ref().map(|k| AdoptionKpiView {
                code: k.code.to_string(),
                name: k.name.clone(),
                unit: k.unit.clone(),
                city_value: k.city_value,
                city_target: k.city_target,
                peer_value: k.peer_value,
                peer_year: k.peer_year,
                peer_before_value: k.peer_before_value,
                peer_before_year: k.peer_before_year,
            }),
            summary: a.summary.clone(),
        }
    }
}
