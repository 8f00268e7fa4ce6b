use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::index::{SolutionTable, StoredSolution};
use crate::kpi::{Catalogue, KpiId};
use crate::limits;
use crate::solution::{CostBand, Maturity, ProviderType};
use crate::{Error, Result};

/// Hard filters: within a list any value matches (OR), across lists all must match (AND).
/// A solution missing the attribute a filter asks about does not match it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Accepted maturities.
    #[serde(default)]
    pub maturity: Vec<Maturity>,
    /// Accepted cost bands.
    #[serde(default)]
    pub cost_band: Vec<CostBand>,
    /// Accepted provider types.
    #[serde(default)]
    pub provider_type: Vec<ProviderType>,
    /// Accepted regions (a solution serving `Global` matches every region).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Accepted categories (case-insensitive).
    #[serde(default)]
    pub categories: Vec<String>,
    /// The solution must address at least one of these KPIs (declared or inferred).
    #[serde(default)]
    pub kpis: Vec<String>,
    /// Solutions never to return.
    #[serde(default)]
    pub exclude_ids: Vec<String>,
}

/// Filters resolved against the catalogue and the table, ready for per-solution checks.
#[derive(Debug, Clone)]
pub(crate) struct CompiledFilters {
    maturity: Vec<Maturity>,
    cost_band: Vec<CostBand>,
    provider_type: Vec<ProviderType>,
    /// `None`: no region filter. `Some(ids)`: accepted interned ids (may be empty: nothing matches
    /// except `global`).
    regions: Option<Vec<u32>>,
    global: Option<u32>,
    categories: Option<Vec<u32>>,
    kpis: Vec<KpiId>,
    exclude: HashSet<u32>,
    pub(crate) active: bool,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        self.maturity.is_empty()
            && self.cost_band.is_empty()
            && self.provider_type.is_empty()
            && self.regions.is_empty()
            && self.categories.is_empty()
            && self.kpis.is_empty()
            && self.exclude_ids.is_empty()
    }

    pub(crate) fn compile(&self, catalogue: &Catalogue, table: &SolutionTable) -> Result<CompiledFilters> {
        let lists = [
            ("filters.maturity", self.maturity.len()),
            ("filters.cost_band", self.cost_band.len()),
            ("filters.provider_type", self.provider_type.len()),
            ("filters.regions", self.regions.len()),
            ("filters.categories", self.categories.len()),
            ("filters.kpis", self.kpis.len()),
            ("filters.exclude_ids", self.exclude_ids.len()),
        ];
        for (field, n) in lists {
            if n > limits::MAX_FILTER_ITEMS {
                return Err(Error::invalid(
                    field,
                    format!("has {n} items; the limit is {}", limits::MAX_FILTER_ITEMS),
                ));
            }
        }
        let texts = [
            ("filters.regions", &self.regions),
            ("filters.categories", &self.categories),
            ("filters.kpis", &self.kpis),
            ("filters.exclude_ids", &self.exclude_ids),
        ];
        for (field, list) in texts {
            if let Some(i) = list
                .iter()
                .position(|v| v.chars().count() > limits::MAX_LIST_ITEM_CHARS)
            {
                return Err(Error::invalid(
                    format!("{field}[{i}]"),
                    format!("is longer than {} characters", limits::MAX_LIST_ITEM_CHARS),
                ));
            }
        }
        let mut kpis = Vec::new();
        for (i, raw) in self.kpis.iter().enumerate() {
            let id = catalogue.resolve(raw).map_err(|e| match e {
                Error::UnknownKpi(code) => Error::UnknownKpiAt {
                    field: format!("filters.kpis[{i}]"),
                    code,
                },
                other => Error::invalid(format!("filters.kpis[{i}]"), other.to_string()),
            })?;
            kpis.push(id);
        }
        let intern = |names: &[String]| -> Option<Vec<u32>> {
            (!names.is_empty()).then(|| names.iter().filter_map(|n| table.interned(n)).collect())
        };
        let exclude = self.exclude_ids.iter().filter_map(|id| table.ord_of(id)).collect();
        Ok(CompiledFilters {
            maturity: self.maturity.clone(),
            cost_band: self.cost_band.clone(),
            provider_type: self.provider_type.clone(),
            regions: intern(&self.regions),
            global: table.interned(crate::index::table_global()),
            categories: intern(&self.categories),
            kpis,
            exclude,
            active: !self.is_empty(),
        })
    }
}

/// The filter that keeps a solution out of a ranking: the request's field and the solution's
/// own value for it, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterMiss {
    /// The request field (`filters.maturity`, `filters.regions`, …).
    pub field: String,
    /// What the solution has for it (`pilot`, `Europe, Asia`, `none stated`).
    pub value: String,
    /// What the filter accepts (`proven, scaled`).
    pub accepted: String,
}

fn listed(values: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = values.into_iter().map(|s| s.as_ref().to_string()).collect();
    if v.is_empty() {
        "none stated".into()
    } else {
        v.join(", ")
    }
}

impl Filters {
    /// The first filter that rejects a solution, in field order; `None` when it passes them all.
    /// Agrees with the compiled filters' `accepts` (tested).
    pub(crate) fn rejection(&self, s: &StoredSolution, compiled: &CompiledFilters, ord: u32) -> Option<FilterMiss> {
        if compiled.accepts(ord, s) {
            return None;
        }
        let sol = &s.solution;
        let miss = |field: &str, value: String, accepted: String| FilterMiss {
            field: format!("filters.{field}"),
            value,
            accepted,
        };
        if compiled.exclude.contains(&ord) {
            return Some(miss("exclude_ids", sol.id.clone(), "every solution not listed".into()));
        }
        if !SolutionTable::maturity_in(s, &self.maturity) {
            return Some(miss(
                "maturity",
                listed(sol.maturity.map(|m| m.as_str())),
                listed(self.maturity.iter().map(|m| m.as_str())),
            ));
        }
        if !SolutionTable::cost_in(s, &self.cost_band) {
            return Some(miss(
                "cost_band",
                listed(sol.cost_band.map(|c| c.as_str())),
                listed(self.cost_band.iter().map(|c| c.as_str())),
            ));
        }
        if !(self.provider_type.is_empty() || self.provider_type.contains(&sol.provider_type)) {
            return Some(miss(
                "provider_type",
                sol.provider_type.as_str().into(),
                listed(self.provider_type.iter().map(|p| p.as_str())),
            ));
        }
        if let Some(accepted) = &compiled.regions {
            if !s
                .regions
                .iter()
                .any(|r| accepted.contains(r) || Some(*r) == compiled.global)
            {
                return Some(miss("regions", listed(&sol.regions), listed(&self.regions)));
            }
        }
        if let Some(accepted) = &compiled.categories {
            if !s.categories.iter().any(|c| accepted.contains(c)) {
                return Some(miss("categories", listed(&sol.categories), listed(&self.categories)));
            }
        }
        Some(miss(
            "kpis",
            "none of those KPIs in its profile".into(),
            listed(&self.kpis),
        ))
    }
}

impl CompiledFilters {
    /// Whether a solution passes every filter.
    pub(crate) fn accepts(&self, ord: u32, s: &StoredSolution) -> bool {
        if !self.active {
            return true;
        }
        if self.exclude.contains(&ord)
            || !SolutionTable::maturity_in(s, &self.maturity)
            || !SolutionTable::cost_in(s, &self.cost_band)
            || !(self.provider_type.is_empty() || self.provider_type.contains(&s.solution.provider_type))
        {
            return false;
        }
        if let Some(accepted) = &self.regions {
            let ok = s
                .regions
                .iter()
                .any(|r| accepted.contains(r) || Some(*r) == self.global);
            if !ok {
                return false;
            }
        }
        if let Some(accepted) = &self.categories {
            if !s.categories.iter().any(|c| accepted.contains(c)) {
                return false;
            }
        }
        if !self.kpis.is_empty() && !self.kpis.iter().any(|&k| s.profile.get(k).is_some()) {
            return false;
        }
        true
    }

    /// The accepted ordinals as a bitset (for the text index's filtered search).
    pub(crate) fn bitset(&self, table: &SolutionTable) -> Vec<u64> {
        let mut bits = vec![0u64; table.ord_bound().div_ceil(64)];
        for (ord, s) in table.iter() {
            if self.accepts(ord, s) {
                bits[(ord / 64) as usize] |= 1 << (ord % 64);
            }
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::catalogue_tests_tiny as tiny;

    fn field_of(f: &Filters) -> Option<String> {
        match f.compile(&tiny(), &SolutionTable::default()) {
            Ok(_) => None,
            Err(Error::InvalidField { field, .. }) => Some(field),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn list_lengths_and_item_lengths_are_bounded() {
        let at = vec!["r".repeat(limits::MAX_LIST_ITEM_CHARS); limits::MAX_FILTER_ITEMS];
        let mut f = Filters {
            regions: at.clone(),
            categories: at.clone(),
            exclude_ids: at,
            ..Default::default()
        };
        assert_eq!(field_of(&f), None);
        f.categories.push("one more".into());
        assert_eq!(field_of(&f).as_deref(), Some("filters.categories"));
        f.categories.pop();
        f.exclude_ids[7].push('x');
        assert_eq!(field_of(&f).as_deref(), Some("filters.exclude_ids[7]"));
        let f = Filters {
            maturity: vec![Maturity::Proven; limits::MAX_FILTER_ITEMS + 1],
            ..Default::default()
        };
        assert_eq!(field_of(&f).as_deref(), Some("filters.maturity"));
    }
}
