//! Where one match request's time goes, stage by stage (the server exports it in `/metrics`).

use std::time::{Duration, Instant};

/// A stage of [`Engine::match_solutions`](crate::Engine::match_solutions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The city resolved and its gap analysis looked up (or computed for an inline city).
    Gaps,
    /// The needs text read: language, analysis, expansion, needs → KPI mapping, the KPI weights.
    Needs,
    /// The needs text's sentence embedding (the semantic stage).
    Meaning,
    /// Adoption evidence from the city's peers.
    Evidence,
    /// Candidate generation and exact scoring: the text, KPI and dense lists deepened until
    /// the top-k is proven, then diversity.
    Candidates,
    /// The page's results and their explanations.
    Explain,
    /// The reasons of `explain_ids` not on the page.
    WhyNot,
}

impl Stage {
    /// Every stage, in the order a request runs them.
    pub const ALL: [Stage; 7] = [
        Stage::Gaps,
        Stage::Needs,
        Stage::Meaning,
        Stage::Evidence,
        Stage::Candidates,
        Stage::Explain,
        Stage::WhyNot,
    ];

    /// Its name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Gaps => "gaps",
            Stage::Needs => "needs",
            Stage::Meaning => "meaning",
            Stage::Evidence => "evidence",
            Stage::Candidates => "candidates",
            Stage::Explain => "explain",
            Stage::WhyNot => "why_not",
        }
    }
}

/// The time one request spent in each [`Stage`] it ran.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimings {
    spent: [Option<Duration>; Stage::ALL.len()],
}

impl StageTimings {
    /// Runs `f`, adding its wall time to `stage`.
    pub fn time<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let spent = self.spent[stage as usize].get_or_insert(Duration::ZERO);
        *spent += start.elapsed();
        out
    }

    /// The time spent in `stage`; `None` when the request did not run it.
    pub fn get(&self, stage: Stage) -> Option<Duration> {
        self.spent[stage as usize]
    }

    /// Every stage the request ran with its time, in request order.
    pub fn iter(&self) -> impl Iterator<Item = (Stage, Duration)> + '_ {
        Stage::ALL.iter().filter_map(|&s| Some((s, self.get(s)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_adds_to_its_stage_only() {
        let mut t = StageTimings::default();
        let v = t.time(Stage::Needs, || {
            std::thread::sleep(Duration::from_millis(2));
            7
        });
        assert_eq!(v, 7);
        t.time(Stage::Needs, || std::thread::sleep(Duration::from_millis(1)));
        assert!(t.get(Stage::Needs).unwrap() >= Duration::from_millis(3));
        assert_eq!(t.get(Stage::Meaning), None);
        t.time(Stage::Gaps, || ());
        let ran: Vec<&str> = t.iter().map(|(s, _)| s.name()).collect();
        assert_eq!(ran, ["gaps", "needs"], "request order, skipped stages left out");
    }
}
