//! [`Engine::leads`]: the cities a solution should approach (see [`crate::leads`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::Engine;
use crate::city::{City, GapAnalysis};
use crate::index::StoredSolution;
use crate::leads::{Lead, LeadAdopter, LeadRequest, LeadResponse};
use crate::ranking::{plan, MatchRequest, RankingProfile};
use crate::solution::filter_key;
use crate::{Error, Result};

/// Every stored city's KPI weights `q` for one profile (the default), kept up to date with the
/// city writes: the KPI part of a lead costs a few multiplications per city.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeadBasis {
    /// The profile the weights were computed with.
    pub(crate) profile: Option<RankingProfile>,
    pub(crate) q: BTreeMap<String, Arc<[f32]>>,
}

/// A city that passed the filters, with its KPI part and its bound.
struct Candidate<'a> {
    city: &'a City,
    q: Arc<[f32]>,
    kpi: f32,
    /// The most its text and evidence can add to `kpi`, then its bound.
    bound: f32,
}

impl Engine {
    /// A city's KPI weights for a profile when it asks with its stated needs.
    pub(crate) fn city_weights(
        &self,
        city: &City,
        gaps: &Arc<GapAnalysis>,
        profile: &RankingProfile,
    ) -> Result<Arc<[f32]>> {
        let req = MatchRequest::for_city(&city.id);
        let ctx = self.plan_context();
        let plan = plan::QueryPlan::build(&req, Some(city), Some(Arc::clone(gaps)), profile, &ctx)?;
        Ok(plan.q.into())
    }

    /// Keeps the lead basis in step with a city write (`None`: deleted).
    pub(crate) fn update_lead_basis(&mut self, id: &str, written: Option<(&City, &Arc<GapAnalysis>)>) -> Result<()> {
        let default = self.profiles.get(None)?.clone();
        if self.lead_basis.profile.as_ref() != Some(&default) {
            // The default profile changed since the weights were computed: recompute them all.
            let mut q = BTreeMap::new();
            for (cid, city) in &self.cities {
                if let Some(g) = self.city_gaps.get(cid) {
                    q.insert(cid.clone(), self.city_weights(city, g, &default)?);
                }
            }
            self.lead_basis = LeadBasis {
                profile: Some(default.clone()),
                q,
            };
        }
        match written {
            Some((city, gaps)) => {
                let q = self.city_weights(city, gaps, &default)?;
                self.lead_basis.q.insert(id.to_string(), q);
            }
            None => {
                self.lead_basis.q.remove(id);
            }
        }
        Ok(())
    }

    /// The cities a solution should approach, best first: exact top-k of every eligible city by
    /// the solution's score in that city's own match (see [`crate::leads`]).
    pub fn leads(&self, req: &LeadRequest) -> Result<LeadResponse> {
        self.rank_leads(req, false)
    }

    /// The same ranking with every eligible city scored exactly (no bounds): the reference the
    /// exact top-k is tested and benchmarked against.
    pub fn leads_exhaustive(&self, req: &LeadRequest) -> Result<LeadResponse> {
        self.rank_leads(req, true)
    }

    fn rank_leads(&self, req: &LeadRequest, exhaustive: bool) -> Result<LeadResponse> {
        req.validate()?;
        let profile = self.profiles.get(req.profile.as_deref())?;
        let ord = self.table.ord_of(&req.solution_id).ok_or_else(|| Error::NotFound {
            entity: "solution",
            id: req.solution_id.chars().take(80).collect(),
        })?;
        let stored = self
            .table
            .get(ord)
            .ok_or_else(|| Error::Internal("a stored solution vanished".into()))?;
        let region = req.region.as_deref().map(filter_key);
        let mut adopters = Vec::new();
        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        // The cities recording this solution, in the order evidence reads adopters: the only
        // ones whose deployments bear on its evidence in any city. `support` is Σ σ over their
        // deployments that vote for it (deployed 1, piloting ½).
        let its_adopters: Vec<&str> = self
            .adopters
            .ids()
            .filter(|id| {
                self.cities
                    .get(*id)
                    .is_some_and(|c| c.deployments.iter().any(|d| d.solution_id == req.solution_id))
            })
            .collect();
        let support: f32 = its_adopters
            .iter()
            .filter_map(|id| self.cities.get(*id))
            .flat_map(|c| c.deployments.iter().filter(|d| d.solution_id == req.solution_id))
            .map(|d| match d.status {
                crate::city::DeploymentStatus::Deployed => 1.0,
                crate::city::DeploymentStatus::Piloting => 0.5,
                crate::city::DeploymentStatus::Discontinued => 0.0,
            })
            .sum();
        let cached = self.lead_basis.profile.as_ref() == Some(profile);
        for city in self.cities.values() {
            if let Some(d) = city.deployments.iter().find(|d| d.solution_id == req.solution_id) {
                if req.include_adopters {
                    adopters.push(LeadAdopter {
                        city_id: city.id.clone(),
                        city_name: city.name.clone(),
                        status: d.status,
                        year: d.year,
                    });
                }
                continue;
            }
            if region.as_ref().is_some_and(|r| filter_key(&city.region) != *r) {
                continue;
            }
            let pop_ok = |bound: Option<u64>, ok: fn(u64, u64) -> bool| {
                bound.is_none_or(|b| city.population.is_some_and(|p| ok(p, b)))
            };
            if !pop_ok(req.population_min, |p, b| p >= b) || !pop_ok(req.population_max, |p, b| p <= b) {
                continue;
            }
            let q = match (cached, self.lead_basis.q.get(&city.id)) {
                (true, Some(q)) => Arc::clone(q),
                _ => {
                    let Some(g) = self.city_gaps.get(&city.id) else {
                        continue;
                    };
                    self.city_weights(city, g, profile)?
                }
            };
            let kpi = kpi_part(profile, stored, &q);
            let evidence = evidence_bound(profile, stored, &q, support);
            candidates.push(Candidate {
                city,
                q,
                kpi,
                bound: evidence,
            });
        }
        // The dense part is at most its weight (a cosine of 1), and 0 when the solution has no
        // embedding.
        let dense_bound = if self.semantic.is_some() && stored.embedding.is_some() {
            profile.dense_weight.max(0.0)
        } else {
            0.0
        };
        let text_bound = profile.text_weight.max(0.0) + dense_bound;
        for c in &mut candidates {
            // A hair above the sum, so rounding in the exact score's different order of
            // additions can never put it above its bound.
            c.bound = (c.kpi + text_bound + c.bound) * (1.0 + 1e-5) + 1e-6;
        }
        candidates.sort_by(|a, b| b.bound.total_cmp(&a.bound).then_with(|| a.city.id.cmp(&b.city.id)));
        let need = req.offset + req.limit;
        let mut best: Vec<(f32, &City)> = Vec::new();
        let mut evaluated = 0;
        // The text part depends only on a city's needs text: its BM25 for this solution and the
        // best BM25 for it, once per distinct text.
        let mut texts: HashMap<String, f32> = HashMap::new();
        for c in &candidates {
            if !exhaustive && best.len() >= need && best[need - 1].0 > c.bound {
                break;
            }
            evaluated += 1;
            let Some(score) = self.lead_score_fast(c, profile, ord, &its_adopters, &mut texts)? else {
                continue;
            };
            let at = best.partition_point(|(s, city)| *s > score || (*s == score && city.id < c.city.id));
            if at < need {
                best.insert(at, (score, c.city));
                best.truncate(need);
            }
        }
        let mut results = Vec::new();
        for (i, (score, city)) in best.into_iter().enumerate().skip(req.offset) {
            // The explanation comes from the city's whole plan, exactly as its match builds it.
            let explanation = if req.explain {
                self.lead_score(city, profile, ord, stored, &its_adopters, true)?
                    .and_then(|(_, e)| e)
            } else {
                None
            };
            results.push(Lead {
                rank: i + 1,
                city_id: city.id.clone(),
                city_name: city.name.clone(),
                region: city.region.clone(),
                population: city.population,
                score,
                explanation,
            });
        }
        Ok(LeadResponse {
            solution_id: req.solution_id.clone(),
            results,
            candidates: candidates.len(),
            evaluated,
            adopters,
            profile: profile.name.clone(),
        })
    }

    /// The solution's exact score in a city's own match, computed from the parts that differ
    /// between cities: the cached KPI weights, the text part per distinct needs text, the
    /// evidence from the solution's own adopters. The same sums as [`Engine::lead_score`]
    /// (tested against `/v1/match`), without building the city's whole plan.
    fn lead_score_fast(
        &self,
        c: &Candidate<'_>,
        profile: &RankingProfile,
        ord: u32,
        its_adopters: &[&str],
        texts: &mut HashMap<String, f32>,
    ) -> Result<Option<f32>> {
        let needs = plan::stated_needs(c.city);
        let text = match texts.get(&needs) {
            Some(&t) => t,
            None => {
                let t = self.text_part(profile, &needs, ord)?;
                texts.insert(needs, t);
                t
            }
        };
        let evidence = match self.city_gaps.get(&c.city.id) {
            Some(gaps) if profile.evidence_weight > 0.0 && !its_adopters.is_empty() => {
                let me = crate::peers::CityProfile::new(c.city, gaps, self.catalogue.len());
                let adopters = its_adopters.iter().filter_map(|id| self.stored_profile(id));
                crate::peers::evidence(
                    &me,
                    &c.q,
                    adopters,
                    &self.table,
                    &self.catalogue,
                    profile.evidence_weight,
                )
                .score(ord)
            }
            _ => None,
        };
        let score = crate::ranking::combine(text, c.kpi, evidence);
        Ok((score > 0.0).then_some(score))
    }

    /// The text part of a solution for a needs text: `text_weight · BM25 / best BM25`, as a match
    /// without filters computes it.
    fn text_part(&self, profile: &RankingProfile, needs: &str, ord: u32) -> Result<f32> {
        if profile.text_weight <= 0.0 {
            return Ok(0.0);
        }
        let ctx = self.plan_context();
        let query = plan::QueryPlan::build(&MatchRequest::for_text(needs), None, None, profile, &ctx)?.text;
        if query.is_empty() {
            return Ok(0.0);
        }
        let tmax = self
            .text
            .top(&query, 1, None)?
            .first()
            .map_or(1.0, |h| h.1)
            .max(f32::MIN_POSITIVE);
        let bm25 = self.text.score_ords(&query, &[ord])?.first().copied().unwrap_or(0.0);
        Ok(profile.text_weight * bm25 / tmax)
    }

    /// The solution's exact score (and explanation) in a city's own match; `None` when it
    /// scores nothing there.
    fn lead_score(
        &self,
        city: &City,
        profile: &RankingProfile,
        ord: u32,
        stored: &StoredSolution,
        its_adopters: &[&str],
        explain: bool,
    ) -> Result<Option<(f32, Option<crate::ranking::Explanation>)>> {
        let req = MatchRequest::for_city(&city.id).with_profile(&profile.name);
        let plan = self.plan_with_adopters(&req, Some(its_adopters))?;
        let filters = crate::ranking::Filters::default().compile(&self.catalogue, &self.table)?;
        let ranker = self.ranker(profile, &plan, &filters);
        let Some(scored) = ranker.score_one(ord)? else {
            return Ok(None);
        };
        let explanation = explain.then(|| ranker.explain(stored, &scored, 0.0));
        Ok(Some((scored.score, explanation)))
    }
}

/// The most evidence a solution can get in a city with weights `q` when its adopters' votes
/// add up to at most `support` (Σ σ): each vote is `ŝ · σ · r` with `ŝ ≤ 1` and
/// `r ≤ Σₖ impactₖ · qₖ / max q / Σₖ impactₖ` (support per KPI at most 1), and
/// `w · R / (1 + |R|)` grows with R (see `crate::peers`).
fn evidence_bound(profile: &RankingProfile, s: &StoredSolution, q: &[f32], support: f32) -> f32 {
    if profile.evidence_weight <= 0.0 || support <= 0.0 {
        return 0.0;
    }
    let q_max = q.iter().copied().fold(0f32, f32::max);
    let total: f32 = s.profile.entries().iter().map(|e| e.impact).sum();
    if q_max <= 0.0 || total <= 0.0 {
        return 0.0;
    }
    let relevance: f32 = s
        .profile
        .entries()
        .iter()
        .map(|e| e.impact * q[e.kpi] / q_max)
        .sum::<f32>()
        / total;
    let r = support * relevance;
    profile.evidence_weight * r / (1.0 + r)
}

/// The KPI part of a solution for a city's weights, summed as the ranker sums it.
fn kpi_part(profile: &RankingProfile, s: &StoredSolution, q: &[f32]) -> f32 {
    if profile.kpi_weight <= 0.0 {
        return 0.0;
    }
    let raw: f32 = s
        .profile
        .entries()
        .iter()
        .map(|e| {
            let w = match e.provenance {
                crate::solution::Provenance::Declared => 1.0,
                crate::solution::Provenance::Inferred => profile.inferred_weight,
            };
            q[e.kpi] * e.impact * w
        })
        .sum();
    profile.kpi_weight * -(-raw / profile.kpi_scale).exp_m1()
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use crate::bundle::Bundle;
    use crate::leads::LeadRequest;
    use crate::ranking::MatchRequest;
    use crate::{Engine, Error};

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        Engine::from_bundle(&bundle).unwrap()
    });

    fn ids(r: &crate::leads::LeadResponse) -> Vec<(String, f32)> {
        r.results.iter().map(|l| (l.city_id.clone(), l.score)).collect()
    }

    /// The bounded top-k equals scoring every city, for every profile and page, and bounds
    /// really save work somewhere.
    #[test]
    fn top_k_equals_exhaustive_scoring() {
        let e = &*ENGINE;
        let mut saved = 0;
        for (i, s) in e.solutions().enumerate().filter(|(i, _)| i % 7 == 0) {
            for profile in ["default", "kpi-only", "text-only", "no-evidence"] {
                let mut req = LeadRequest::for_solution(&s.solution.id);
                req.profile = Some(profile.into());
                req.explain = false;
                req.limit = 3 + i % 5;
                req.offset = i % 3;
                let fast = e.leads(&req).unwrap();
                let full = e.leads_exhaustive(&req).unwrap();
                assert_eq!(ids(&fast), ids(&full), "{} / {profile}", s.solution.id);
                saved += full.evaluated - fast.evaluated;
            }
        }
        assert!(saved > 0, "the bound never pruned a city");
    }

    /// A lead's score is the solution's score in that city's own match (stated needs, same
    /// profile), and its explanation parts add up to it.
    #[test]
    fn a_lead_scores_what_the_solution_scores_in_the_citys_match() {
        let e = &*ENGINE;
        for s in e.solutions().step_by(37) {
            let leads = e
                .leads(&LeadRequest {
                    limit: 100,
                    ..LeadRequest::for_solution(&s.solution.id)
                })
                .unwrap();
            for l in &leads.results {
                let mut m = MatchRequest::for_city(&l.city_id).with_limit(1);
                m.explain_ids = vec![s.solution.id.clone()];
                let r = e.match_solutions(&m).unwrap();
                let score = r
                    .results
                    .iter()
                    .find(|x| x.solution_id == s.solution.id)
                    .map(|x| x.score)
                    .or_else(|| r.not_returned[0].score)
                    .unwrap();
                assert!(
                    (score - l.score).abs() < 1e-5,
                    "{} in {}: {score} vs {}",
                    s.solution.id,
                    l.city_id,
                    l.score
                );
                let x = l.explanation.as_ref().unwrap();
                assert!((x.text + x.kpi + x.evidence - l.score).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn adopters_are_left_out_and_listed_on_request_and_filters_hold() {
        let e = &*ENGINE;
        let city = e.cities().find(|c| !c.deployments.is_empty()).unwrap();
        let sol = city.deployments[0].solution_id.clone();
        let mut req = LeadRequest {
            limit: 100,
            ..LeadRequest::for_solution(&sol)
        };
        let r = e.leads(&req).unwrap();
        assert!(r.results.iter().all(|l| l.city_id != city.id));
        assert!(r.adopters.is_empty());
        req.include_adopters = true;
        let r = e.leads(&req).unwrap();
        assert!(r.adopters.iter().any(|a| a.city_id == city.id));
        assert!(r
            .results
            .iter()
            .all(|l| r.adopters.iter().all(|a| a.city_id != l.city_id)));

        req.region = Some(" europe ".into());
        req.population_min = Some(200_000);
        req.population_max = Some(600_000);
        let r = e.leads(&req).unwrap();
        assert!(!r.results.is_empty());
        for l in &r.results {
            assert_eq!(l.region, "Europe");
            assert!((200_000..=600_000).contains(&l.population.unwrap()));
        }
    }

    #[test]
    fn bad_requests_name_their_field() {
        let e = &*ENGINE;
        let field = |r: crate::Result<crate::leads::LeadResponse>| match r {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let id = e.solutions().next().unwrap().solution.id.clone();
        assert_eq!(
            field(e.leads(&LeadRequest {
                limit: 0,
                ..LeadRequest::for_solution(&id)
            })),
            "limit"
        );
        assert_eq!(
            field(e.leads(&LeadRequest {
                limit: 101,
                ..LeadRequest::for_solution(&id)
            })),
            "limit"
        );
        let inverted = LeadRequest {
            population_min: Some(10),
            population_max: Some(5),
            ..LeadRequest::for_solution(&id)
        };
        assert_eq!(field(e.leads(&inverted)), "population_min");
        assert!(matches!(
            e.leads(&LeadRequest::for_solution("nope")),
            Err(Error::NotFound { .. })
        ));
    }
}
