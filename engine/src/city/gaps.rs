use std::collections::BTreeMap;

use ndarray::Array1;
use serde::Serialize;

use super::record::City;
use crate::kpi::{achievement, Band, Catalogue, KpiCode, KpiId, RollUp};

/// Where the target used for a KPI comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetSource {
    /// The city set its own target.
    City,
    /// kpimatch's default target (see the catalogue for its source).
    Default,
}

/// Whether a KPI got better or worse over the years reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendDirection {
    /// Achievement rose.
    Improving,
    /// Achievement fell.
    Worsening,
    /// Achievement unchanged (within half a percentage point).
    Stable,
}

/// The change of a KPI from its earliest to its latest observation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    /// Improving, worsening or stable, judged on achievement so direction is accounted for.
    pub direction: TrendDirection,
    /// Year of the earliest observation.
    pub from_year: i32,
    /// Value of the earliest observation.
    pub from_value: f64,
    /// Change in achievement (latest − earliest), in [-1, 1].
    pub achievement_change: f64,
}

/// Where a city stands on one KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiGap {
    /// Catalogue position.
    #[serde(skip)]
    pub kpi: KpiId,
    /// Canonical code.
    pub code: KpiCode,
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
    /// Year of the latest value.
    pub year: i32,
    /// Target used.
    pub target: f64,
    /// Whose target.
    pub target_source: TargetSource,
    /// Share of the target reached, [0, 1].
    pub achievement: f64,
    /// U4SSC band.
    pub band: Band,
    /// U4SSC points (1–4).
    pub points: u32,
    /// Distance to target, `1 − achievement`, in [0, 1]; 0 means met.
    pub gap: f64,
    /// Trend over the years reported, when there are at least two.
    pub trend: Option<Trend>,
}

/// A city's standing on every KPI it reports, weakest first, with roll-ups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapAnalysis {
    /// Observed KPIs, weakest first (largest gap, then core before advanced, then code).
    pub kpis: Vec<KpiGap>,
    /// KPIs with no observation: missing data, not met.
    pub missing: Vec<KpiCode>,
    /// Roll-up per category, in catalogue order.
    pub categories: BTreeMap<String, RollUp>,
    /// Roll-up per sub-dimension.
    pub subdimensions: BTreeMap<String, RollUp>,
    /// Roll-up per dimension.
    pub dimensions: BTreeMap<String, RollUp>,
    /// Roll-up over every KPI scored.
    pub overall: RollUp,
}

impl GapAnalysis {
    /// Analyses a city (assumed valid: see [`City::validate`]). Observations of unknown KPIs are skipped.
    pub fn compute(city: &City, catalogue: &Catalogue) -> GapAnalysis {
        // Group observations per KPI, ordered by year.
        let mut per_kpi: Vec<Vec<&super::Observation>> = vec![Vec::new(); catalogue.len()];
        for o in &city.observations {
            if let Some(id) = catalogue.id_of(&o.kpi) {
                per_kpi[id].push(o);
            }
        }
        let mut kpis = Vec::new();
        let mut missing = Vec::new();
        for (id, obs) in per_kpi.iter_mut().enumerate() {
            let def = catalogue.get(id);
            if obs.is_empty() {
                missing.push(def.code.clone());
                continue;
            }
            obs.sort_by_key(|o| o.year);
            let latest = obs[obs.len() - 1];
            // A city target set on any observation applies; the latest one set wins.
            let city_target = obs.iter().rev().find_map(|o| o.target);
            let (target, target_source) = match city_target {
                Some(t) => (t, TargetSource::City),
                None => (def.target, TargetSource::Default),
            };
            let ach = achievement(latest.value, target, def.direction);
            let band = Band::of(ach);
            let trend = (obs.len() >= 2).then(|| {
                let first = obs[0];
                let change = ach - achievement(first.value, target, def.direction);
                Trend {
                    direction: if change > 0.005 {
                        TrendDirection::Improving
                    } else if change < -0.005 {
                        TrendDirection::Worsening
                    } else {
                        TrendDirection::Stable
                    },
                    from_year: first.year,
                    from_value: first.value,
                    achievement_change: change,
                }
            });
            kpis.push(KpiGap {
                kpi: id,
                code: def.code.clone(),
                name: def.name.clone(),
                category: def.category.clone(),
                core: def.core,
                unit: def.unit.clone(),
                value: latest.value,
                year: latest.year,
                target,
                target_source,
                achievement: ach,
                band,
                points: band.points(),
                gap: 1.0 - ach,
                trend,
            });
        }
        let roll = |key: fn(&crate::kpi::Kpi) -> &String| {
            let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
            for g in &kpis {
                groups
                    .entry(key(catalogue.get(g.kpi)).clone())
                    .or_default()
                    .push(g.points);
            }
            groups
                .into_iter()
                .map(|(k, pts)| (k, RollUp::from_points(pts)))
                .collect::<BTreeMap<_, _>>()
        };
        let categories = roll(|k| &k.category);
        let subdimensions = roll(|k| &k.subdimension);
        let dimensions = roll(|k| &k.dimension);
        let overall = RollUp::from_points(kpis.iter().map(|g| g.points));
        kpis.sort_by(|a, b| {
            b.gap
                .total_cmp(&a.gap)
                .then(b.core.cmp(&a.core))
                .then(a.code.cmp(&b.code))
        });
        GapAnalysis {
            kpis,
            missing,
            categories,
            subdimensions,
            dimensions,
            overall,
        }
    }

    /// The gap of every KPI as a dense vector over the catalogue (0 where not observed), and
    /// a mask of the KPIs observed.
    pub fn gap_vector(&self, catalogue: &Catalogue) -> (Array1<f32>, Vec<bool>) {
        let mut gaps = Array1::<f32>::zeros(catalogue.len());
        let mut observed = vec![false; catalogue.len()];
        for g in &self.kpis {
            gaps[g.kpi] = g.gap as f32;
            observed[g.kpi] = true;
        }
        (gaps, observed)
    }

    /// The entry for a KPI, when observed.
    pub fn get(&self, kpi: KpiId) -> Option<&KpiGap> {
        self.kpis.iter().find(|g| g.kpi == kpi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::Observation;
    use crate::kpi::catalogue_tests_tiny as tiny;

    fn obs(code: &str, value: f64, year: i32, target: Option<f64>) -> Observation {
        Observation {
            kpi: KpiCode::parse(code).unwrap(),
            value,
            year,
            target,
        }
    }

    fn city(observations: Vec<Observation>) -> City {
        City {
            id: "c".into(),
            name: "C".into(),
            country: String::new(),
            region: String::new(),
            population: None,
            needs: vec![],
            observations,
            deployments: Vec::new(),
        }
    }

    #[test]
    fn weakest_first_latest_counts_trend_and_missing() {
        let cat = tiny();
        let c = city(vec![
            obs("EC:I:WS:3C", 40.0, 2023, None), // loss 40 % vs 10 %: achievement 0.25
            obs("EC:I:WS:3C", 30.0, 2019, None),
            obs("EC:I:WS:1C", 90.0, 2023, None), // 0.9
        ]);
        let g = GapAnalysis::compute(&c, &cat);
        assert_eq!(g.kpis[0].code.as_str(), "EC:I:WS:3C");
        assert_eq!(g.kpis[0].value, 40.0);
        assert!((g.kpis[0].gap - 0.75).abs() < 1e-12);
        assert_eq!(g.kpis[0].band, Band::Low);
        let t = g.kpis[0].trend.unwrap();
        assert_eq!(t.direction, TrendDirection::Worsening);
        assert_eq!(t.from_year, 2019);
        assert_eq!(g.kpis[1].points, 3);
        assert!(g.kpis[1].trend.is_none());
        assert_eq!(g.missing.len(), 1);
        assert_eq!(g.missing[0].as_str(), "SC:EH:ED:4A");
        // Water and Sanitation: points 1 + 3 = 4 of 8 → 50 % → 33–66 band.
        let w = g.categories["Water and Sanitation"];
        assert_eq!((w.points, w.max_points), (4, 8));
        assert_eq!(w.band, Some(Band::MediumLow));
        assert!(!g.categories.contains_key("Education"));
    }

    #[test]
    fn city_target_overrides_default() {
        let cat = tiny();
        let g = GapAnalysis::compute(&city(vec![obs("EC:I:WS:3C", 20.0, 2023, Some(20.0))]), &cat);
        assert_eq!(g.kpis[0].target_source, TargetSource::City);
        assert_eq!(g.kpis[0].gap, 0.0);
    }

    #[test]
    fn gap_vector_marks_observed() {
        let cat = tiny();
        let g = GapAnalysis::compute(&city(vec![obs("EC:I:WS:1C", 50.0, 2023, None)]), &cat);
        let (v, seen) = g.gap_vector(&cat);
        assert_eq!(v[1], 0.5);
        assert_eq!(seen, [false, true, false]);
    }
}
