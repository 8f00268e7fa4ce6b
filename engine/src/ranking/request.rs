use serde::{Deserialize, Serialize};

use super::Filters;
use crate::city::City;

/// The city a match is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CityInput {
    /// A stored city, by id.
    Id(String),
    /// A city given inline (not stored).
    Inline(Box<City>),
}

/// What to match: a city (its gaps), a needs text, KPI focus, filters and paging.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MatchRequest {
    /// The city whose gaps drive the KPI part; none for a pure text or focus ranking.
    pub city: Option<CityInput>,
    /// The needs text. `None` uses the city's stated needs; `Some("")` means no text at all
    /// (pure gap ranking).
    pub needs: Option<String>,
    /// The language of the needs text (BCP 47); detected when `None`.
    pub lang: Option<String>,
    /// KPI codes or category names to focus on (each weighs like a full gap).
    pub focus: Vec<String>,
    /// Sustainable Development Goals (1–17) to focus on: the KPIs serving them weigh by the
    /// city's gap (fully without a city). Goals named in the needs text ("SDG 6") add to these.
    pub sdgs: Vec<u8>,
    /// Hard filters.
    pub filters: Filters,
    /// Results wanted (default 10, at most [`crate::limits::MAX_LIMIT`]).
    pub limit: usize,
    /// Results skipped.
    pub offset: usize,
    /// Diversity in [0, 1]: 0 ranks by score alone; higher values penalise solutions whose KPI
    /// profile repeats those ranked above them (MMR).
    pub diversity: f32,
    /// Include explanations.
    pub explain: bool,
    /// Ranking profile name (default profile when `None`).
    pub profile: Option<String>,
    /// Solutions to explain when they are not on the page ("why not?"), at most
    /// [`crate::limits::MAX_EXPLAIN_IDS`].
    pub explain_ids: Vec<String>,
}

impl MatchRequest {
    /// A request for a stored city with default settings (top 10, explained).
    pub fn for_city(id: &str) -> MatchRequest {
        MatchRequest {
            city: Some(CityInput::Id(id.to_string())),
            limit: 10,
            explain: true,
            ..Default::default()
        }
    }

    /// A request with only a needs text.
    pub fn for_text(needs: &str) -> MatchRequest {
        MatchRequest {
            needs: Some(needs.to_string()),
            limit: 10,
            explain: true,
            ..Default::default()
        }
    }

    /// Sets the needs text.
    pub fn with_needs(mut self, needs: &str) -> MatchRequest {
        self.needs = Some(needs.to_string());
        self
    }

    /// Sets the profile.
    pub fn with_profile(mut self, profile: &str) -> MatchRequest {
        self.profile = Some(profile.to_string());
        self
    }

    /// Sets the limit.
    pub fn with_limit(mut self, limit: usize) -> MatchRequest {
        self.limit = limit;
        self
    }
}
