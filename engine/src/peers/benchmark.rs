use serde::Serialize;

use super::group::{not_comparable_reason, ranked};
use super::similarity::CityProfile;
use crate::city::TrendDirection;
use crate::kpi::{achievement, Band, Catalogue, Direction, KpiCode};

/// Achievements closer than this are equal (they share a rank).
const TIE: f64 = 1e-9;

/// A peer in the benchmark group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRef {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its similarity to the city.
    pub similarity: f64,
}

/// One year of a KPI series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YearValue {
    /// The year.
    pub year: i32,
    /// The value reported for it.
    pub value: f64,
    /// Its achievement against the target used today, [0, 1].
    pub achievement: f64,
}

/// The peer with the highest achievement on a KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerBest {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its latest value.
    pub value: f64,
    /// Its achievement, [0, 1].
    pub achievement: f64,
}

/// The peer with the highest roll-up share in a category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerShare {
    /// Its id.
    pub city_id: String,
    /// Its name.
    pub name: String,
    /// Its roll-up share, [0, 1].
    pub share: f64,
}

/// Where a city stands on one KPI among its peers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiStanding {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit of the values.
    pub unit: String,
    /// Which way the KPI improves.
    pub direction: Direction,
    /// The city's latest value.
    pub value: f64,
    /// Its year.
    pub year: i32,
    /// The city's target.
    pub target: f64,
    /// The city's achievement, [0, 1].
    pub achievement: f64,
    /// Rank by achievement among the city and the peers reporting the KPI (1 = best; equal
    /// achievements share a rank).
    pub rank: usize,
    /// The city plus the peers reporting the KPI.
    pub out_of: usize,
    /// Share of the peers reporting the KPI that the city does better than (ties count half),
    /// 0–100; none when no peer reports it.
    pub percentile: Option<f64>,
    /// Median of the peers' latest values.
    pub peer_median: Option<f64>,
    /// Median of the peers' achievements.
    pub peer_median_achievement: Option<f64>,
    /// The peer with the highest achievement (ties: the better value, then the id).
    pub peer_best: Option<PeerBest>,
    /// Direction of the city's own trend, when it reported at least two years.
    pub trend: Option<TrendDirection>,
    /// The city's own series, oldest first.
    pub series: Vec<YearValue>,
}

/// Where a city stands on one category's U4SSC roll-up among its peers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryStanding {
    /// Category.
    pub category: String,
    /// The city's roll-up share (points / maximum points), [0, 1].
    pub share: f64,
    /// Its U4SSC band.
    pub band: Option<Band>,
    /// KPIs of the category the city reports.
    pub kpis_scored: u32,
    /// Rank by share among the city and the peers scored in the category.
    pub rank: usize,
    /// The city plus the peers scored in the category.
    pub out_of: usize,
    /// Share of those peers the city does better than (ties count half), 0–100.
    pub percentile: Option<f64>,
    /// Median of the peers' shares.
    pub peer_median_share: Option<f64>,
    /// The peer with the highest share (ties by id).
    pub peer_best: Option<PeerShare>,
    /// The city's KPIs in the category that improved over the years reported.
    pub improving: usize,
    /// … that worsened.
    pub worsening: usize,
    /// … that held (within half a percentage point), of those reported over several years.
    pub stable: usize,
}

/// A city's standing among its most similar peers, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    /// The city.
    pub city_id: String,
    /// False when no other city is comparable.
    pub comparable: bool,
    /// Why the city cannot be compared, when it cannot.
    pub reason: Option<String>,
    /// The peer group, most similar first.
    pub peers: Vec<PeerRef>,
    /// Per KPI the city reports, weakest first (as in the gap analysis).
    pub kpis: Vec<KpiStanding>,
    /// Per category the city reports, by name.
    pub categories: Vec<CategoryStanding>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Rank (1-based, ties share), out-of and percentile of `own` among `others`.
fn standing(own: f64, others: &[f64]) -> (usize, usize, Option<f64>) {
    let ahead = others.iter().filter(|&&o| o > own + TIE).count();
    let below = others.iter().filter(|&&o| o < own - TIE).count();
    let tied = others.len() - ahead - below;
    let percentile = (!others.is_empty()).then(|| 100.0 * (below as f64 + 0.5 * tied as f64) / others.len() as f64);
    (ahead + 1, others.len() + 1, percentile)
}

fn display_name(p: &CityProfile<'_>) -> String {
    if p.city.name.is_empty() {
        p.city.id.clone()
    } else {
        p.city.name.clone()
    }
}

/// The standing of `city` among its `peers` most similar comparable cities.
pub(crate) fn benchmark<'a>(
    city: &CityProfile<'_>,
    others: impl IntoIterator<Item = CityProfile<'a>>,
    peers: usize,
    catalogue: &Catalogue,
) -> Benchmark {
    let (ranked, compared, best_shared) = ranked(city, others);
    if ranked.is_empty() {
        return Benchmark {
            city_id: city.city.id.clone(),
            comparable: false,
            reason: Some(not_comparable_reason(city, compared, best_shared)),
            peers: Vec::new(),
            kpis: Vec::new(),
            categories: Vec::new(),
        };
    }
    let group: Vec<_> = ranked.into_iter().take(peers).collect();
    let kpis = city
        .gaps
        .kpis
        .iter()
        .map(|g| {
            let def = catalogue.get(g.kpi);
            let reporting: Vec<(&CityProfile<'_>, &crate::city::KpiGap)> =
                group.iter().filter_map(|(p, _)| p.kpi(g.kpi).map(|k| (p, k))).collect();
            let achievements: Vec<f64> = reporting.iter().map(|(_, k)| k.achievement).collect();
            let (rank, out_of, percentile) = standing(g.achievement, &achievements);
            let better_value = |a: f64, b: f64| match def.direction {
                Direction::HigherBetter => a.total_cmp(&b),
                Direction::LowerBetter => b.total_cmp(&a),
            };
            let peer_best = reporting
                .iter()
                .max_by(|(pa, a), (pb, b)| {
                    a.achievement
                        .total_cmp(&b.achievement)
                        .then_with(|| better_value(a.value, b.value))
                        .then_with(|| pb.city.id.cmp(&pa.city.id))
                })
                .map(|(p, k)| PeerBest {
                    city_id: p.city.id.clone(),
                    name: display_name(p),
                    value: k.value,
                    achievement: k.achievement,
                });
            let mut series: Vec<YearValue> = city
                .city
                .observations
                .iter()
                .filter(|o| catalogue.id_of(&o.kpi) == Some(g.kpi))
                .map(|o| YearValue {
                    year: o.year,
                    value: o.value,
                    achievement: achievement(o.value, g.target, def.direction),
                })
                .collect();
            series.sort_by_key(|y| y.year);
            KpiStanding {
                code: def.code.clone(),
                name: def.name.clone(),
                category: def.category.clone(),
                unit: def.unit.clone(),
                direction: def.direction,
                value: g.value,
                year: g.year,
                target: g.target,
                achievement: g.achievement,
                rank,
                out_of,
                percentile,
                peer_median: median(reporting.iter().map(|(_, k)| k.value).collect()),
                peer_median_achievement: median(achievements),
                peer_best,
                trend: g.trend.map(|t| t.direction),
                series,
            }
        })
        .collect::<Vec<_>>();
    let categories = city
        .gaps
        .categories
        .iter()
        .map(|(name, roll)| {
            let shares: Vec<(&CityProfile<'_>, f64)> = group
                .iter()
                .filter_map(|(p, _)| {
                    p.gaps
                        .categories
                        .get(name)
                        .filter(|r| r.scored > 0)
                        .map(|r| (p, r.share))
                })
                .collect();
            let values: Vec<f64> = shares.iter().map(|(_, s)| *s).collect();
            let (rank, out_of, percentile) = standing(roll.share, &values);
            let peer_best = shares
                .iter()
                .max_by(|(pa, a), (pb, b)| a.total_cmp(b).then_with(|| pb.city.id.cmp(&pa.city.id)))
                .map(|(p, s)| PeerShare {
                    city_id: p.city.id.clone(),
                    name: display_name(p),
                    share: *s,
                });
            let count = |d: TrendDirection| {
                city.gaps
                    .kpis
                    .iter()
                    .filter(|g| &g.category == name && g.trend.is_some_and(|t| t.direction == d))
                    .count()
            };
            CategoryStanding {
                category: name.clone(),
                share: roll.share,
                band: roll.band,
                kpis_scored: roll.scored,
                rank,
                out_of,
                percentile,
                peer_median_share: median(values),
                peer_best,
                improving: count(TrendDirection::Improving),
                worsening: count(TrendDirection::Worsening),
                stable: count(TrendDirection::Stable),
            }
        })
        .collect();
    Benchmark {
        city_id: city.city.id.clone(),
        comparable: true,
        reason: None,
        peers: group
            .iter()
            .map(|(p, s)| PeerRef {
                city_id: p.city.id.clone(),
                name: display_name(p),
                similarity: s.score,
            })
            .collect(),
        kpis,
        categories,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_ranks_ties_together_and_counts_them_half() {
        assert_eq!(standing(0.5, &[]), (1, 1, None));
        assert_eq!(standing(0.5, &[0.9, 0.5, 0.1, 0.2]), (2, 5, Some(62.5)));
        assert_eq!(standing(1.0, &[1.0, 1.0]), (1, 3, Some(50.0)));
        assert_eq!(standing(0.0, &[0.3]), (2, 2, Some(0.0)));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
