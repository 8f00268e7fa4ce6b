use serde::{Deserialize, Serialize};

use crate::city::City;
use crate::ranking::{CityInput, Filters, MatchRequest};

/// Whether a topic may be used to choose weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Used for tuning.
    Train,
    /// Only for checking tuned weights.
    Heldout,
}

/// A judged topic: a city and a needs text (possibly empty), with optional filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Topic id, as in the qrels.
    pub id: String,
    /// A stored city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_id: Option<String>,
    /// An inline city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Box<City>>,
    /// The needs text; empty means pure gap ranking.
    #[serde(default)]
    pub needs: String,
    /// Train or held out.
    #[serde(default = "default_split")]
    pub split: Split,
    /// Hard filters.
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    pub filters: Filters,
}

fn default_split() -> Split {
    Split::Train
}

impl Topic {
    /// The match request this topic stands for, with a given depth and profile.
    pub fn request(&self, limit: usize, profile: Option<&str>) -> MatchRequest {
        let city = match (&self.city_id, &self.city) {
            (Some(id), _) => Some(CityInput::Id(id.clone())),
            (None, Some(c)) => Some(CityInput::Inline(c.clone())),
            (None, None) => None,
        };
        MatchRequest {
            city,
            needs: Some(self.needs.clone()),
            filters: self.filters.clone(),
            limit,
            explain: false,
            profile: profile.map(str::to_string),
            ..Default::default()
        }
    }
}

/// How a variant topic restates its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// The same question in another language.
    Translation,
    /// The same question in English, in words the vocabulary does not list.
    Paraphrase,
}

/// A judged topic that restates another one (`topics/multilingual.jsonl`): the same city and
/// need, asked in another language or in other words. It is judged by its source's judgments,
/// so its ranking can be compared with the source's and with the gap-only ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantTopic {
    /// Topic id.
    pub id: String,
    /// The stored city (the source's).
    pub city_id: String,
    /// The needs text.
    pub needs: String,
    /// The language it is written in (BCP 47).
    pub lang: String,
    /// The topic it restates (in `topics/topics.jsonl`).
    pub source: String,
    /// Translation or paraphrase.
    pub variant: Variant,
    /// Train or held out (the source's).
    #[serde(default = "default_split")]
    pub split: Split,
}

impl VariantTopic {
    /// The match request of this topic: its needs text with no declared language (the engine
    /// must tell it), unless `declare` asks for its `lang` to be sent.
    pub fn request(&self, limit: usize, profile: Option<&str>, declare: bool) -> MatchRequest {
        MatchRequest {
            city: Some(CityInput::Id(self.city_id.clone())),
            needs: Some(self.needs.clone()),
            lang: declare.then(|| self.lang.clone()),
            limit,
            explain: false,
            profile: profile.map(str::to_string),
            ..Default::default()
        }
    }
}

/// A judged lead topic: a solution whose provider asks which cities to approach; its
/// judgments grade cities (`topics/leads.jsonl`, `topics/leads-qrels.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTopic {
    /// Topic id, as in the lead qrels.
    pub id: String,
    /// The solution.
    pub solution_id: String,
    /// Train or held out.
    #[serde(default = "default_split")]
    pub split: Split,
    /// What the provider offers, in a few words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl LeadTopic {
    /// The leads request this topic stands for, with a given depth and profile.
    pub fn request(&self, limit: usize, profile: Option<&str>) -> crate::leads::LeadRequest {
        crate::leads::LeadRequest {
            limit,
            explain: false,
            profile: profile.map(str::to_string),
            ..crate::leads::LeadRequest::for_solution(&self.solution_id)
        }
    }
}
