use serde::Serialize;

use crate::city::{City, GapAnalysis, KpiGap};
use crate::kpi::KpiId;

/// Fewest KPIs two cities must both report to be compared.
pub const MIN_COMPARABLE_KPIS: usize = 8;

const KPI_WEIGHT: f64 = 0.6;
const POPULATION_WEIGHT: f64 = 0.2;
const REGION_WEIGHT: f64 = 0.2;

/// A city's size class, by inhabitants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PopulationBand {
    /// Fewer than 50 000.
    #[serde(rename = "<50k")]
    Under50k,
    /// 50 000 to 250 000.
    #[serde(rename = "50k-250k")]
    From50kTo250k,
    /// 250 000 to 1 million.
    #[serde(rename = "250k-1m")]
    From250kTo1m,
    /// 1 to 5 million.
    #[serde(rename = "1m-5m")]
    From1mTo5m,
    /// 5 million or more.
    #[serde(rename = ">=5m")]
    Over5m,
}

impl PopulationBand {
    /// The band of a population.
    pub fn of(population: u64) -> PopulationBand {
        match population {
            0..=49_999 => PopulationBand::Under50k,
            50_000..=249_999 => PopulationBand::From50kTo250k,
            250_000..=999_999 => PopulationBand::From250kTo1m,
            1_000_000..=4_999_999 => PopulationBand::From1mTo5m,
            _ => PopulationBand::Over5m,
        }
    }

    /// 0 (smallest) to 4 (largest).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The band as written on the wire (`<50k`, `50k-250k`, `250k-1m`, `1m-5m`, `>=5m`).
    pub fn label(self) -> &'static str {
        match self {
            PopulationBand::Under50k => "<50k",
            PopulationBand::From50kTo250k => "50k-250k",
            PopulationBand::From250kTo1m => "250k-1m",
            PopulationBand::From1mTo5m => "1m-5m",
            PopulationBand::Over5m => ">=5m",
        }
    }
}

/// How alike two comparable cities are, with its components (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Similarity {
    /// The weighted similarity, [0, 1].
    pub score: f64,
    /// One minus the RMS difference in achievement over the KPIs both report, [0, 1].
    pub kpis: f64,
    /// Population-band similarity, when both populations are known.
    pub population: Option<f64>,
    /// 1 for the same region, 0 otherwise, when both regions are known.
    pub region: Option<f64>,
    /// KPIs both cities report.
    pub comparable_kpis: usize,
}

/// The outcome of comparing two cities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Enough KPIs in common: their similarity.
    Comparable(Similarity),
    /// Fewer than [`MIN_COMPARABLE_KPIS`] KPIs in common.
    TooFewKpis {
        /// KPIs both cities report.
        comparable_kpis: usize,
    },
}

impl Comparison {
    /// The similarity, when comparable.
    pub fn similarity(&self) -> Option<Similarity> {
        match self {
            Comparison::Comparable(s) => Some(*s),
            Comparison::TooFewKpis { .. } => None,
        }
    }

    /// KPIs both cities report.
    pub fn comparable_kpis(&self) -> usize {
        match self {
            Comparison::Comparable(s) => s.comparable_kpis,
            Comparison::TooFewKpis { comparable_kpis } => *comparable_kpis,
        }
    }
}

/// A city with its gap analysis, indexed by KPI for comparisons.
#[derive(Debug, Clone)]
pub(crate) struct CityProfile<'a> {
    pub(crate) city: &'a City,
    pub(crate) gaps: &'a GapAnalysis,
    /// Position in `gaps.kpis` of each catalogue KPI the city reports.
    at: Vec<Option<u32>>,
}

impl<'a> CityProfile<'a> {
    /// Indexes a city's gap analysis over a catalogue of `kpis` KPIs.
    pub(crate) fn new(city: &'a City, gaps: &'a GapAnalysis, kpis: usize) -> CityProfile<'a> {
        let mut at = vec![None; kpis];
        for (i, g) in gaps.kpis.iter().enumerate() {
            if let Some(slot) = at.get_mut(g.kpi) {
                *slot = Some(i as u32);
            }
        }
        CityProfile { city, gaps, at }
    }

    /// The city's standing on a KPI it reports.
    pub(crate) fn kpi(&self, k: KpiId) -> Option<&'a KpiGap> {
        self.at.get(k).copied().flatten().map(|i| &self.gaps.kpis[i as usize])
    }

    /// KPIs reported.
    pub(crate) fn reported(&self) -> usize {
        self.gaps.kpis.len()
    }

    fn band(&self) -> Option<PopulationBand> {
        self.city.population.map(PopulationBand::of)
    }

    fn region(&self) -> Option<String> {
        let r = self.city.region.trim();
        (!r.is_empty()).then(|| r.to_lowercase())
    }

    /// Compares two cities (see the module documentation).
    pub(crate) fn compare(&self, other: &CityProfile<'_>) -> Comparison {
        let mut n = 0usize;
        let mut sum_sq = 0f64;
        for g in &self.gaps.kpis {
            if let Some(o) = other.kpi(g.kpi) {
                n += 1;
                let d = g.achievement - o.achievement;
                sum_sq += d * d;
            }
        }
        if n < MIN_COMPARABLE_KPIS {
            return Comparison::TooFewKpis { comparable_kpis: n };
        }
        let kpis = (1.0 - (sum_sq / n as f64).sqrt()).clamp(0.0, 1.0);
        let population = match (self.band(), other.band()) {
            (Some(a), Some(b)) => Some(1.0 - f64::from(a.index().abs_diff(b.index())) / 4.0),
            _ => None,
        };
        let region = match (self.region(), other.region()) {
            (Some(a), Some(b)) => Some(if a == b { 1.0 } else { 0.0 }),
            _ => None,
        };
        let mut num = KPI_WEIGHT * kpis;
        let mut den = KPI_WEIGHT;
        if let Some(p) = population {
            num += POPULATION_WEIGHT * p;
            den += POPULATION_WEIGHT;
        }
        if let Some(r) = region {
            num += REGION_WEIGHT * r;
            den += REGION_WEIGHT;
        }
        Comparison::Comparable(Similarity {
            score: (num / den).clamp(0.0, 1.0),
            kpis,
            population,
            region,
            comparable_kpis: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_bands_and_their_boundaries() {
        assert_eq!(PopulationBand::of(0), PopulationBand::Under50k);
        assert_eq!(PopulationBand::of(49_999), PopulationBand::Under50k);
        assert_eq!(PopulationBand::of(50_000), PopulationBand::From50kTo250k);
        assert_eq!(PopulationBand::of(250_000), PopulationBand::From250kTo1m);
        assert_eq!(PopulationBand::of(1_000_000), PopulationBand::From1mTo5m);
        assert_eq!(PopulationBand::of(5_000_000), PopulationBand::Over5m);
        assert_eq!(PopulationBand::Over5m.index(), 4);
        assert_eq!(PopulationBand::From250kTo1m.label(), "250k-1m");
    }
}
