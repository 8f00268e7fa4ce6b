//! [`Engine::portfolio`]: greedy weighted coverage of a city's gaps (see [`crate::portfolio`]).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Engine;
use crate::index::StoredSolution;
use crate::kpi::KpiId;
use crate::portfolio::{KpiCoverage, KpiGain, Portfolio, PortfolioItem, PortfolioRequest, UNCOVERED_BELOW};
use crate::ranking::{MatchRequest, QueryPlan, RankingProfile};
use crate::solution::{filter_key, CostBand, Provenance};
use crate::Result;

/// A solution the portfolio may take: its coverage of each weighed KPI.
struct Candidate<'a> {
    stored: &'a StoredSolution,
    cover: Vec<(KpiId, f32)>,
}

/// A heap entry: the candidate's last computed gain, an upper bound of its gain now.
struct Entry<'a> {
    bound: f32,
    id: &'a str,
    at: usize,
}
impl PartialEq for Entry<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry<'_> {}
impl PartialOrd for Entry<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry<'_> {
    // Greater = picked first: larger gain, then smaller id.
    fn cmp(&self, o: &Self) -> Ordering {
        self.bound.total_cmp(&o.bound).then_with(|| o.id.cmp(self.id))
    }
}

fn cost_rank(c: CostBand) -> usize {
    CostBand::ALL.iter().position(|&x| x == c).unwrap_or(usize::MAX)
}

/// A solution's coverage of a KPI: its impact, inferred impacts discounted as in ranking.
fn coverage(profile: &RankingProfile, impact: f32, provenance: Provenance) -> f32 {
    let w = match provenance {
        Provenance::Declared => 1.0,
        Provenance::Inferred => profile.inferred_weight,
    };
    (impact * w).clamp(0.0, 1.0)
}

/// `F(S) / Σ qₖ` of a set of solutions' profiles for the weights `q`.
pub(crate) fn gap_coverage<'a>(
    q: &[f32],
    profile: &RankingProfile,
    chosen: impl IntoIterator<Item = &'a StoredSolution>,
) -> f32 {
    let total: f32 = q.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut open = vec![1.0f32; q.len()];
    for s in chosen {
        for e in s.profile.entries() {
            open[e.kpi] *= 1.0 - coverage(profile, e.impact, e.provenance);
        }
    }
    q.iter().zip(&open).map(|(w, o)| w * (1.0 - o)).sum::<f32>() / total
}

impl Engine {
    fn portfolio_plan(&self, req: &PortfolioRequest) -> Result<QueryPlan> {
        let m = MatchRequest {
            city: req.city.clone(),
            needs: req.needs.clone(),
            sdgs: req.sdgs.clone(),
            filters: req.filters.clone(),
            profile: req.profile.clone(),
            limit: req.size,
            ..Default::default()
        };
        self.plan(&m)
    }

    /// Picks up to `size` solutions that together cover the most of the city's weighted gaps
    /// under the request's filters, budget and category constraint (greedy, lazily evaluated;
    /// see [`crate::portfolio`]).
    pub fn portfolio(&self, req: &PortfolioRequest) -> Result<Portfolio> {
        req.validate()?;
        let profile = self.profiles.get(req.profile.as_deref())?;
        let filters = req.filters.compile(&self.catalogue, &self.table)?;
        let plan = self.portfolio_plan(req)?;
        let q = &plan.q;
        let total: f32 = q.iter().sum();
        let max_cost = req.budget.max_cost_band.map(cost_rank);
        let mut cands: Vec<Candidate<'_>> = Vec::new();
        for (ord, s) in self.table.iter() {
            if !filters.accepts(ord, s) {
                continue;
            }
            if let Some(max) = max_cost {
                if s.solution.cost_band.is_none_or(|c| cost_rank(c) > max) {
                    continue;
                }
            }
            let cover: Vec<(KpiId, f32)> = s
                .profile
                .entries()
                .iter()
                .filter(|e| q[e.kpi] > 0.0)
                .map(|e| (e.kpi, coverage(profile, e.impact, e.provenance)))
                .filter(|&(_, c)| c > 0.0)
                .collect();
            if !cover.is_empty() {
                cands.push(Candidate { stored: s, cover });
            }
        }
        let mut open = vec![1.0f32; q.len()];
        let gain = |c: &Candidate<'_>, open: &[f32]| -> f32 { c.cover.iter().map(|&(k, x)| q[k] * open[k] * x).sum() };
        let mut heap: BinaryHeap<Entry<'_>> = cands
            .iter()
            .enumerate()
            .map(|(at, c)| Entry {
                bound: gain(c, &open),
                id: &c.stored.solution.id,
                at,
            })
            .collect();
        let mut used_categories: Vec<String> = Vec::new();
        let mut high = 0usize;
        let mut items: Vec<PortfolioItem> = Vec::new();
        let mut chosen: Vec<usize> = Vec::new();
        while items.len() < req.size {
            let Some(top) = heap.pop() else { break };
            let c = &cands[top.at];
            let s = &c.stored.solution;
            // Constraints only tighten as the portfolio grows: a candidate they rule out now
            // stays ruled out.
            let cats: Vec<String> = s.categories.iter().map(|x| filter_key(x)).collect();
            if req.one_per_category && cats.iter().any(|x| used_categories.contains(x)) {
                continue;
            }
            let is_high = s.cost_band == Some(CostBand::High);
            if is_high && req.budget.max_high_cost.is_some_and(|m| high >= m) {
                continue;
            }
            let g = gain(c, &open);
            if g <= 0.0 {
                continue;
            }
            let now = Entry {
                bound: g,
                id: top.id,
                at: top.at,
            };
            if heap.peek().is_some_and(|next| *next > now) {
                heap.push(now);
                continue;
            }
            let mut kpis: Vec<KpiGain> = c
                .cover
                .iter()
                .map(|&(k, x)| {
                    let def = self.catalogue.get(k);
                    KpiGain {
                        code: def.code.clone(),
                        name: def.name.clone(),
                        coverage: x,
                        gain: q[k] * open[k] * x,
                    }
                })
                .filter(|k| k.gain > 0.0)
                .collect();
            kpis.sort_by(|a, b| b.gain.total_cmp(&a.gain).then_with(|| a.code.cmp(&b.code)));
            for &(k, x) in &c.cover {
                open[k] *= 1.0 - x;
            }
            used_categories.extend(cats);
            high += usize::from(is_high);
            chosen.push(top.at);
            items.push(PortfolioItem {
                rank: items.len() + 1,
                solution_id: s.id.clone(),
                title: s.title.clone(),
                provider: s.provider.clone(),
                cost_band: s.cost_band,
                categories: s.categories.clone(),
                gain: g,
                gain_share: if total > 0.0 { g / total } else { 0.0 },
                kpis,
            });
        }
        let gaps = plan.gaps.as_ref();
        let mut kpis: Vec<KpiCoverage> = plan
            .kpi_weights
            .iter()
            .map(|w| {
                let def = self.catalogue.get(w.kpi);
                let g = gaps.and_then(|g| g.get(w.kpi));
                KpiCoverage {
                    code: def.code.clone(),
                    name: def.name.clone(),
                    weight: w.weight,
                    city_value: g.map(|g| g.value),
                    target: g.map(|g| g.target),
                    unit: def.unit.clone(),
                    gap: g.map(|g| g.gap as f32),
                    covered: 1.0 - open[w.kpi],
                    covered_by: chosen
                        .iter()
                        .filter(|&&at| cands[at].cover.iter().any(|&(k, _)| k == w.kpi))
                        .map(|&at| cands[at].stored.solution.id.clone())
                        .collect(),
                }
            })
            .collect();
        kpis.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.code.cmp(&b.code)));
        let uncovered = kpis
            .iter()
            .filter(|k| k.gap.is_some_and(|g| g > 0.34) && k.covered < UNCOVERED_BELOW)
            .cloned()
            .collect();
        let coverage = gap_coverage(q, profile, chosen.iter().map(|&at| cands[at].stored));
        Ok(Portfolio {
            items,
            coverage,
            kpis,
            uncovered,
            guarantee: if req.one_per_category || req.budget.max_high_cost.is_some() {
                "1/2"
            } else {
                "1 - 1/e"
            },
            candidates: cands.len(),
            profile: profile.name.clone(),
        })
    }

    /// Gap coverage (`F(S) / Σ qₖ`, see [`crate::portfolio`]) of given solutions for a
    /// portfolio request's weights: how `kpimatch eval-portfolio` scores the top results of a
    /// match against the portfolio. Unknown ids are skipped.
    pub fn gap_coverage(&self, req: &PortfolioRequest, solution_ids: &[String]) -> Result<f32> {
        let profile = self.profiles.get(req.profile.as_deref())?;
        let plan = self.portfolio_plan(req)?;
        Ok(gap_coverage(
            &plan.q,
            profile,
            solution_ids.iter().filter_map(|id| self.solution(id)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::gap_coverage;
    use crate::bundle::Bundle;
    use crate::portfolio::{Budget, PortfolioRequest};
    use crate::ranking::{CityInput, MatchRequest};
    use crate::solution::CostBand;
    use crate::{Engine, Error};

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        Engine::from_bundle(&bundle).unwrap()
    });

    fn request(city: &str, size: usize) -> PortfolioRequest {
        PortfolioRequest {
            city: Some(CityInput::Id(city.into())),
            needs: Some(String::new()),
            size,
            ..Default::default()
        }
    }

    /// Plain greedy: every candidate's gain recomputed at every step (ties by id).
    fn plain_greedy(e: &Engine, req: &PortfolioRequest) -> Vec<String> {
        let profile = e.profiles().get(None).unwrap();
        let q = e.portfolio_plan(req).unwrap().q;
        let mut chosen: Vec<&crate::index::StoredSolution> = Vec::new();
        for _ in 0..req.size {
            let base = gap_coverage(&q, profile, chosen.iter().copied());
            let best = e
                .solutions()
                .filter(|s| !chosen.iter().any(|c| c.solution.id == s.solution.id))
                .map(|s| {
                    let with = gap_coverage(&q, profile, chosen.iter().copied().chain([s]));
                    (with - base, s)
                })
                .filter(|(g, _)| *g > 1e-7)
                .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.solution.id.cmp(&a.1.solution.id)));
            match best {
                Some((_, s)) => chosen.push(s),
                None => break,
            }
        }
        chosen.iter().map(|s| s.solution.id.clone()).collect()
    }

    #[test]
    fn lazy_greedy_picks_what_plain_greedy_picks() {
        let e = &*ENGINE;
        for city in e.cities().step_by(3) {
            let req = request(&city.id, 5);
            let got: Vec<String> = e
                .portfolio(&req)
                .unwrap()
                .items
                .into_iter()
                .map(|i| i.solution_id)
                .collect();
            assert_eq!(got, plain_greedy(e, &req), "{}", city.id);
        }
    }

    /// Gains shrink pick after pick (diminishing returns), coverage is the sum of the gains and
    /// grows with the size, and a KPI's coverage is what its solutions' impacts give.
    #[test]
    fn coverage_adds_up_with_diminishing_returns() {
        let e = &*ENGINE;
        for city in e.cities() {
            let p = e.portfolio(&request(&city.id, 8)).unwrap();
            assert!(p.items.windows(2).all(|w| w[0].gain >= w[1].gain), "{}", city.id);
            let sum: f32 = p.items.iter().map(|i| i.gain_share).sum();
            assert!((sum - p.coverage).abs() < 1e-4, "{}: {sum} vs {}", city.id, p.coverage);
            let smaller = e.portfolio(&request(&city.id, 3)).unwrap();
            assert!(smaller.coverage <= p.coverage);
            assert_eq!(
                smaller.items.iter().map(|i| &i.solution_id).collect::<Vec<_>>(),
                p.items.iter().take(3).map(|i| &i.solution_id).collect::<Vec<_>>()
            );
            for k in &p.kpis {
                assert!((0.0..=1.0).contains(&k.covered));
                assert_eq!(k.covered > 0.0, !k.covered_by.is_empty(), "{}", k.code);
            }
            for u in &p.uncovered {
                assert!(u.covered < crate::portfolio::UNCOVERED_BELOW && u.gap.unwrap() > 0.34);
            }
        }
    }

    /// The greedy portfolio covers at least as much as the top results of a match on most
    /// cities (it is built for coverage; the match for relevance), and never less than
    /// (1 − 1/e) of the best pair found by brute force.
    #[test]
    fn greedy_is_within_its_guarantee_of_the_best_pair() {
        let e = &*ENGINE;
        let profile = e.profiles().get(None).unwrap();
        for city in e.cities().step_by(4) {
            let req = request(&city.id, 2);
            let q = e.portfolio_plan(&req).unwrap().q;
            let sols: Vec<_> = e
                .solutions()
                .filter(|s| s.profile.entries().iter().any(|x| q[x.kpi] > 0.0))
                .collect();
            let mut best = 0f32;
            for (i, a) in sols.iter().enumerate() {
                for b in &sols[i + 1..] {
                    best = best.max(gap_coverage(&q, profile, [*a, *b]));
                }
            }
            let got = e.portfolio(&req).unwrap().coverage;
            assert!(
                got >= (1.0 - (-1f32).exp()) * best - 1e-6,
                "{}: {got} vs best {best}",
                city.id
            );
            assert!(got <= best + 1e-6);
        }
    }

    #[test]
    fn constraints_are_never_violated() {
        let e = &*ENGINE;
        for city in e.cities().step_by(2) {
            let mut req = request(&city.id, 10);
            req.one_per_category = true;
            req.budget = Budget {
                max_cost_band: Some(CostBand::Medium),
                max_high_cost: None,
            };
            let p = e.portfolio(&req).unwrap();
            assert_eq!(p.guarantee, "1/2");
            let mut cats: Vec<String> = Vec::new();
            for i in &p.items {
                assert!(matches!(i.cost_band, Some(CostBand::Low | CostBand::Medium)));
                for c in &i.categories {
                    let c = c.trim().to_lowercase();
                    assert!(!cats.contains(&c), "{}: category {c} twice", city.id);
                    cats.push(c);
                }
            }
            let mut req = request(&city.id, 10);
            req.budget.max_high_cost = Some(1);
            let p = e.portfolio(&req).unwrap();
            assert!(p.items.iter().filter(|i| i.cost_band == Some(CostBand::High)).count() <= 1);
        }
    }

    #[test]
    fn top_k_of_a_match_is_scored_with_the_same_measure() {
        let e = &*ENGINE;
        let city = e.cities().next().unwrap();
        let req = request(&city.id, 5);
        let p = e.portfolio(&req).unwrap();
        let ids: Vec<String> = p.items.iter().map(|i| i.solution_id.clone()).collect();
        assert!((e.gap_coverage(&req, &ids).unwrap() - p.coverage).abs() < 1e-6);
        let m = e
            .match_solutions(&MatchRequest::for_city(&city.id).with_needs("").with_limit(5))
            .unwrap();
        let top: Vec<String> = m.results.iter().map(|r| r.solution_id.clone()).collect();
        let c = e.gap_coverage(&req, &top).unwrap();
        assert!((0.0..=1.0).contains(&c));
    }

    #[test]
    fn bad_requests_name_their_field() {
        let e = &*ENGINE;
        let field = |r: crate::Result<crate::portfolio::Portfolio>| match r {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let city = e.cities().next().unwrap().id.clone();
        assert_eq!(field(e.portfolio(&request(&city, 0))), "size");
        assert_eq!(field(e.portfolio(&request(&city, 11))), "size");
        let no_city = PortfolioRequest {
            city: None,
            ..request(&city, 3)
        };
        assert_eq!(field(e.portfolio(&no_city)), "city_id");
    }
}
