//! Judgments from live usage: feedback events tied to the `request_id` of a match become
//! graded qrels, and the impressions become the run that was served, so a marketplace can
//! measure its ranking from real use with the same measures as the judged topics.
//!
//! The rule: for each (request, solution), the strongest event counts —
//! `adopted` → grade 2; `shortlist` or `contact` → grade 1; `click` or `impression` alone →
//! grade 0 (seen but not acted on: judged non-relevant). Solutions with no event are unjudged.
//! The served run lists each request's impressions by their `position` (1 = top).

use serde::{Deserialize, Serialize};

use super::{Qrels, Run, RunEntry};

/// What the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The result was shown.
    Impression,
    /// The user opened it.
    Click,
    /// The user put it on a shortlist.
    Shortlist,
    /// The city contacted the provider.
    Contact,
    /// The city adopted the solution.
    Adopted,
}

impl EventKind {
    /// The grade this event implies on its own.
    pub fn grade(self) -> i32 {
        match self {
            EventKind::Impression | EventKind::Click => 0,
            EventKind::Shortlist | EventKind::Contact => 1,
            EventKind::Adopted => 2,
        }
    }
}

/// One feedback event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackEvent {
    /// The `request_id` of the match or search that showed the solution.
    pub request_id: String,
    /// The solution acted on.
    pub solution_id: String,
    /// What happened.
    pub event: EventKind,
    /// Rank at which it was shown (impressions), 1 = top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
}

/// Derives qrels (topic = request id) and the served run from events, in any order.
pub fn derive_judgments(events: &[FeedbackEvent]) -> (Qrels, Run) {
    let mut best: std::collections::BTreeMap<(&str, &str), i32> = std::collections::BTreeMap::new();
    let mut shown: std::collections::BTreeMap<(&str, &str), u32> = std::collections::BTreeMap::new();
    for e in events {
        let key = (e.request_id.as_str(), e.solution_id.as_str());
        let g = best.entry(key).or_insert(0);
        *g = (*g).max(e.event.grade());
        if let (EventKind::Impression, Some(p)) = (e.event, e.position) {
            let s = shown.entry(key).or_insert(p);
            *s = (*s).min(p);
        }
    }
    let mut qrels = Qrels::new();
    for ((req, sol), g) in &best {
        qrels.insert(req.to_string(), sol.to_string(), *g);
    }
    let mut run = Run::new();
    for ((req, sol), pos) in shown {
        // Scores decrease with position so trec_eval's ordering is the served order.
        run.push(req, RunEntry::new(sol, -(f64::from(pos)), pos as usize, "served"));
    }
    (qrels, run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{evaluate, EvalOptions, Measure};

    fn ev(req: &str, sol: &str, event: EventKind, position: Option<u32>) -> FeedbackEvent {
        FeedbackEvent {
            request_id: req.into(),
            solution_id: sol.into(),
            event,
            position,
        }
    }

    #[test]
    fn a_scripted_session_gives_the_documented_judgments() {
        // A planner sees four results, opens two, shortlists one, contacts its provider, and the
        // city later adopts another one it had only clicked.
        let events = vec![
            ev("r1", "a", EventKind::Impression, Some(1)),
            ev("r1", "b", EventKind::Impression, Some(2)),
            ev("r1", "c", EventKind::Impression, Some(3)),
            ev("r1", "d", EventKind::Impression, Some(4)),
            ev("r1", "b", EventKind::Click, None),
            ev("r1", "b", EventKind::Shortlist, None),
            ev("r1", "b", EventKind::Contact, None),
            ev("r1", "c", EventKind::Click, None),
            ev("r1", "c", EventKind::Adopted, None),
            ev("r2", "x", EventKind::Impression, Some(1)),
        ];
        let (qrels, run) = derive_judgments(&events);
        assert_eq!(qrels.grade("r1", "a"), Some(0));
        assert_eq!(qrels.grade("r1", "b"), Some(1));
        assert_eq!(qrels.grade("r1", "c"), Some(2));
        assert_eq!(qrels.grade("r1", "d"), Some(0));
        assert_eq!(qrels.grade("r2", "x"), Some(0));
        let served: Vec<&str> = run.ranked("r1").iter().map(|e| e.doc.as_str()).collect();
        assert_eq!(served, ["a", "b", "c", "d"]);
        // First relevant at rank 2 → reciprocal rank 0.5 on r1; r2 has nothing relevant.
        let r = evaluate(&qrels, &run, &EvalOptions::default());
        assert_eq!(r.topic_value("r1", Measure::RecipRank), Some(0.5));
    }
}
