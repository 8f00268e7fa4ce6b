use serde::Serialize;

use super::similarity::{CityProfile, Comparison, PopulationBand, Similarity, MIN_COMPARABLE_KPIS};
use crate::kpi::{Catalogue, KpiCode};

/// Smallest achievement difference (share of target) at which a peer is clearly ahead.
pub const AHEAD_MARGIN: f64 = 0.20;

/// A KPI on which a peer is clearly ahead of the city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiAhead {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit of the values and targets.
    pub unit: String,
    /// The peer's latest value.
    pub peer_value: f64,
    /// The peer's target.
    pub peer_target: f64,
    /// The peer's achievement, [0, 1].
    pub peer_achievement: f64,
    /// The city's latest value.
    pub city_value: f64,
    /// The city's target.
    pub city_target: f64,
    /// The city's achievement, [0, 1].
    pub city_achievement: f64,
    /// `peer_achievement − city_achievement`, at least [`AHEAD_MARGIN`].
    pub difference: f64,
}

/// One peer of a city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peer {
    /// The peer's id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its country.
    pub country: String,
    /// Its region.
    pub region: String,
    /// Its population.
    pub population: Option<u64>,
    /// Its population band.
    pub population_band: Option<PopulationBand>,
    /// How alike the two cities are.
    pub similarity: Similarity,
    /// KPIs where the peer is clearly ahead, largest difference first.
    pub ahead: Vec<KpiAhead>,
}

/// A city's most similar peers, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peers {
    /// The city.
    pub city_id: String,
    /// False when no other city shares at least [`MIN_COMPARABLE_KPIS`] KPIs with it.
    pub comparable: bool,
    /// Why the city cannot be compared, when it cannot.
    pub reason: Option<String>,
    /// KPIs the city reports.
    pub kpis_reported: usize,
    /// Other cities considered.
    pub cities_compared: usize,
    /// Of those, cities sharing too few KPIs to be compared.
    pub not_comparable: usize,
    /// The most similar comparable cities, most similar first.
    pub peers: Vec<Peer>,
}

/// Compares a city with others: every comparable one, most similar first (ties by id).
pub(crate) fn ranked<'a>(
    city: &CityProfile<'_>,
    others: impl IntoIterator<Item = CityProfile<'a>>,
) -> (Vec<(CityProfile<'a>, Similarity)>, usize, usize) {
    let mut compared = 0;
    let mut best_shared = 0;
    let mut out = Vec::new();
    for other in others {
        if other.city.id == city.city.id {
            continue;
        }
        compared += 1;
        match city.compare(&other) {
            Comparison::Comparable(s) => out.push((other, s)),
            Comparison::TooFewKpis { comparable_kpis } => best_shared = best_shared.max(comparable_kpis),
        }
    }
    out.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then_with(|| a.0.city.id.cmp(&b.0.city.id))
    });
    (out, compared, best_shared)
}

/// Why a city has no comparable peer, in a sentence with the numbers.
pub(crate) fn not_comparable_reason(city: &CityProfile<'_>, compared: usize, best_shared: usize) -> String {
    let name = if city.city.name.is_empty() {
        &city.city.id
    } else {
        &city.city.name
    };
    if city.reported() < MIN_COMPARABLE_KPIS {
        format!(
            "too few comparable KPIs: {name} reports {} KPI(s); a comparison needs at least {MIN_COMPARABLE_KPIS} reported by both cities",
            city.reported()
        )
    } else if compared == 0 {
        "there are no other cities to compare with".to_string()
    } else {
        format!(
            "too few comparable KPIs: no other city reports at least {MIN_COMPARABLE_KPIS} of the {} KPIs {name} reports (at most {best_shared} in common)",
            city.reported()
        )
    }
}

/// The KPIs where `peer` is clearly ahead of `city`, largest difference first (ties by code).
pub(crate) fn ahead(city: &CityProfile<'_>, peer: &CityProfile<'_>, catalogue: &Catalogue) -> Vec<KpiAhead> {
    let mut out: Vec<KpiAhead> = city
        .gaps
        .kpis
        .iter()
        .filter_map(|c| {
            let p = peer.kpi(c.kpi)?;
            let difference = p.achievement - c.achievement;
            (difference >= AHEAD_MARGIN - 1e-12).then(|| {
                let def = catalogue.get(c.kpi);
                KpiAhead {
                    code: def.code.clone(),
                    name: def.name.clone(),
                    category: def.category.clone(),
                    unit: def.unit.clone(),
                    peer_value: p.value,
                    peer_target: p.target,
                    peer_achievement: p.achievement,
                    city_value: c.value,
                    city_target: c.target,
                    city_achievement: c.achievement,
                    difference,
                }
            })
        })
        .collect();
    out.sort_by(|a, b| b.difference.total_cmp(&a.difference).then_with(|| a.code.cmp(&b.code)));
    out
}

/// A city's `limit` most similar peers with where each is ahead.
pub(crate) fn peers<'a>(
    city: &CityProfile<'_>,
    others: impl IntoIterator<Item = CityProfile<'a>>,
    limit: usize,
    catalogue: &Catalogue,
) -> Peers {
    let (ranked, compared, best_shared) = ranked(city, others);
    let not_comparable = compared - ranked.len();
    let comparable = !ranked.is_empty();
    Peers {
        city_id: city.city.id.clone(),
        comparable,
        reason: (!comparable).then(|| not_comparable_reason(city, compared, best_shared)),
        kpis_reported: city.reported(),
        cities_compared: compared,
        not_comparable,
        peers: ranked
            .into_iter()
            .take(limit)
            .map(|(p, similarity)| Peer {
                city_id: p.city.id.clone(),
                name: p.city.name.clone(),
                country: p.city.country.clone(),
                region: p.city.region.clone(),
                population: p.city.population,
                population_band: p.city.population.map(PopulationBand::of),
                similarity,
                ahead: ahead(city, &p, catalogue),
            })
            .collect(),
    }
}
