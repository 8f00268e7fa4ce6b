//! "Why is X not here?": for each solution a request names in `explain_ids` that is not on the
//! page it returned, the reason in words and numbers — the filter that excluded it (with its
//! value), or its rank and score with the full explanation and how far it is below the last
//! result shown, or that no such solution exists.

use serde::Serialize;

use super::explanation::Explanation;
use super::filter::{CompiledFilters, FilterMiss, Filters};
use super::ranker::{better, Ranker, Scored};
use super::MatchResult;
use crate::{limits, Error, Result};

/// Why a named solution is not on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotReturnedReason {
    /// No solution has that id.
    NotFound,
    /// A hard filter of the request excludes it (`filter` says which).
    Filtered,
    /// It scores nothing for this request: no word of the needs, none of the weighed KPIs.
    NoScore,
    /// It ranks below the page.
    RankedLower,
    /// It ranks above the page (on an earlier page of the same ranking).
    EarlierPage,
    /// By score it would be on the page; the diversity penalty moved it off.
    Diversity,
}

/// The answer for one named solution that is not on the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotReturned {
    /// The id asked about.
    pub solution_id: String,
    /// Why.
    pub reason: NotReturnedReason,
    /// The reason in a sentence, with the numbers.
    pub message: String,
    /// Its rank in the request's ranking by score (before any diversity penalty), when ranked.
    pub rank: Option<usize>,
    /// Its score, when ranked.
    pub score: Option<f32>,
    /// How far its score is below the last result on the page (`ranked_lower` only; never
    /// negative).
    pub score_gap: Option<f32>,
    /// Its full explanation, when ranked: the parts add up to `score`.
    pub explanation: Option<Explanation>,
    /// The filter that excluded it, when filtered.
    pub filter: Option<FilterMiss>,
}

/// Checks the `explain_ids` of a request.
pub(crate) fn check_ids(ids: &[String]) -> Result<()> {
    if ids.len() > limits::MAX_EXPLAIN_IDS {
        return Err(Error::invalid(
            "explain_ids",
            format!("has {} items; the limit is {}", ids.len(), limits::MAX_EXPLAIN_IDS),
        ));
    }
    if let Some(i) = ids.iter().position(|id| id.chars().count() > limits::MAX_ID_CHARS) {
        return Err(Error::invalid(
            format!("explain_ids[{i}]"),
            format!("is longer than {} characters", limits::MAX_ID_CHARS),
        ));
    }
    Ok(())
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// What the page of a request was: its window and results.
pub(crate) struct Page<'a> {
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) diversity: f32,
    pub(crate) results: &'a [MatchResult],
}

impl Ranker<'_> {
    /// The answers for the named solutions that are not on the page, in the order asked (each
    /// id once). Ranks are exact: every solution the request scores above zero is scored once.
    pub(crate) fn why_not(
        &self,
        ids: &[String],
        filters: &Filters,
        compiled: &CompiledFilters,
        page: &Page<'_>,
    ) -> Result<Vec<NotReturned>> {
        let mut asked: Vec<&str> = Vec::new();
        for id in ids {
            if !asked.contains(&id.as_str()) && !page.results.iter().any(|r| &r.solution_id == id) {
                asked.push(id);
            }
        }
        if asked.is_empty() {
            return Ok(Vec::new());
        }
        let mut all: Vec<Scored> = self.score_all()?;
        all.sort_by(|a, b| better(self.table, a, b));
        let last = page.results.last().map(|r| r.score);
        let blank = |id: &str, reason, message: String| NotReturned {
            solution_id: id.to_string(),
            reason,
            message,
            rank: None,
            score: None,
            score_gap: None,
            explanation: None,
            filter: None,
        };
        let mut out = Vec::with_capacity(asked.len());
        for id in asked {
            let Some((ord, s)) = self.table.ord_of(id).and_then(|o| Some((o, self.table.get(o)?))) else {
                out.push(blank(
                    id,
                    NotReturnedReason::NotFound,
                    format!("There is no solution '{id}' in the catalogue."),
                ));
                continue;
            };
            if let Some(miss) = filters.rejection(s, compiled, ord) {
                let message = format!(
                    "The filter {} leaves it out: it has {}, the filter accepts {}.",
                    miss.field, miss.value, miss.accepted
                );
                out.push(NotReturned {
                    filter: Some(miss),
                    ..blank(id, NotReturnedReason::Filtered, message)
                });
                continue;
            }
            let Some(pos) = all.iter().position(|c| c.ord == ord) else {
                let zero = Scored {
                    ord,
                    text: 0.0,
                    kpi_raw: 0.0,
                    evidence: self.plan.evidence.score(ord).unwrap_or(0.0),
                    dense: 0.0,
                    score: 0.0,
                };
                out.push(NotReturned {
                    score: Some(zero.evidence.min(0.0)),
                    explanation: Some(self.explain(s, &zero, 0.0)),
                    ..blank(
                        id,
                        NotReturnedReason::NoScore,
                        "It scores nothing for this request: it shares no word with the needs text and \
                         addresses none of the KPIs the request weighs (or similar cities discontinued it)."
                            .into(),
                    )
                });
                continue;
            };
            let scored = all[pos];
            let rank = pos + 1;
            let (reason, message) = if rank <= page.offset {
                (
                    NotReturnedReason::EarlierPage,
                    format!(
                        "It is on an earlier page: it ranks {} with {:.3}.",
                        ordinal(rank),
                        scored.score
                    ),
                )
            } else if page.diversity > 0.0
                && (rank <= page.offset + page.limit || last.is_some_and(|l| scored.score >= l))
            {
                // The page is diversified: its scores are net of the penalty, so a solution
                // scoring at least the last one shown was moved off by diversity, not by score.
                (
                    NotReturnedReason::Diversity,
                    format!(
                        "By score it ranks {} ({:.3}), but the diversity setting ({}) moved it off the page: \
                         its KPIs repeat those of solutions above it.",
                        ordinal(rank),
                        scored.score,
                        page.diversity
                    ),
                )
            } else {
                let below = last.map(|l| format!(", {:.3} below the last result shown ({l:.3})", l - scored.score));
                (
                    NotReturnedReason::RankedLower,
                    format!(
                        "It ranks {} with {:.3}{}.",
                        ordinal(rank),
                        scored.score,
                        below.unwrap_or_default()
                    ),
                )
            };
            out.push(NotReturned {
                rank: Some(rank),
                score: Some(scored.score),
                score_gap: last
                    .filter(|_| reason == NotReturnedReason::RankedLower)
                    .map(|l| l - scored.score),
                explanation: Some(self.explain(s, &scored, 0.0)),
                ..blank(id, reason, message)
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::NotReturnedReason as R;
    use crate::bundle::Bundle;
    use crate::ranking::{Filters, MatchRequest};
    use crate::solution::Maturity;
    use crate::{limits, Engine, Error};

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        Engine::from_bundle(&bundle).unwrap()
    });

    fn request(ids: &[&str]) -> MatchRequest {
        let mut r = MatchRequest::for_city("qasr-alwan")
            .with_needs("leaking pipes")
            .with_limit(5);
        r.explain_ids = ids.iter().map(|s| s.to_string()).collect();
        r
    }

    /// A solution ranked below the page gets its exact rank and score (those of the whole
    /// ranking), the explanation that sums to it, and how far it is below the last result.
    #[test]
    fn a_lower_ranked_solution_gets_its_rank_score_and_explanation() {
        let e = &*ENGINE;
        let mut all = request(&[]);
        all.limit = 100;
        all.explain = false;
        let full = e.match_solutions(&all).unwrap().results;
        for pos in [5usize, 9, 30, 99] {
            let want = &full[pos];
            let r = e.match_solutions(&request(&[&want.solution_id])).unwrap();
            let last = r.results.last().unwrap().score;
            let [n] = r.not_returned.as_slice() else {
                panic!("{:?}", r.not_returned)
            };
            assert_eq!(n.reason, R::RankedLower);
            assert_eq!(n.rank, Some(pos + 1), "{}", want.solution_id);
            assert_eq!(n.score, Some(want.score));
            assert_eq!(n.score_gap, Some(last - want.score));
            let x = n.explanation.as_ref().unwrap();
            assert!((x.text + x.kpi + x.evidence - x.diversity_penalty - x.score).abs() < 1e-5);
            assert_eq!(x.score, want.score);
            assert!(n.message.contains(&format!("ranks {}", pos + 1)), "{}", n.message);
        }
    }

    #[test]
    fn filtered_missing_unscored_and_shown_solutions_are_told_apart() {
        let e = &*ENGINE;
        let page = e.match_solutions(&request(&[])).unwrap();
        let shown = page.results[0].solution_id.clone();
        let pilot = e
            .solutions()
            .find(|s| s.solution.maturity == Some(Maturity::Pilot))
            .unwrap()
            .solution
            .id
            .clone();
        let mut req = request(&["no-such-solution", &shown, &pilot, "no-such-solution"]);
        req.filters = Filters {
            maturity: vec![Maturity::Proven, Maturity::Scaled],
            ..Default::default()
        };
        let r = e.match_solutions(&req).unwrap();
        let reasons: Vec<(&str, R)> = r
            .not_returned
            .iter()
            .map(|n| (n.solution_id.as_str(), n.reason))
            .collect();
        let shown_now = r.results.iter().any(|x| x.solution_id == shown);
        let mut want = vec![("no-such-solution", R::NotFound)];
        if !shown_now {
            // The filter may have removed the unfiltered first result too.
            assert!(reasons.iter().any(|(id, _)| *id == shown));
        }
        want.push((pilot.as_str(), R::Filtered));
        for w in &want {
            assert!(reasons.contains(w), "{reasons:?} lacks {w:?}");
        }
        let f = r.not_returned.iter().find(|n| n.solution_id == pilot).unwrap();
        let miss = f.filter.as_ref().unwrap();
        assert_eq!(
            (miss.field.as_str(), miss.value.as_str()),
            ("filters.maturity", "pilot")
        );
        assert_eq!(miss.accepted, "proven, scaled");
        assert!(f.message.contains("filters.maturity"), "{}", f.message);
        assert_eq!(
            reasons.iter().filter(|(id, _)| *id == "no-such-solution").count(),
            1,
            "asked twice, answered once"
        );

        // A solution that shares no word and no weighed KPI scores nothing.
        let mut focus = MatchRequest::for_text("");
        focus.focus = vec!["EC:I:WS:3C".into()];
        let unrelated = e
            .solutions()
            .find(|s| s.profile.get(e.catalogue().resolve("EC:I:WS:3C").unwrap()).is_none())
            .unwrap();
        focus.explain_ids = vec![unrelated.solution.id.clone()];
        let n = &e.match_solutions(&focus).unwrap().not_returned[0];
        assert_eq!(n.reason, R::NoScore);
    }

    /// Whatever the filters, the filter named for a solution is one that really rejects it, and
    /// a solution the filters accept is never said to be filtered.
    #[test]
    fn the_named_filter_agrees_with_the_filters() {
        let e = &*ENGINE;
        let sets = [
            Filters {
                maturity: vec![Maturity::Scaled],
                ..Default::default()
            },
            Filters {
                regions: vec!["Africa".into()],
                categories: vec!["Mobility".into()],
                ..Default::default()
            },
            Filters {
                kpis: vec!["EN:EN:AQ:1C".into()],
                provider_type: vec![crate::solution::ProviderType::Company],
                ..Default::default()
            },
        ];
        for f in sets {
            let compiled = f.compile(e.catalogue(), &e.table).unwrap();
            for (ord, s) in e.table.iter() {
                let miss = f.rejection(s, &compiled, ord);
                assert_eq!(miss.is_none(), compiled.accepts(ord, s), "{}", s.solution.id);
            }
        }
    }

    #[test]
    fn explain_ids_are_bounded() {
        let ids: Vec<String> = (0..=limits::MAX_EXPLAIN_IDS).map(|i| format!("s{i}")).collect();
        let mut req = request(&[]);
        req.explain_ids = ids;
        assert!(
            matches!(ENGINE.match_solutions(&req), Err(Error::InvalidField { field, .. }) if field == "explain_ids")
        );
        req.explain_ids = vec!["x".repeat(limits::MAX_ID_CHARS + 1)];
        assert!(
            matches!(ENGINE.match_solutions(&req), Err(Error::InvalidField { field, .. }) if field == "explain_ids[0]")
        );
    }

    /// On a diversified page the results' scores are net of the penalty: a named solution whose
    /// score is at least the last one shown was moved off by diversity, and a gap below the
    /// last result is never negative.
    #[test]
    fn on_a_diversified_page_the_gap_is_never_negative() {
        let e = &*ENGINE;
        let mut all = request(&[]);
        all.limit = 30;
        all.explain = false;
        let ranked = e.match_solutions(&all).unwrap().results;
        let mut req = request(&[]);
        req.diversity = 0.5;
        req.explain_ids = ranked.iter().map(|r| r.solution_id.clone()).collect::<Vec<_>>()[..20].to_vec();
        let r = e.match_solutions(&req).unwrap();
        let last = r.results.last().unwrap().score;
        assert!(!r.not_returned.is_empty());
        for n in &r.not_returned {
            match n.reason {
                R::RankedLower => assert!(n.score_gap.unwrap() >= 0.0 && n.score.unwrap() < last, "{n:?}"),
                R::Diversity => assert!(n.score_gap.is_none()),
                other => panic!("{other:?}: {n:?}"),
            }
        }
        assert!(r.not_returned.iter().any(|n| n.reason == R::Diversity));
    }

    /// Asking "why not?" never changes the page, and empty `explain_ids` or `sdgs` leave a
    /// request exactly as it was (scores bit for bit).
    #[test]
    fn asking_why_not_and_empty_focus_change_nothing() {
        let e = &*ENGINE;
        let plain = e.match_solutions(&request(&[])).unwrap();
        let asked = e
            .match_solutions(&request(&["no-such-solution", "clearflow-nrw-performance-contract"]))
            .unwrap();
        let page = |r: &crate::MatchResponse| -> Vec<(String, u32)> {
            r.results
                .iter()
                .map(|x| (x.solution_id.clone(), x.score.to_bits()))
                .collect()
        };
        assert_eq!(page(&plain), page(&asked));
        assert!(plain.not_returned.is_empty());
        let mut empty = request(&[]);
        empty.sdgs = Vec::new();
        assert_eq!(page(&plain), page(&e.match_solutions(&empty).unwrap()));
        assert_eq!(e.plan(&empty).unwrap().q, e.plan(&request(&[])).unwrap().q);
        assert!(plain.sdgs.is_empty());
    }
}
