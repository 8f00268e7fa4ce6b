//! Peer cities: how alike two cities are, who is most like a city and where they are ahead,
//! where a city stands among its peers, and what its peers adopted (evidence for the ranking).
//!
//! # Similarity
//!
//! Two cities are compared on what is comparable between them:
//!
//! * **KPIs both report.** For each KPI k reported by both cities A and B, the achievement
//!   `aₖ` ∈ [0, 1] of each city's latest value against its target (the city's own or the
//!   default; the U4SSC achievement of [`crate::kpi::achievement`], capped at 1, so units and
//!   directions do not matter). With `n` such KPIs,
//!   `s_kpi = 1 − √( Σₖ (a_A,k − a_B,k)² / n )` — one minus the root-mean-square difference in
//!   achievement (RMS rather than the mean absolute difference, so a few large differences
//!   count for more than many small ones).
//! * **Population band.** Bands by inhabitants: under 50 000, 50 000–250 000,
//!   250 000–1 million, 1–5 million, 5 million and more (indices 0–4);
//!   `s_pop = 1 − |band_A − band_B| / 4`.
//! * **Region.** `s_region = 1` for the same world region (trimmed, case-insensitive), else 0.
//!
//! `similarity = (0.6·s_kpi + 0.2·s_pop + 0.2·s_region) / (sum of the weights present)`: a
//! component one of the cities lacks data for (no population, no region) is left out of both
//! numerator and denominator. Identical cities score 1; cities at opposite ends of every
//! KPI, in the bands farthest apart and in different regions score 0.
//!
//! Two cities are **comparable** only when they report at least [`MIN_COMPARABLE_KPIS`] KPIs
//! in common. Below that there is no similarity, no peer and no standing: the answer says "too
//! few comparable KPIs" (with the numbers) instead of making a comparison up.
//!
//! # Peers
//!
//! A city's peers are the comparable cities, most similar first (ties by id). A peer is
//! **clearly ahead** on a KPI both report when its achievement exceeds the city's by at least
//! [`AHEAD_MARGIN`] (20 percentage points of target).
//!
//! # Benchmark standing
//!
//! Against its most similar peers, for each KPI the city reports: its **rank** by achievement
//! among itself and the peers that report the KPI (1 = best; equal achievements share a rank),
//! its **percentile** (the share of those peers it does better than, ties counting half), the
//! peers' **median** value and their **best** value (of the peer with the highest
//! achievement), and the city's own series over the years it reported. For each category
//! the same standing on the U4SSC roll-up share, with how many of the city's KPIs in it
//! improve, worsen or hold.
//!
//! # Adoption evidence
//!
//! A solution adopted by similar cities that do well — or improved after adopting it — on the
//! KPIs the requesting city is weak on gains an evidence score; one they discontinued loses.
//! Evidence is correlational: explanations say "deployed by" or "piloted by", never that a
//! solution caused a change.
//!
//! For the requesting city C (gap `gₖ = 1 − a_C,k` on each KPI it reports, 0 elsewhere) and
//! every other stored city P that records deployments, is comparable with C and has similarity
//! `s ≥` [`EVIDENCE_MIN_SIMILARITY`], each deployment of a stored solution S with KPI profile
//! impacts `impactₖ` (declared or inferred; `W = Σₖ impactₖ`) casts a vote
//! `v = ŝ · σ · r` where `ŝ = ((s − 0.6) / (1 − 0.6))²` is the square of the peer's similarity
//! rescaled from the threshold (0) to an identical city (1) — so a near-twin's record (s = 0.94:
//! ŝ = 0.72) counts tens of times a barely similar city's (s = 0.66: ŝ = 0.02), and strong
//! evidence (a near-twin far ahead on the city's weakest KPI, or several such peers) can move a
//! solution by a few places while weak evidence hardly moves it — and
//!
//! * for `deployed` (σ = 1) and `piloting` (σ = ½):
//!   `r = Σₖ impactₖ · gₖ · supportₖ / W`, with
//!   `supportₖ = max(0, a_P,k − a_C,k, a_P,k − a_P,k(adoption))`: how far P is ahead of C on k,
//!   or how much P's achievement rose from its last value reported in or before the adoption
//!   year to its latest (later) value;
//! * for `discontinued` (σ = −1): `r = Σₖ impactₖ · gₖ / W` — a solution aimed at what C is
//!   weak on that a similar city stopped using.
//!
//! With `R = Σ v` over the deployments, the evidence part of the score is
//! `evidence_weight · R / (1 + |R|)`, in (−evidence_weight, evidence_weight); each deployment's
//! share, `evidence_weight · v / (1 + |R|)`, is listed in the explanation, so the parts still
//! add up to the score. Without deployments, or with `evidence_weight = 0`, nothing is added
//! and scores are bit-identical to a ranking without this feature.

mod benchmark;
mod evidence;
mod group;
mod similarity;

pub use benchmark::{Benchmark, CategoryStanding, KpiStanding, PeerBest, PeerRef, PeerShare, YearValue};
pub use evidence::{evidence_strength, Adoption, AdoptionKpi, Evidence, EVIDENCE_MIN_SIMILARITY};
pub use group::{KpiAhead, Peer, Peers, AHEAD_MARGIN};
pub use similarity::{Comparison, PopulationBand, Similarity, MIN_COMPARABLE_KPIS};

pub(crate) use benchmark::benchmark;
pub(crate) use evidence::{compute as evidence, Adopters};
pub(crate) use group::peers;
pub(crate) use similarity::CityProfile;

/// Most peers a request may ask for (`limit` of the peers, `peers` of the benchmark).
pub const MAX_PEERS: usize = 50;
