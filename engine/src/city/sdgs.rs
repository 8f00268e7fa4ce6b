//! Where a city stands on each Sustainable Development Goal, read off the KPIs that serve it.
//!
//! The U4SSC KPIs exist to localise the SDGs. Each KPI of the catalogue lists the goals it
//! serves (`Kpi::goals`: kpimatch's goal-level mapping by subject plus the goals of its linked
//! SDG indicators); a KPI serving several goals counts for each. A goal's standing is the U4SSC
//! roll-up of the points of its KPIs that the city reports (share of the maximum points, and
//! its band), with its weakest KPIs and how many of its KPIs have data.

use serde::Serialize;

use super::{GapAnalysis, KpiGap};
use crate::kpi::{Band, Catalogue, RollUp, SDG_GOALS};
use crate::vocab::Vocabulary;

/// How many of a goal's weakest KPIs a standing lists.
pub const WEAKEST_PER_GOAL: usize = 3;

/// A city's standing on one goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalStanding {
    /// Goal number, 1–17.
    pub goal: u8,
    /// Goal name.
    pub name: String,
    /// KPIs of the catalogue that serve the goal.
    pub kpis_linked: usize,
    /// Of those, the KPIs the city reports.
    pub kpis_with_data: usize,
    /// Roll-up of the reported KPIs' points (share of the maximum, band); `share` 0 and no band
    /// when none is reported.
    pub standing: RollUp,
    /// The goal's reported KPIs furthest from target, weakest first (at most
    /// [`WEAKEST_PER_GOAL`], only those not yet at target).
    pub weakest: Vec<KpiGap>,
}

/// A city's standing on every goal some KPI serves, in goal order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdgStanding {
    /// One entry per goal with at least one linked KPI.
    pub goals: Vec<GoalStanding>,
}

impl SdgStanding {
    /// The standing of a city from its gap analysis.
    pub fn compute(gaps: &GapAnalysis, catalogue: &Catalogue, vocabulary: &Vocabulary) -> SdgStanding {
        let mut by_kpi: Vec<Option<&KpiGap>> = vec![None; catalogue.len()];
        for g in &gaps.kpis {
            by_kpi[g.kpi] = Some(g);
        }
        let goals = (1..=SDG_GOALS)
            .filter_map(|goal| {
                let linked = catalogue.kpis_of_goal(goal);
                if linked.is_empty() {
                    return None;
                }
                // `gaps.kpis` is weakest first; keep that order for the goal's KPIs.
                let mut reported: Vec<&KpiGap> = linked.iter().filter_map(|&k| by_kpi[k]).collect();
                reported.sort_by(|a, b| {
                    b.gap
                        .total_cmp(&a.gap)
                        .then(b.core.cmp(&a.core))
                        .then(a.code.cmp(&b.code))
                });
                Some(GoalStanding {
                    goal,
                    name: vocabulary.goal_name(goal),
                    kpis_linked: linked.len(),
                    kpis_with_data: reported.len(),
                    standing: RollUp::from_points(reported.iter().map(|g| g.points)),
                    weakest: reported
                        .iter()
                        .filter(|g| g.band != Band::High)
                        .take(WEAKEST_PER_GOAL)
                        .map(|g| (*g).clone())
                        .collect(),
                })
            })
            .collect();
        SdgStanding { goals }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;

    /// Every goal's points are exactly the points of the reported KPIs that serve it (a KPI
    /// serving two goals counts for both), the weakest are in gap order and not at target, and
    /// the data counts add up.
    #[test]
    fn goal_standings_roll_up_the_kpis_that_serve_each_goal() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let cat = &bundle.catalogue;
        assert_eq!(
            cat.kpis().iter().filter(|k| k.goals.is_empty()).count(),
            0,
            "every KPI serves a goal"
        );
        for city in &bundle.cities {
            let gaps = GapAnalysis::compute(city, cat);
            let s = SdgStanding::compute(&gaps, cat, &bundle.vocabulary);
            assert_eq!(s.goals.len(), 17, "the bundle's mapping covers every goal");
            for g in &s.goals {
                let mine: Vec<&KpiGap> = gaps
                    .kpis
                    .iter()
                    .filter(|k| cat.get(k.kpi).goals.contains(&g.goal))
                    .collect();
                assert_eq!(g.kpis_with_data, mine.len(), "{} SDG {}", city.id, g.goal);
                assert_eq!(g.standing.points, mine.iter().map(|k| k.points).sum::<u32>());
                assert_eq!(g.standing.max_points, 4 * mine.len() as u32);
                assert!(g.kpis_with_data <= g.kpis_linked);
                assert!(g.weakest.windows(2).all(|w| w[0].gap >= w[1].gap));
                assert!(g.weakest.iter().all(|k| k.achievement < 0.95));
                assert!(!g.name.starts_with("SDG "), "the vocabulary names goal {}", g.goal);
            }
        }
    }

    #[test]
    fn a_city_without_data_has_no_standing_but_every_goal_is_listed() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let mut city = bundle.cities[0].clone();
        city.observations.clear();
        let gaps = GapAnalysis::compute(&city, &bundle.catalogue);
        let s = SdgStanding::compute(&gaps, &bundle.catalogue, &bundle.vocabulary);
        assert!(s
            .goals
            .iter()
            .all(|g| g.kpis_with_data == 0 && g.standing.band.is_none() && g.weakest.is_empty()));
    }
}
