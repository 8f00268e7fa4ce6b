use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::code::KpiCode;
use crate::{Error, Result};

/// Position of a KPI in the catalogue: the column of that KPI in every KPI vector.
pub type KpiId = usize;

/// Which way a KPI improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (coverage, access, share of renewables…).
    HigherBetter,
    /// Less is better (losses, pollution, deaths, unemployment…).
    LowerBetter,
}

/// One U4SSC KPI with its default target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    /// Canonical code, e.g. `EC:I:WS:3C`.
    pub code: KpiCode,
    /// `Economy`, `Environment` or `Society and Culture`.
    pub dimension: String,
    /// One of the 7 sub-dimensions.
    pub subdimension: String,
    /// One of the 22 categories.
    pub category: String,
    /// Official name.
    pub name: String,
    /// Core (every city should report it) or advanced.
    pub core: bool,
    /// Unit the values and the target are in.
    pub unit: String,
    /// Which way the KPI improves.
    pub direction: Direction,
    /// What it measures and why it matters, in kpimatch's words.
    pub description: String,
    /// Linked SDG targets or indicators (`"6.4.1"`).
    #[serde(default)]
    pub sdgs: Vec<String>,
    /// The Sustainable Development Goals (1–17) the KPI serves: kpimatch's goal-level mapping
    /// by subject, always including the goals of the indicators in `sdgs` (the catalogue adds
    /// those itself). A KPI may serve several goals.
    #[serde(default)]
    pub goals: Vec<u8>,
    /// Default target in [`Kpi::unit`]; a city may override it.
    pub target: f64,
    /// Where the default target comes from.
    pub target_source: String,
    /// How a multi-series or yes/no KPI is scored, where that needed a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_note: Option<String>,
}

/// The 91 U4SSC KPIs, with look-up by code and the category / sub-dimension / dimension tree.
#[derive(Debug, Clone)]
pub struct Catalogue {
    kpis: Vec<Kpi>,
    by_code: HashMap<KpiCode, KpiId>,
    categories: Vec<String>,
    subdimensions: Vec<String>,
    dimensions: Vec<String>,
    /// KPIs per goal (index 0 unused), in catalogue order.
    by_goal: Vec<Vec<KpiId>>,
}

/// The number of Sustainable Development Goals.
pub const SDG_GOALS: u8 = 17;

/// The goal (1–17) of an SDG target or indicator such as `"6.4.1"` or `"SDG 11.2"`.
pub fn goal_of_indicator(indicator: &str) -> Option<u8> {
    let t = indicator.trim();
    let t = t.strip_prefix("SDG").unwrap_or(t).trim_start();
    let g: u8 = t.split('.').next()?.trim().parse().ok()?;
    (1..=SDG_GOALS).contains(&g).then_some(g)
}

impl Catalogue {
    /// Builds a catalogue, checking that codes are unique and targets usable.
    pub fn new(mut kpis: Vec<Kpi>) -> Result<Catalogue> {
        let mut by_goal = vec![Vec::new(); usize::from(SDG_GOALS) + 1];
        for (id, kpi) in kpis.iter_mut().enumerate() {
            if let Some(&g) = kpi.goals.iter().find(|g| !(1..=SDG_GOALS).contains(*g)) {
                return Err(Error::invalid(
                    "goals",
                    format!("KPI '{}' names goal {g}; the SDGs are numbered 1 to 17", kpi.code),
                ));
            }
            kpi.goals.extend(kpi.sdgs.iter().filter_map(|s| goal_of_indicator(s)));
            kpi.goals.sort_unstable();
            kpi.goals.dedup();
            for &g in &kpi.goals {
                by_goal[usize::from(g)].push(id);
            }
        }
        let mut by_code = HashMap::with_capacity(kpis.len());
        let mut categories: Vec<String> = Vec::new();
        let mut subdimensions: Vec<String> = Vec::new();
        let mut dimensions: Vec<String> = Vec::new();
        for (id, kpi) in kpis.iter().enumerate() {
            if by_code.insert(kpi.code.clone(), id).is_some() {
                return Err(Error::invalid(
                    "code",
                    format!("KPI code '{}' appears twice in the catalogue", kpi.code),
                ));
            }
            if !(kpi.target.is_finite() && kpi.target > 0.0) {
                return Err(Error::invalid(
                    "target",
                    format!(
                        "KPI '{}' has target {}; targets must be positive finite numbers",
                        kpi.code, kpi.target
                    ),
                ));
            }
            for (list, name) in [
                (&mut categories, &kpi.category),
                (&mut subdimensions, &kpi.subdimension),
                (&mut dimensions, &kpi.dimension),
            ] {
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
        }
        Ok(Catalogue {
            kpis,
            by_code,
            categories,
            subdimensions,
            dimensions,
            by_goal,
        })
    }

    /// The KPIs that serve a goal (1–17), in catalogue order; empty for other numbers.
    pub fn kpis_of_goal(&self, goal: u8) -> &[KpiId] {
        self.by_goal.get(usize::from(goal)).map_or(&[], |v| v.as_slice())
    }

    /// Number of KPIs (the length of every KPI vector).
    pub fn len(&self) -> usize {
        self.kpis.len()
    }

    /// True when the catalogue holds no KPI.
    pub fn is_empty(&self) -> bool {
        self.kpis.is_empty()
    }

    /// All KPIs, in catalogue order.
    pub fn kpis(&self) -> &[Kpi] {
        &self.kpis
    }

    /// The KPI at a position.
    pub fn get(&self, id: KpiId) -> &Kpi {
        &self.kpis[id]
    }

    /// Position of a canonical code.
    pub fn id_of(&self, code: &KpiCode) -> Option<KpiId> {
        self.by_code.get(code).copied()
    }

    /// Parses a code in any spacing or case and looks it up; an unknown code is an error naming it.
    pub fn resolve(&self, raw: &str) -> Result<KpiId> {
        let code = KpiCode::parse(raw)?;
        self.id_of(&code)
            .ok_or_else(|| Error::UnknownKpi(code.as_str().to_string()))
    }

    /// The KPI for a code in any spacing or case.
    pub fn lookup(&self, raw: &str) -> Result<&Kpi> {
        self.resolve(raw).map(|id| &self.kpis[id])
    }

    /// The 22 category names, in catalogue order.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The sub-dimension names, in catalogue order.
    pub fn subdimensions(&self) -> &[String] {
        &self.subdimensions
    }

    /// The dimension names, in catalogue order.
    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }

    /// KPIs of a category, matched case-insensitively; `None` when no category has that name.
    pub fn kpis_in_category(&self, name: &str) -> Option<Vec<KpiId>> {
        let ids: Vec<KpiId> = self
            .kpis
            .iter()
            .enumerate()
            .filter(|(_, k)| k.category.eq_ignore_ascii_case(name.trim()))
            .map(|(id, _)| id)
            .collect();
        (!ids.is_empty()).then_some(ids)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small catalogue for unit tests: two water KPIs (one each direction) and one education KPI.
    pub(crate) fn tiny() -> Catalogue {
        let k = |code: &str, cat: &str, name: &str, dir: Direction, core: bool, target: f64| Kpi {
            code: KpiCode::parse(code).unwrap(),
            dimension: "Economy".into(),
            subdimension: "Infrastructure".into(),
            category: cat.into(),
            name: name.into(),
            core,
            unit: "%".into(),
            direction: dir,
            description: format!("{name} description"),
            sdgs: vec![],
            goals: vec![],
            target,
            target_source: "test".into(),
            scoring_note: None,
        };
        Catalogue::new(vec![
            k(
                "EC:I:WS:3C",
                "Water and Sanitation",
                "Water Supply Loss",
                Direction::LowerBetter,
                true,
                10.0,
            ),
            k(
                "EC:I:WS:1C",
                "Water and Sanitation",
                "Basic Water Supply",
                Direction::HigherBetter,
                true,
                100.0,
            ),
            k(
                "SC:EH:ED:4A",
                "Education",
                "Adult Literacy",
                Direction::HigherBetter,
                false,
                99.0,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn resolve_accepts_any_spacing_and_case_and_names_unknown_codes() {
        let cat = tiny();
        assert_eq!(cat.resolve("ec: i: ws: 3c").unwrap(), 0);
        let err = cat.resolve("EC:I:WS:9C").unwrap_err();
        assert!(matches!(err, Error::UnknownKpi(ref c) if c == "EC:I:WS:9C"), "{err}");
    }

    #[test]
    fn categories_are_matched_case_insensitively() {
        let cat = tiny();
        assert_eq!(cat.kpis_in_category("water and sanitation"), Some(vec![0, 1]));
        assert_eq!(cat.kpis_in_category("Nope"), None);
        assert_eq!(cat.categories(), ["Water and Sanitation", "Education"]);
    }

    #[test]
    fn non_positive_targets_are_rejected() {
        let mut kpis = tiny().kpis().to_vec();
        kpis[0].target = 0.0;
        assert!(Catalogue::new(kpis).is_err());
    }
}
