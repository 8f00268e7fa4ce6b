//! How many solutions carry each value of the fields a match may filter on: what a filter form
//! or a catalogue browser offers, with counts.

use std::collections::HashMap;

use super::{CostBand, Maturity, ProviderType, Solution};

/// How categories and regions compare, in filters and in these counts: trimmed and lower-cased.
pub fn filter_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// One value of a field and how many solutions carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    /// The value as the first solution that used it spelled it (filters compare trimmed and
    /// case-insensitively, so spellings that differ only in case count as one value).
    pub value: String,
    /// Solutions carrying it.
    pub count: usize,
}

/// Counts per value of the filterable fields over a set of solutions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    /// Solutions counted.
    pub solutions: usize,
    /// Categories, most used first (ties by value).
    pub categories: Vec<FacetCount>,
    /// Regions served, most used first (a solution serving `Global` matches every region
    /// filter; it is counted under `Global` only).
    pub regions: Vec<FacetCount>,
    /// Maturity levels in order of maturity, with solutions that state none left out.
    pub maturity: Vec<FacetCount>,
    /// Cost bands from low to high, with solutions that state none left out.
    pub cost_band: Vec<FacetCount>,
    /// Provider types in their listed order (every solution has one; `company` by default),
    /// types no solution has left out.
    pub provider_type: Vec<FacetCount>,
}

/// Counts free-string values by their trimmed, lower-cased form.
#[derive(Default)]
struct Tally {
    by_key: HashMap<String, usize>,
    counts: Vec<FacetCount>,
}

impl Tally {
    fn add(&mut self, values: &[String]) {
        let mut seen: Vec<usize> = Vec::with_capacity(values.len());
        for v in values {
            let trimmed = v.trim();
            if trimmed.is_empty() {
                continue;
            }
            let next = self.counts.len();
            let i = *self.by_key.entry(filter_key(trimmed)).or_insert(next);
            if i == next {
                self.counts.push(FacetCount {
                    value: trimmed.to_string(),
                    count: 0,
                });
            }
            // A solution listing the same value twice counts once.
            if !seen.contains(&i) {
                seen.push(i);
                self.counts[i].count += 1;
            }
        }
    }

    fn into_sorted(mut self) -> Vec<FacetCount> {
        self.counts
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        self.counts
    }
}

fn in_order<T: PartialEq + Copy>(all: &[T], stated: &[T], name: impl Fn(T) -> &'static str) -> Vec<FacetCount> {
    all.iter()
        .map(|&v| FacetCount {
            value: name(v).to_string(),
            count: stated.iter().filter(|&&s| s == v).count(),
        })
        .filter(|f| f.count > 0)
        .collect()
}

impl Facets {
    /// Counts over the given solutions.
    pub fn count<'a>(solutions: impl IntoIterator<Item = &'a Solution>) -> Facets {
        let (mut categories, mut regions) = (Tally::default(), Tally::default());
        let (mut maturity, mut cost, mut provider) = (Vec::new(), Vec::new(), Vec::new());
        let mut n = 0;
        for s in solutions {
            n += 1;
            categories.add(&s.categories);
            regions.add(&s.regions);
            maturity.extend(s.maturity);
            cost.extend(s.cost_band);
            provider.push(s.provider_type);
        }
        Facets {
            solutions: n,
            categories: categories.into_sorted(),
            regions: regions.into_sorted(),
            maturity: in_order(&Maturity::ALL, &maturity, Maturity::as_str),
            cost_band: in_order(&CostBand::ALL, &cost, CostBand::as_str),
            provider_type: in_order(&ProviderType::ALL, &provider, ProviderType::as_str),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(categories: &[&str], regions: &[&str], maturity: Option<Maturity>) -> Solution {
        serde_json::from_value(serde_json::json!({
            "id": "x",
            "title": "A title",
            "categories": categories,
            "regions": regions,
            "maturity": maturity,
        }))
        .expect("a valid solution")
    }

    #[test]
    fn counts_values_case_insensitively_once_per_solution_most_used_first() {
        // Arrange
        let solutions = [
            solution(&["Environment", "Living"], &["Europe"], Some(Maturity::Proven)),
            solution(&["environment ", "ENVIRONMENT"], &["Global"], Some(Maturity::Pilot)),
            solution(&["Mobility"], &["Europe", "Africa"], None),
            solution(&[], &[], Some(Maturity::Proven)),
        ];

        // Act
        let f = Facets::count(&solutions);

        // Assert
        assert_eq!(f.solutions, 4);
        let pairs = |v: &[FacetCount]| v.iter().map(|c| (c.value.clone(), c.count)).collect::<Vec<_>>();
        assert_eq!(
            pairs(&f.categories),
            [("Environment".into(), 2), ("Living".into(), 1), ("Mobility".into(), 1)]
        );
        assert_eq!(
            pairs(&f.regions),
            [("Europe".into(), 2), ("Africa".into(), 1), ("Global".into(), 1)]
        );
        assert_eq!(pairs(&f.maturity), [("pilot".into(), 1), ("proven".into(), 2)]);
        assert!(f.cost_band.is_empty(), "no solution states a cost band");
        assert_eq!(
            pairs(&f.provider_type),
            [("company".into(), 4)],
            "unstated means company"
        );
    }

    #[test]
    fn nothing_to_count_gives_empty_facets() {
        assert_eq!(Facets::count(&[]), Facets::default());
    }
}
