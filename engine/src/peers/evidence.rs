use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::similarity::CityProfile;
use crate::city::{City, DeploymentStatus};
use crate::index::SolutionTable;
use crate::kpi::{achievement, Catalogue, KpiCode};

/// Least similarity at which a city's deployments count as evidence for another.
pub const EVIDENCE_MIN_SIMILARITY: f64 = 0.6;

/// How much a peer's deployment counts by its similarity: the square of the similarity
/// rescaled from [`EVIDENCE_MIN_SIMILARITY`] (0) to an identical city (1), so a near-twin's
/// record (0.94 → 0.72) weighs tens of times a barely similar city's (0.66 → 0.02) (see the
/// module documentation).
pub fn evidence_strength(similarity: f64) -> f64 {
    let above = ((similarity - EVIDENCE_MIN_SIMILARITY) / (1.0 - EVIDENCE_MIN_SIMILARITY)).clamp(0.0, 1.0);
    above * above
}

/// σ of a status: how a deployment votes (see the module documentation).
fn status_weight(s: DeploymentStatus) -> f64 {
    match s {
        DeploymentStatus::Deployed => 1.0,
        DeploymentStatus::Piloting => 0.5,
        DeploymentStatus::Discontinued => -1.0,
    }
}

/// Process-wide generation counter, so versions never repeat across engine instances.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The cities that record deployments, and a version that changes whenever one of them is
/// written or deleted (what a cached ranking with evidence depends on besides its own city).
#[derive(Debug, Clone, Default)]
pub(crate) struct Adopters {
    ids: BTreeSet<String>,
    version: u64,
}

impl Adopters {
    /// Records a write (`new` some) or delete (`new` none) of the city `old`/`new`.
    pub(crate) fn update(&mut self, old: Option<&City>, new: Option<&City>) {
        let had = old.is_some_and(|c| !c.deployments.is_empty());
        let has = new.is_some_and(|c| !c.deployments.is_empty());
        if had || has {
            self.version = GENERATION.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(id) = new.or(old).map(|c| c.id.clone()) {
            if has {
                self.ids.insert(id);
            } else {
                self.ids.remove(&id);
            }
        }
    }

    /// Ids of the cities with deployments, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Whether no city records a deployment.
    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Changes whenever a city with deployments is written or deleted; 0 before any.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }
}

/// The KPI an adoption is reported on: where the adopting city stands, and the requesting
/// city's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdoptionKpi {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// The requesting city's latest value.
    pub city_value: f64,
    /// The requesting city's target.
    pub city_target: f64,
    /// The adopting city's latest value, when it reports the KPI.
    pub peer_value: Option<f64>,
    /// Its year.
    pub peer_year: Option<i32>,
    /// The adopting city's value in or before the adoption year, when its improvement since
    /// then is what counted.
    pub peer_before_value: Option<f64>,
    /// Its year.
    pub peer_before_year: Option<i32>,
}

/// One city's deployment of a solution, as evidence for or against it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adoption {
    /// The adopting city.
    pub city_id: String,
    /// Its name.
    pub city_name: String,
    /// Piloting, deployed or discontinued.
    pub status: DeploymentStatus,
    /// The year it reached that status.
    pub year: i32,
    /// Its similarity to the requesting city.
    pub similarity: f64,
    /// Points of the score from this adoption (negative for a discontinued one).
    pub contribution: f32,
    /// The KPI that weighs most in it.
    pub kpi: Option<AdoptionKpi>,
    /// The adoption in words and numbers ("deployed 2022 by Norrvik — similar city (0.82);
    /// Water Supply Loss 9 % vs your 41 %").
    pub summary: String,
}

/// The evidence of one request: a sparse score per solution ordinal, with its adoptions.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    by_ord: HashMap<u32, (f32, Vec<Adoption>)>,
    positive: Vec<u32>,
}

impl Evidence {
    /// No evidence: every solution's evidence part is absent.
    pub fn none() -> Evidence {
        Evidence::default()
    }

    /// Whether no solution has evidence.
    pub fn is_empty(&self) -> bool {
        self.by_ord.is_empty()
    }

    /// Solutions with evidence.
    pub fn len(&self) -> usize {
        self.by_ord.len()
    }

    /// The evidence part of a solution's score, when it has one.
    pub fn score(&self, ord: u32) -> Option<f32> {
        self.by_ord.get(&ord).map(|(s, _)| *s)
    }

    /// Ordinals of the solutions with positive evidence, ascending (they are always ranking
    /// candidates: an unseen solution's evidence is then at most 0).
    pub fn positive(&self) -> &[u32] {
        &self.positive
    }

    /// The adoptions behind a solution's evidence, largest share first, with their summaries
    /// (written here, for the few solutions a response shows, not for every solution with
    /// evidence: that was a tenth of a cold match's time).
    pub fn adoptions(&self, ord: u32) -> Vec<Adoption> {
        self.by_ord.get(&ord).map_or_else(Vec::new, |(_, list)| {
            list.iter()
                .map(|a| Adoption {
                    summary: summary(a.status, a.year, &a.city_name, a.similarity, a.kpi.as_ref()),
                    ..a.clone()
                })
                .collect()
        })
    }
}

/// A number as people write it: no trailing zeros, precision by magnitude.
fn number(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value with its unit: "9 %" for percentages, else the number (the unit follows once).
fn value(v: f64, unit: &str) -> String {
    if unit.starts_with('%') {
        format!("{} %", number(v))
    } else {
        number(v)
    }
}

/// The unit after a pair of values, when it reads as one ("deaths per 100 000 inhabitants");
/// percentages carry theirs already, and long or yes/no descriptions are left to the KPI name.
fn unit_suffix(unit: &str) -> String {
    let plain = !unit.is_empty() && unit.chars().count() <= 40 && !unit.starts_with("Yes/No");
    if unit.starts_with('%') || !plain {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn summary(status: DeploymentStatus, year: i32, name: &str, similarity: f64, kpi: Option<&AdoptionKpi>) -> String {
    let verb = match status {
        DeploymentStatus::Deployed => "deployed",
        DeploymentStatus::Piloting => "piloted",
        DeploymentStatus::Discontinued => "discontinued",
    };
    let head = format!("{verb} {year} by {name} — similar city ({similarity:.2})");
    let Some(k) = kpi else {
        return head;
    };
    let (unit, suffix) = (k.unit.as_str(), unit_suffix(&k.unit));
    let yours = value(k.city_value, unit);
    match (status, k.peer_value, k.peer_before_value) {
        (DeploymentStatus::Discontinued, _, _) => format!(
            "{head}; it addresses {}, where you are at {yours} against a target of {}{suffix}",
            k.name,
            value(k.city_target, unit)
        ),
        (_, Some(now), Some(before)) => format!(
            "{head}; {} went from {} ({}) to {} ({}) after adopting it, vs your {yours}{suffix}",
            k.name,
            value(before, unit),
            k.peer_before_year.unwrap_or(year),
            value(now, unit),
            k.peer_year.unwrap_or(year),
        ),
        (_, Some(now), None) => format!("{head}; {} {} vs your {yours}{suffix}", k.name, value(now, unit)),
        (_, None, _) => head,
    }
}

/// Computes the evidence of every solution for `city` from the deployments of `adopters`
/// (see the module documentation); `q` holds the request's KPI weights over the catalogue and
/// `weight` is the profile's `evidence_weight`.
pub(crate) fn compute<'a>(
    city: &CityProfile<'_>,
    q: &[f32],
    adopters: impl IntoIterator<Item = CityProfile<'a>>,
    table: &SolutionTable,
    catalogue: &Catalogue,
    weight: f32,
) -> Evidence {
    let q_max = q.iter().copied().fold(0f32, f32::max);
    if weight <= 0.0 || q_max <= 0.0 {
        return Evidence::none();
    }
    let q_max = f64::from(q_max);
    // Votes per solution, in adopter-id then deployment order (so sums are deterministic).
    let mut votes: HashMap<u32, Vec<(f64, Adoption)>> = HashMap::new();
    let mut order: Vec<u32> = Vec::new();
    for peer in adopters {
        if peer.city.id == city.city.id {
            continue;
        }
        let Some(sim) = city.compare(&peer).similarity() else {
            continue;
        };
        if sim.score < EVIDENCE_MIN_SIMILARITY {
            continue;
        }
        let peer_name = if peer.city.name.is_empty() {
            peer.city.id.as_str()
        } else {
            peer.city.name.as_str()
        };
        for d in &peer.city.deployments {
            let Some(ord) = table.ord_of(&d.solution_id) else {
                continue; // a solution deleted since the deployment was recorded
            };
            let Some(stored) = table.get(ord) else {
                continue;
            };
            let entries = stored.profile.entries();
            let total: f64 = entries.iter().map(|e| f64::from(e.impact)).sum();
            if total <= 0.0 {
                continue;
            }
            let sigma = status_weight(d.status);
            let mut r = 0.0;
            let mut best: Option<(f64, AdoptionKpi)> = None;
            for e in entries {
                let Some(c) = city.kpi(e.kpi) else {
                    continue;
                };
                let weak = f64::from(q.get(e.kpi).copied().unwrap_or(0.0)) / q_max;
                if weak <= 0.0 {
                    continue;
                }
                let impact = f64::from(e.impact);
                let def = catalogue.get(e.kpi);
                let mut shown = AdoptionKpi {
                    code: def.code.clone(),
                    name: def.name.clone(),
                    unit: def.unit.clone(),
                    city_value: c.value,
                    city_target: c.target,
                    peer_value: None,
                    peer_year: None,
                    peer_before_value: None,
                    peer_before_year: None,
                };
                let term = if d.status == DeploymentStatus::Discontinued {
                    if let Some(p) = peer.kpi(e.kpi) {
                        shown.peer_value = Some(p.value);
                        shown.peer_year = Some(p.year);
                    }
                    impact * weak
                } else {
                    let Some(p) = peer.kpi(e.kpi) else {
                        continue;
                    };
                    shown.peer_value = Some(p.value);
                    shown.peer_year = Some(p.year);
                    let ahead = p.achievement - c.achievement;
                    // The peer's last value in or before the adoption year, when a later one exists.
                    let before = (p.year > d.year)
                        .then(|| {
                            peer.city
                                .observations
                                .iter()
                                .filter(|o| o.year <= d.year && catalogue.id_of(&o.kpi) == Some(e.kpi))
                                .max_by_key(|o| o.year)
                        })
                        .flatten();
                    let improved = before.map(|b| (b, p.achievement - achievement(b.value, p.target, def.direction)));
                    let support = match improved {
                        Some((b, gain)) if gain > ahead && gain > 0.0 => {
                            shown.peer_before_value = Some(b.value);
                            shown.peer_before_year = Some(b.year);
                            gain
                        }
                        _ => ahead.max(0.0),
                    };
                    impact * weak * support
                };
                if term > 0.0 {
                    r += term;
                    if best.as_ref().is_none_or(|(t, _)| term > *t) {
                        best = Some((term, shown));
                    }
                }
            }
            let vote = evidence_strength(sim.score) * sigma * r / total;
            if vote == 0.0 || !vote.is_finite() {
                continue;
            }
            let kpi = best.map(|(_, k)| k);
            let list = votes.entry(ord).or_insert_with(|| {
                order.push(ord);
                Vec::new()
            });
            list.push((
                vote,
                Adoption {
                    city_id: peer.city.id.clone(),
                    city_name: peer_name.to_string(),
                    status: d.status,
                    year: d.year,
                    similarity: sim.score,
                    contribution: 0.0,
                    // Written when shown (`Evidence::adoptions`).
                    summary: String::new(),
                    kpi,
                },
            ));
        }
    }
    let w = f64::from(weight);
    let mut out = Evidence::default();
    for ord in order {
        let Some(list) = votes.remove(&ord) else {
            continue;
        };
        let total: f64 = list.iter().map(|(v, _)| v).sum();
        let norm = 1.0 + total.abs();
        let score = (w * total / norm) as f32;
        if score == 0.0 || !score.is_finite() {
            continue;
        }
        let mut adoptions: Vec<Adoption> = list
            .into_iter()
            .map(|(v, mut a)| {
                a.contribution = (w * v / norm) as f32;
                a
            })
            .collect();
        adoptions.sort_by(|a, b| {
            b.contribution
                .abs()
                .total_cmp(&a.contribution.abs())
                .then_with(|| a.city_id.cmp(&b.city_id))
        });
        if score > 0.0 {
            out.positive.push(ord);
        }
        out.by_ord.insert(ord, (score, adoptions));
    }
    out.positive.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(9.0), "9");
        assert_eq!(number(41.25), "41.2");
        assert_eq!(number(0.456), "0.46");
        assert_eq!(number(1234.5), "1234");
        assert_eq!(value(9.0, "% of water supplied that is lost"), "9 %");
        assert_eq!(value(2.5, "tonnes CO2-equivalent per capita per year"), "2.5");
    }

    #[test]
    fn summaries_say_deployed_by_and_never_caused() {
        let k = AdoptionKpi {
            code: KpiCode::parse("EC:I:WS:3C").unwrap(),
            name: "Water Supply Loss".into(),
            unit: "% of water supplied that is lost".into(),
            city_value: 41.0,
            city_target: 10.0,
            peer_value: Some(9.0),
            peer_year: Some(2023),
            peer_before_value: None,
            peer_before_year: None,
        };
        let s = summary(DeploymentStatus::Deployed, 2022, "Norrvik", 0.823, Some(&k));
        assert_eq!(
            s,
            "deployed 2022 by Norrvik — similar city (0.82); Water Supply Loss 9 % vs your 41 %"
        );
        let improved = AdoptionKpi {
            peer_before_value: Some(30.0),
            peer_before_year: Some(2021),
            ..k.clone()
        };
        let s = summary(DeploymentStatus::Piloting, 2021, "Norrvik", 0.7, Some(&improved));
        assert_eq!(
            s,
            "piloted 2021 by Norrvik — similar city (0.70); Water Supply Loss went from 30 % (2021) to 9 % (2023) after adopting it, vs your 41 %"
        );
        let s = summary(DeploymentStatus::Discontinued, 2020, "Norrvik", 0.7, Some(&k));
        assert!(s.starts_with("discontinued 2020 by Norrvik"), "{s}");
        assert!(s.contains("against a target of 10 %"), "{s}");
        assert!(!s.contains("caus"), "{s}");
    }
}
