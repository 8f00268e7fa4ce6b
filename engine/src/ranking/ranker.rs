use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use rustc_hash::FxHashSet;
use serde::Serialize;

use super::explanation::{Explanation, KpiContribution, TextMatch};
use super::filter::CompiledFilters;
use super::plan::{KpiWeight, QueryPlan};
use super::RankingProfile;
use crate::index::{KpiLists, SolutionTable, StoredSolution, TextIndex};
use crate::kpi::Catalogue;
use crate::solution::{KpiProfile, Provenance};
use crate::Result;

/// One ranked solution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchResult {
    /// 1-based rank (offset included).
    pub rank: usize,
    /// Solution id.
    pub solution_id: String,
    /// Title.
    pub title: String,
    /// Provider.
    pub provider: String,
    /// What kind of provider.
    pub provider_type: crate::solution::ProviderType,
    /// Summary.
    pub summary: String,
    /// The language the solution's text is written in (declared or detected).
    pub lang: crate::lang::Lang,
    /// Score (text + KPI + evidence − diversity penalty).
    pub score: f32,
    /// Why, when asked for.
    pub explanation: Option<Explanation>,
}

/// The answer to a match request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchResponse {
    /// Ranked results of the requested page.
    pub results: Vec<MatchResult>,
    /// The KPI weights the request used, largest first.
    pub gaps_used: Vec<KpiWeight>,
    /// The needs text used (the city's stated needs when the request gave none).
    pub needs_text: String,
    /// The language the needs text was read in.
    pub lang: crate::lang::LangChoice,
    /// The analysed query terms.
    pub query_terms: Vec<String>,
    /// The Sustainable Development Goals the request focused on (asked or named in the text).
    pub sdgs: Vec<u8>,
    /// The profile used.
    pub profile: String,
    /// For each solution of `explain_ids` not on the page, why not.
    pub not_returned: Vec<super::NotReturned>,
}

/// The KPI scores of one request, dense by ordinal (0: no score), as accumulated over the
/// KPI lists. An accumulated score can differ from the exact one (summed over the solution's
/// profile) in the last bits, so every cut on them keeps a relative margin of [`MARGIN`].
pub(crate) struct KpiScores {
    raw: Vec<f32>,
}

/// The relative margin kept around cuts on accumulated KPI scores.
const MARGIN: f32 = 1e-4;

/// Score arrays of finished requests, for the next ones: an array as long as the catalogue,
/// freshly allocated, costs a page fault per 4 KiB on its first writes, while reusing one costs
/// a `memset` (at 10⁶ solutions, 4 MB each, so the pool holds at most 32 MB).
static SCORE_ARRAYS: std::sync::Mutex<Vec<Vec<f32>>> = std::sync::Mutex::new(Vec::new());

/// How many score arrays [`SCORE_ARRAYS`] keeps at most (about the requests ranked at once).
const POOLED_ARRAYS: usize = 8;

fn score_arrays() -> std::sync::MutexGuard<'static, Vec<Vec<f32>>> {
    SCORE_ARRAYS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for KpiScores {
    fn drop(&mut self) {
        let raw = std::mem::take(&mut self.raw);
        let mut pool = score_arrays();
        if pool.len() < POOLED_ARRAYS {
            pool.push(raw);
        }
    }
}

impl KpiScores {
    /// `len` zero scores, in a reused array when one is free.
    fn zeroed(len: usize) -> KpiScores {
        let mut raw = score_arrays().pop().unwrap_or_default();
        raw.clear();
        raw.resize(len, 0.0);
        KpiScores { raw }
    }

    /// The ordinals with a positive score in `[lo, hi)`, with their scores.
    fn ords_in(&self, lo: f32, hi: f32) -> impl Iterator<Item = (u32, f32)> + '_ {
        (0u32..)
            .zip(self.raw.iter().copied())
            .filter(move |&(_, v)| v > 0.0 && v >= lo && v < hi)
    }

    /// The ordinals with a positive score of at least `lo`, with their scores, in ordinal
    /// order (one vectorised pass, as [`KpiScores::best`]).
    fn at_least(&self, lo: f32) -> Vec<(u32, f32)> {
        let mut kept = Vec::new();
        self.scan(&mut kept, lo, |_| lo);
        kept
    }

    /// Appends to `kept` every ordinal whose score is positive and at least the floor, in
    /// ordinal order, 64 scores at a time; after each chunk that adds some, `raise` may raise
    /// the floor (it returns the floor for the next chunks).
    fn scan(&self, kept: &mut Vec<(u32, f32)>, mut floor: f32, mut raise: impl FnMut(&mut Vec<(u32, f32)>) -> f32) {
        const CHUNK: usize = 64;
        let mut picked = [(0u32, 0f32); CHUNK];
        for (i, chunk) in self.raw.chunks(CHUNK).enumerate() {
            // Most chunks hold nothing at the floor: their max (eight independent lanes, so
            // it vectorises) skips them.
            let mut lanes = [0f32; 8];
            for c in chunk.chunks(8) {
                for (m, &v) in lanes.iter_mut().zip(c) {
                    *m = if v > *m { v } else { *m };
                }
            }
            let max = lanes.iter().fold(0f32, |a, &b| if b > a { b } else { a });
            if max <= 0.0 || max < floor {
                continue;
            }
            // Without a branch per score: each is written, and kept when it counts.
            let base = (i * CHUNK) as u32;
            let mut n = 0;
            for (j, &v) in chunk.iter().enumerate() {
                picked[n] = (base + j as u32, v);
                n += usize::from(v > 0.0 && v >= floor);
            }
            kept.extend_from_slice(&picked[..n]);
            floor = raise(kept);
        }
    }

    /// The best `m` solutions by accumulated score, found in one pass: every ordinal whose
    /// score is at least `cut`, and the `cut` (`None` when that is every positive score). Every
    /// ordinal left out scores below `cut`, and `cut` is the `m`-th best score less the margin.
    fn best(&self, m: usize) -> (Vec<(u32, f32)>, Option<f32>) {
        let by_score_desc = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1);
        let mut kept: Vec<(u32, f32)> = Vec::new();
        let mut cut: Option<f32> = None;
        let mut compact_at = (4 * m).max(256);
        // Keeps the `m` best and what ties them within the margin; returns the new cut.
        let compact = |kept: &mut Vec<(u32, f32)>| -> f32 {
            kept.select_nth_unstable_by(m - 1, by_score_desc);
            let c = kept[m - 1].1 * (1.0 - MARGIN);
            kept.retain(|p| p.1 >= c);
            c
        };
        self.scan(&mut kept, 0.0, |kept| {
            if kept.len() >= compact_at {
                cut = Some(compact(kept));
                // Ties can keep many: compact again only once the list has doubled.
                compact_at = compact_at.max(2 * kept.len());
            }
            cut.unwrap_or(0.0)
        });
        if kept.len() > m {
            cut = Some(compact(&mut kept));
        }
        (kept, cut)
    }
}

/// A scored candidate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub(crate) ord: u32,
    pub(crate) text: f32,
    pub(crate) kpi_raw: f32,
    /// The evidence part (0 when the solution has none).
    pub(crate) evidence: f32,
    /// The dense (sentence-embedding) part (0 without the semantic stage).
    pub(crate) dense: f32,
    pub(crate) score: f32,
}

/// The combined score. The evidence part is added only when the solution has evidence, so
/// without evidence a score is bit-identical to `text + kpi`.
pub(crate) fn combine(text: f32, kpi: f32, evidence: Option<f32>) -> f32 {
    match evidence {
        Some(e) => text + kpi + e,
        None => text + kpi,
    }
}

/// The dense side's candidates; the first `sorted` are the best, in order (score descending,
/// then id), and every later one is no better than them.
#[derive(Default)]
struct DenseList {
    all: Vec<(u32, f32)>,
    sorted: usize,
}

impl DenseList {
    /// The best `depth` candidates, best first: a selection, then a sort of the part not yet in
    /// order (deepening orders only the new part).
    fn prefix(&mut self, depth: usize, table: &SolutionTable) -> &[(u32, f32)] {
        let depth = depth.min(self.all.len());
        if depth > self.sorted {
            let order = |a: &(u32, f32), b: &(u32, f32)| {
                b.1.total_cmp(&a.1)
                    .then_with(|| id_of(table, a.0).cmp(id_of(table, b.0)))
            };
            let rest = &mut self.all[self.sorted..];
            let k = depth - self.sorted;
            if k < rest.len() {
                rest.select_nth_unstable_by(k - 1, order);
            }
            rest[..k].sort_unstable_by(order);
            self.sorted = depth;
        }
        &self.all[..depth]
    }
}

/// Everything one ranking needs, borrowed from the engine.
pub(crate) struct Ranker<'a> {
    pub(crate) catalogue: &'a Catalogue,
    pub(crate) table: &'a SolutionTable,
    pub(crate) lists: &'a KpiLists,
    pub(crate) text: &'a TextIndex,
    pub(crate) profile: &'a RankingProfile,
    pub(crate) plan: &'a QueryPlan,
    pub(crate) filters: &'a CompiledFilters,
    pub(crate) analyzer: &'a tantivy::tokenizer::TextAnalyzer,
    pub(crate) field_terms: &'a crate::index::FieldTermsCache,
}

/// Orders candidates best first: score descending, then solution id ascending.
pub(crate) fn better(table: &SolutionTable, a: &Scored, b: &Scored) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| id_of(table, a.ord).cmp(id_of(table, b.ord)))
}

/// The `k`-th best score of `scored` (`None` when there are fewer), moving the best `k` to
/// the front (in no particular order).
fn kth_best(table: &SolutionTable, scored: &mut [Scored], k: usize) -> Option<f32> {
    if k == 0 || scored.len() < k {
        return None;
    }
    scored.select_nth_unstable_by(k - 1, |a, b| better(table, a, b));
    Some(scored[k - 1].score)
}

fn id_of(table: &SolutionTable, ord: u32) -> &str {
    table.get(ord).map(|s| s.solution.id.as_str()).unwrap_or("")
}

/// A heap entry for the KPI top-k: the heap's top is the worst kept candidate.
struct Worst<'t> {
    raw: f32,
    id: &'t str,
    ord: u32,
}
impl PartialEq for Worst<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Worst<'_> {}
impl PartialOrd for Worst<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Worst<'_> {
    // "Greater" = worse: lower score, or equal score and larger id.
    fn cmp(&self, o: &Self) -> Ordering {
        o.raw.total_cmp(&self.raw).then_with(|| self.id.cmp(o.id))
    }
}

impl Ranker<'_> {
    fn text_active(&self) -> bool {
        self.profile.text_weight > 0.0 && !self.plan.text.is_empty()
    }

    fn kpi_active(&self) -> bool {
        self.profile.kpi_weight > 0.0 && !self.plan.kpi_weights.is_empty()
    }

    fn evidence_active(&self) -> bool {
        !self.plan.evidence.is_empty()
    }

    fn dense_active(&self) -> bool {
        self.profile.dense_weight > 0.0 && self.plan.dense.is_some()
    }

    /// The cosine of the needs text's and a solution's embeddings, when both have one.
    pub(crate) fn dense_cosine(&self, s: &StoredSolution) -> Option<f32> {
        match (&self.plan.dense, &s.embedding) {
            (Some(q), Some(e)) => Some(crate::semantic::cosine(q, e)),
            _ => None,
        }
    }

    /// The dense part of a solution's score: the cosine above `dense_floor`, rescaled to
    /// [0, `dense_weight`].
    pub(crate) fn dense_part(&self, s: &StoredSolution) -> f32 {
        if !self.dense_active() {
            return 0.0;
        }
        let floor = self.profile.dense_floor;
        self.dense_cosine(s).map_or(0.0, |c| {
            self.profile.dense_weight * ((c - floor) / (1.0 - floor)).clamp(0.0, 1.0)
        })
    }

    /// Every solution that passes the filters with a positive dense part (unordered): the dense
    /// side's candidates, one dot product each. [`DenseList::prefix`] orders only as many as
    /// the top-k reads.
    fn dense_candidates(&self) -> DenseList {
        let all = self
            .table
            .iter()
            .filter_map(|(o, s)| {
                let d = self.dense_part(s);
                (d > 0.0 && self.filters.accepts(o, s)).then_some((o, d))
            })
            .collect();
        DenseList { all, sorted: 0 }
    }

    /// Σₖ qₖ · impactₖ (inferred impacts scaled by `inferred_weight`).
    pub(crate) fn kpi_raw(&self, profile: &KpiProfile) -> f32 {
        profile
            .entries()
            .iter()
            .map(|e| self.plan.q[e.kpi] * e.impact * self.provenance_weight(e.provenance))
            .sum()
    }

    fn provenance_weight(&self, p: Provenance) -> f32 {
        match p {
            Provenance::Declared => 1.0,
            Provenance::Inferred => self.profile.inferred_weight,
        }
    }

    /// The KPI part of the score for a raw KPI score.
    pub(crate) fn kpi_part(&self, raw: f32) -> f32 {
        // 1 − e^(−x) via exp_m1, so tiny raw scores stay positive instead of rounding to 0.
        self.profile.kpi_weight * -(-raw / self.profile.kpi_scale).exp_m1()
    }

    /// Every solution's KPI score for this request: the weighted impacts accumulated over the
    /// impact lists of the KPIs the request weighs (see [`KpiLists::accumulate`]). Exact, and
    /// computed once per request; the top-k is then a selection over the array.
    pub(crate) fn kpi_scores(&self) -> KpiScores {
        let weights: Vec<(usize, f32, f32)> = self
            .plan
            .kpi_weights
            .iter()
            .map(|w| (w.kpi, w.weight, w.weight * self.profile.inferred_weight))
            .collect();
        let mut scores = KpiScores::zeroed(self.table.ord_bound());
        self.lists.accumulate(&weights, &mut scores.raw);
        scores
    }

    /// The best `k` solutions by KPI score that pass the filters, best first (ties by id), each
    /// with its score recomputed from its profile so every path sums in the same order.
    ///
    /// The solutions with the best accumulated scores (twice `k`, and any within the margin of
    /// the last) are tried first, best first, so the heap soon holds strong scores. Then only
    /// the others whose accumulated score reaches the heap's worst (less the margin) are tried:
    /// usually none, unless the filters rejected many of the first.
    pub(crate) fn kpi_top(&self, scores: &KpiScores, k: usize) -> Vec<(u32, f32)> {
        if k == 0 {
            return Vec::new();
        }
        let mut heap: BinaryHeap<Worst<'_>> = BinaryHeap::with_capacity(k + 1);
        let (mut best, cut) = scores.best(2 * k);
        best.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for &(ord, approx) in &best {
            self.kpi_offer(&mut heap, k, ord, approx);
        }
        if let Some(cut) = cut {
            // Everything left scores below `cut`, and the skip check rejects what scores below
            // the heap's worst (less the margin); the worst only rises, so its value now bounds
            // what the sweep can admit.
            let floor = match heap.peek() {
                Some(w) if heap.len() >= k => w.raw * (1.0 - MARGIN),
                _ => 0.0,
            };
            if floor < cut {
                for (ord, approx) in scores.ords_in(floor, cut) {
                    self.kpi_offer(&mut heap, k, ord, approx);
                }
            }
        }
        let mut out: Vec<Worst<'_>> = heap.into_vec();
        out.sort();
        out.into_iter().map(|w| (w.ord, w.raw)).collect()
    }

    /// Offers a solution to [`Ranker::kpi_top`]'s heap of the `k` best, unless its accumulated
    /// score `approx` is clearly below the worst kept.
    fn kpi_offer<'t>(&'t self, heap: &mut BinaryHeap<Worst<'t>>, k: usize, ord: u32, approx: f32) {
        if heap.len() >= k && heap.peek().is_some_and(|w| approx < w.raw * (1.0 - MARGIN)) {
            return;
        }
        let Some(s) = self.table.get(ord) else {
            return;
        };
        if !self.filters.accepts(ord, s) {
            return;
        }
        let raw = self.kpi_raw(&s.profile);
        if raw <= 0.0 {
            return;
        }
        let cand = Worst {
            raw,
            id: &s.solution.id,
            ord,
        };
        if heap.len() < k {
            heap.push(cand);
        } else if heap.peek().is_some_and(|w| cand < *w) {
            heap.pop();
            heap.push(cand);
        }
    }

    /// Exact top-`need` by combined score: deepens the text, KPI and dense candidate lists until
    /// the `need`-th best combined score beats the bound on every unseen solution.
    ///
    /// Every solution with positive evidence (that passes the filters) is a candidate from the
    /// start, so an unseen solution's evidence is at most 0 and the bound `text bound + KPI
    /// bound` still holds for it; negative evidence only lowers the scores it applies to.
    pub(crate) fn top(&self, need: usize) -> Result<Vec<Scored>> {
        let (text_on, kpi_on, evidence_on) = (self.text_active(), self.kpi_active(), self.evidence_active());
        let dense_on = self.dense_active();
        if need == 0 || (!text_on && !kpi_on && !evidence_on && !dense_on) {
            return Ok(Vec::new());
        }
        let evidence_cands: Vec<u32> = self
            .plan
            .evidence
            .positive()
            .iter()
            .copied()
            .filter(|&o| self.table.get(o).is_some_and(|s| self.filters.accepts(o, s)))
            .collect();
        let allowed = (text_on && self.filters.active).then(|| self.filters.bitset(self.table));
        let total = self.table.len().max(1);
        // Each list starts one past the cut: the bound is the last candidate's score, so a list
        // cut exactly at `need` could never prove itself complete, and ties at the cut are seen.
        // Then only the list whose bound term is largest is deepened, so the effort goes to the
        // part that dominates the score (usually the KPI part with the tuned weights).
        let (mut text_depth, kpi_depth, mut dense_depth) = (need + 1, need + 1, need + 1);
        // Once the KPI list is deepened it is cut by score instead of by depth: it then holds
        // every accepted solution whose KPI score may reach the floor (raw), so an unseen one's
        // KPI part is below the floor's.
        let mut kpi_floor: Option<f32> = None;
        let mut dense_list = if dense_on {
            self.dense_candidates()
        } else {
            DenseList::default()
        };
        let (mut text_hits, mut kpi_hits) = (Vec::new(), Vec::new());
        let kpi_scores = if kpi_on { Some(self.kpi_scores()) } else { None };
        let (mut text_stale, mut kpi_stale) = (text_on, kpi_on);
        // One searcher and one computation of the BM25 weights for every deepening.
        let prepared = if text_on {
            self.text.prepare(&self.plan.text)?
        } else {
            None
        };
        // Every candidate is scored once: a deepening scores only the solutions it adds.
        // (The request's best BM25, which normalises the text part, is the text list's first
        // score, the same at every depth.)
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        let mut scored: Vec<Scored> = Vec::new();
        loop {
            if let (true, Some(p)) = (text_stale, &prepared) {
                text_hits = self.text.top_prepared(p, text_depth, allowed.as_deref())?;
                text_stale = false;
            }
            if let (true, Some(scores)) = (kpi_stale, &kpi_scores) {
                kpi_hits = match kpi_floor {
                    None => self.kpi_top(scores, kpi_depth),
                    Some(floor) => self.kpi_reaching(scores, floor, &seen),
                };
                kpi_stale = false;
            }
            let text_full = text_on && text_hits.len() >= text_depth;
            // Whether unseen solutions may still have a KPI part, up to the bound below.
            let kpi_full = kpi_on
                && match kpi_floor {
                    None => kpi_hits.len() >= kpi_depth,
                    Some(floor) => floor > 0.0,
                };
            let dense_hits = dense_list.prefix(dense_depth, self.table);
            let dense_full = dense_on && dense_hits.len() >= dense_depth;
            let tmax = text_hits.first().map_or(1.0, |h| h.1).max(f32::MIN_POSITIVE);
            // New candidates, each with its BM25 when the text list has it and its KPI score
            // when the KPI list has it.
            let mut fresh: Vec<(u32, Option<f32>, Option<f32>)> = Vec::new();
            let mut add = |ord: u32, text: Option<f32>, kpi: Option<f32>| {
                if seen.insert(ord) {
                    fresh.push((ord, text, kpi));
                }
            };
            for &(ord, s) in &text_hits {
                add(ord, Some(s), None);
            }
            for &(ord, r) in &kpi_hits {
                // A list cut by depth carries exact scores; one cut by score, accumulated ones.
                add(ord, None, kpi_floor.is_none().then_some(r));
            }
            for &ord in &evidence_cands {
                add(ord, None, None);
            }
            for &(ord, _) in dense_hits {
                add(ord, None, None);
            }
            // Text scores of the other lists' candidates: random access when the text list was
            // cut (when it was not, every solution the text matches is in it).
            if let (true, Some(p)) = (text_full, &prepared) {
                let need_text: Vec<u32> = fresh.iter().filter(|c| c.1.is_none()).map(|c| c.0).collect();
                let mut fetched = self.text.score_prepared(p, &need_text)?.into_iter();
                for c in fresh.iter_mut().filter(|c| c.1.is_none()) {
                    c.1 = fetched.next();
                }
            }
            scored.extend(
                fresh
                    .into_iter()
                    .filter_map(|(ord, t, r)| self.score_candidate(ord, t, tmax, r)),
            );
            let kth = kth_best(self.table, &mut scored, need);
            // An unseen solution is below both cuts: its text is at most the text list's last
            // score and its KPI score at most the KPI list's last.
            let text_bound = if text_full {
                self.profile.text_weight * text_hits[text_depth - 1].1 / tmax
            } else {
                0.0
            };
            let kpi_bound = match kpi_floor {
                _ if !kpi_full => 0.0,
                None => self.kpi_part(kpi_hits[kpi_depth - 1].1),
                Some(floor) => self.kpi_part(floor),
            };
            let dense_bound = if dense_full { dense_hits[dense_depth - 1].1 } else { 0.0 };
            let settled = kth.is_some_and(|k| k > text_bound + kpi_bound + dense_bound);
            let text_open = text_full && text_depth < total;
            let kpi_open = kpi_full && (kpi_floor.is_some() || kpi_depth < total);
            let dense_open = dense_full && dense_depth < total;
            if settled || !(text_open || kpi_open || dense_open) {
                scored.sort_by(|a, b| better(self.table, a, b));
                scored.truncate(need);
                return Ok(scored);
            }
            // Deepen the open list whose bound term is largest.
            let open_bound = |open: bool, b: f32| if open { b } else { f32::NEG_INFINITY };
            let (t, k, d) = (
                open_bound(text_open, text_bound),
                open_bound(kpi_open, kpi_bound),
                open_bound(dense_open, dense_bound),
            );
            if t >= k && t >= d {
                text_depth = (text_depth * 4).min(total);
                text_stale = true;
            } else if k >= d {
                // Straight to every solution whose KPI part could lift it to the current
                // `need`-th score with the other bounds as they are: one pass over the scores,
                // each new candidate scored once. The floor sits a margin below that score, so
                // the next round's bound is strictly below the `need`-th score and settles
                // (at the exact score, a tie would deepen the text list instead). A floor that
                // does not fall is dropped to 0, which lists every solution with a KPI score.
                let floor = kth.map_or(0.0, |kth| {
                    self.kpi_raw_for_part(kth - text_bound - dense_bound) * (1.0 - MARGIN)
                });
                kpi_floor = Some(match kpi_floor {
                    Some(prev) if floor >= prev => 0.0,
                    _ => floor,
                });
                kpi_stale = true;
            } else {
                dense_depth = (dense_depth * 4).min(total);
            }
        }
    }

    /// The raw KPI score whose KPI part is `part` (0 for a part of 0 or less; infinite for
    /// one the KPI part never reaches).
    fn kpi_raw_for_part(&self, part: f32) -> f32 {
        let w = self.profile.kpi_weight;
        if part <= 0.0 || w <= 0.0 {
            return 0.0;
        }
        if part >= w {
            return f32::INFINITY;
        }
        // kpi_part(raw) = w·(1 − e^(−raw/scale)), inverted.
        -self.profile.kpi_scale * (-(part / w)).ln_1p()
    }

    /// The solutions not yet `seen` that pass the filters and whose KPI score may reach
    /// `floor` (accumulated scores, so cut with the margin), with their accumulated scores:
    /// every solution left out has an exact KPI score below `floor`.
    fn kpi_reaching(&self, scores: &KpiScores, floor: f32, seen: &FxHashSet<u32>) -> Vec<(u32, f32)> {
        let mut reaching = scores.at_least(floor * (1.0 - MARGIN));
        reaching.retain(|&(ord, _)| {
            !seen.contains(&ord) && self.table.get(ord).is_some_and(|s| self.filters.accepts(ord, s))
        });
        reaching
    }

    /// One candidate's combined score from its BM25 (`None`: no query term), the request's
    /// best BM25 and its KPI score when already known; `None` when it scores nothing.
    fn score_candidate(&self, ord: u32, bm25: Option<f32>, tmax: f32, kpi_raw: Option<f32>) -> Option<Scored> {
        let s = self.table.get(ord)?;
        let text = if self.text_active() {
            self.profile.text_weight * bm25.unwrap_or(0.0) / tmax
        } else {
            0.0
        };
        let kpi_raw = if self.kpi_active() {
            kpi_raw.unwrap_or_else(|| self.kpi_raw(&s.profile))
        } else {
            0.0
        };
        let evidence = self.plan.evidence.score(ord);
        let dense = self.dense_part(s);
        let mut score = combine(text, self.kpi_part(kpi_raw), evidence);
        // Added only when present, so without the semantic stage scores are bit-identical.
        if dense > 0.0 {
            score += dense;
        }
        (score > 0.0).then_some(Scored {
            ord,
            text,
            kpi_raw,
            evidence: evidence.unwrap_or(0.0),
            dense,
            score,
        })
    }

    /// One solution's exact score for the request (text normalised by the request's best BM25
    /// over every solution; no filters); `None` when it scores nothing.
    pub(crate) fn score_one(&self, ord: u32) -> Result<Option<Scored>> {
        let prepared = if self.text_active() {
            self.text.prepare(&self.plan.text)?
        } else {
            None
        };
        let (bm25, tmax) = if let Some(p) = &prepared {
            let best = self.text.top_prepared(p, 1, None)?;
            let tmax = best.first().map_or(1.0, |h| h.1).max(f32::MIN_POSITIVE);
            (self.text.score_prepared(p, &[ord])?.first().copied(), tmax)
        } else {
            (None, 1.0)
        };
        Ok(self.score_candidate(ord, bm25, tmax, None))
    }

    /// Every solution that passes the filters and scores above zero, scored as [`Ranker::top`]
    /// scores its candidates (unordered): the whole ranking, for exact ranks.
    pub(crate) fn score_all(&self) -> Result<Vec<Scored>> {
        let mut cands: HashMap<u32, Option<f32>> = HashMap::new();
        let mut tmax = 1.0f32;
        if self.text_active() {
            let allowed = self.filters.active.then(|| self.filters.bitset(self.table));
            let hits = self
                .text
                .top(&self.plan.text, self.table.len().max(1), allowed.as_deref())?;
            tmax = hits.first().map_or(1.0, |h| h.1).max(f32::MIN_POSITIVE);
            cands.extend(hits.into_iter().map(|(o, s)| (o, Some(s))));
        }
        if self.kpi_active() {
            let scores = self.kpi_scores();
            for (o, _) in scores.at_least(0.0) {
                cands.entry(o).or_insert(None);
            }
        }
        for &o in self.plan.evidence.positive() {
            cands.entry(o).or_insert(None);
        }
        if self.dense_active() {
            for (o, _) in self.dense_candidates().all {
                cands.entry(o).or_insert(None);
            }
        }
        Ok(cands
            .into_iter()
            .filter(|&(o, _)| self.table.get(o).is_some_and(|s| self.filters.accepts(o, s)))
            .filter_map(|(o, t)| self.score_candidate(o, t, tmax, None))
            .collect())
    }

    /// Greedy MMR re-ranking: each pick maximises `score − diversity × max cosine similarity of
    /// its KPI profile to the picks above it`; the penalty is reported per result.
    pub(crate) fn diversify(&self, pool: Vec<Scored>, diversity: f32, need: usize) -> Vec<(Scored, f32)> {
        if diversity <= 0.0 {
            return pool.into_iter().take(need).map(|s| (s, 0.0)).collect();
        }
        let mut remaining = pool;
        let mut picked: Vec<(Scored, f32)> = Vec::with_capacity(need);
        let mut max_sim = vec![0f32; remaining.len()];
        while picked.len() < need && !remaining.is_empty() {
            let mut best = 0;
            let mut best_val = f32::NEG_INFINITY;
            for (i, c) in remaining.iter().enumerate() {
                let v = c.score - diversity * max_sim[i];
                let better_tie = v == best_val && id_of(self.table, c.ord) < id_of(self.table, remaining[best].ord);
                if v > best_val || better_tie {
                    best = i;
                    best_val = v;
                }
            }
            let chosen = remaining.swap_remove(best);
            let penalty = diversity * max_sim.swap_remove(best);
            if let Some(cp) = self.table.get(chosen.ord).map(|s| &s.profile) {
                for (i, c) in remaining.iter().enumerate() {
                    if let Some(p) = self.table.get(c.ord) {
                        max_sim[i] = max_sim[i].max(cp.cosine(&p.profile));
                    }
                }
            }
            picked.push((chosen, penalty));
        }
        picked
    }

    /// The explanation of one result: `text + kpi + evidence + dense − penalty` is the result's score
    /// (`scored.score − penalty`).
    pub(crate) fn explain(&self, s: &StoredSolution, scored: &Scored, penalty: f32) -> Explanation {
        let kpi_total = self.kpi_part(scored.kpi_raw);
        let mut kpis: Vec<KpiContribution> = Vec::new();
        if scored.kpi_raw > 0.0 {
            for e in s.profile.entries() {
                let q = self.plan.q[e.kpi];
                let share = q * e.impact * self.provenance_weight(e.provenance);
                let contribution = kpi_total * share / scored.kpi_raw;
                if contribution.is_nan() || contribution <= 0.0 {
                    continue;
                }
                let def = self.catalogue.get(e.kpi);
                let gap = self.plan.gaps.as_ref().and_then(|g| g.get(e.kpi));
                let w = self.plan.kpi_weights.iter().find(|w| w.kpi == e.kpi);
                kpis.push(KpiContribution {
                    code: def.code.clone(),
                    name: def.name.clone(),
                    contribution,
                    city_value: gap.map(|g| g.value),
                    target: gap.map(|g| g.target),
                    unit: def.unit.clone(),
                    gap: gap.map(|g| g.gap as f32),
                    needs: w.map_or(0.0, |w| w.needs),
                    source: w.map_or(super::WeightSource::Gap, |w| w.source),
                    sdgs: w.map_or_else(Vec::new, |w| w.sdgs.clone()),
                    impact: e.impact,
                    provenance: e.provenance,
                    confidence: e.confidence,
                });
            }
            kpis.sort_by(|a, b| b.contribution.total_cmp(&a.contribution).then(a.code.cmp(&b.code)));
        }
        Explanation {
            text: scored.text,
            matched_terms: if scored.text > 0.0 {
                self.matched_terms(scored.ord, s)
            } else {
                Vec::new()
            },
            kpi: kpi_total,
            kpis,
            evidence: scored.evidence,
            adoptions: self.plan.evidence.adoptions(scored.ord),
            dense: scored.dense,
            dense_cosine: if self.dense_active() {
                self.dense_cosine(s)
            } else {
                None
            },
            diversity_penalty: penalty,
            score: scored.score - penalty,
        }
    }

    fn matched_terms(&self, ord: u32, s: &StoredSolution) -> Vec<TextMatch> {
        let fields = self
            .field_terms
            .get(ord, &s.solution, self.plan.text.lang, self.analyzer);
        self.plan
            .text
            .terms
            .iter()
            .filter_map(|t| {
                let found = fields.fields_of(&t.term);
                (!found.is_empty()).then(|| TextMatch {
                    term: t.term.clone(),
                    from_synonym: !self.plan.user_terms.contains(&t.term),
                    fields: found,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::KpiScores;
    use crate::bundle::Bundle;
    use crate::ranking::{Filters, MatchRequest};
    use crate::Engine;

    proptest! {
        /// `KpiScores::best` keeps every score at or above its cut, leaves out only scores
        /// below it, and keeps at least the `m` best; on arrays long enough to compact many
        /// times, with many zeros and many ties. `KpiScores::at_least` keeps exactly the
        /// positive scores at its floor.
        #[test]
        fn best_keeps_the_m_best_and_leaves_out_only_scores_below_its_cut(
            raw in prop::collection::vec(prop_oneof![3 => Just(0f32), 2 => (0u8..20).prop_map(f32::from), 2 => 0f32..100.0], 0..6000),
            m in 1usize..400,
        ) {
            let scores = KpiScores { raw: raw.clone() };
            // `at_least` is the plain filter, in ordinal order.
            let lo = (m % 40) as f32 * 2.5;
            let want: Vec<(u32, f32)> = (0u32..).zip(raw.iter().copied()).filter(|&(_, v)| v > 0.0 && v >= lo).collect();
            prop_assert_eq!(scores.at_least(lo), want);
            let (kept, cut) = scores.best(m);
            let positive = raw.iter().filter(|&&v| v > 0.0).count();
            let mut kept_ords: Vec<u32> = kept.iter().map(|p| p.0).collect();
            kept_ords.sort_unstable();
            kept_ords.dedup();
            prop_assert_eq!(kept_ords.len(), kept.len(), "an ordinal kept twice");
            for &(o, v) in &kept {
                prop_assert_eq!(raw[o as usize], v);
                prop_assert!(v > 0.0);
            }
            match cut {
                None => prop_assert_eq!(kept.len(), positive),
                Some(cut) => {
                    prop_assert!(kept.len() >= m);
                    for (o, &v) in raw.iter().enumerate() {
                        let is_kept = kept_ords.binary_search(&(o as u32)).is_ok();
                        if v > 0.0 {
                            prop_assert_eq!(is_kept, v >= cut, "score {} against cut {}", v, cut);
                        }
                    }
                    let mut sorted: Vec<f32> = raw.iter().copied().filter(|&v| v > 0.0).collect();
                    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
                    prop_assert!(sorted[m - 1] >= cut);
                }
            }
        }
    }

    /// The exact top-k equals ranking every solution by its combined score, for hybrid,
    /// text-only and KPI-only requests, with and without adoption evidence (the bundled
    /// cities record deployments; `evidence-heavy` weighs evidence twice the KPI part), with
    /// and without filters.
    #[test]
    fn top_k_equals_exhaustive_scoring() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        assert!(bundle.cities.iter().any(|c| !c.deployments.is_empty()));
        let mut engine = Engine::from_bundle(&bundle).unwrap();
        let mut heavy = engine.profiles().get(None).unwrap().clone();
        heavy.name = "evidence-heavy".into();
        heavy.evidence_weight = 2.0 * heavy.kpi_weight;
        engine.profiles_mut().insert(heavy);
        let with_evidence = check_exact(
            &engine,
            &bundle,
            &["default", "text-only", "kpi-only", "no-evidence", "evidence-heavy"],
        );
        assert!(with_evidence >= 8, "only {with_evidence} requests had evidence");
    }

    /// The same with the semantic stage: the dense list joins the threshold loop, and a
    /// dense-heavy profile (the dense part outweighing text and KPIs) and a dense-only one
    /// make it the part that decides.
    #[test]
    fn top_k_equals_exhaustive_scoring_with_the_dense_part() {
        use crate::semantic::{EmbeddingStore, Semantic};
        use crate::synth::HashedEmbedder;
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let mut engine = Engine::empty_for(&bundle).unwrap();
        let sem = Semantic::new(
            Box::new(HashedEmbedder::new(32)),
            EmbeddingStore::in_memory("hashed-words-32", 32),
        );
        engine.set_semantic(Some(std::sync::Arc::new(sem))).unwrap();
        engine.upsert_solutions(bundle.solutions.clone()).unwrap();
        for c in &bundle.cities {
            engine.upsert_city(c.clone()).unwrap();
        }
        let base = engine.profiles().get(None).unwrap().clone();
        assert!(base.dense_weight > 0.0);
        let mut heavy = base.clone();
        heavy.name = "dense-heavy".into();
        heavy.dense_weight = 3.0;
        heavy.dense_floor = 0.1;
        let mut only = base.clone();
        only.name = "dense-only".into();
        only.text_weight = 0.0;
        only.kpi_weight = 0.0;
        only.evidence_weight = 0.0;
        only.dense_weight = 1.0;
        engine.profiles_mut().insert(heavy);
        engine.profiles_mut().insert(only);
        let plan = engine.plan(&MatchRequest::for_text("leaking water pipes")).unwrap();
        assert!(plan.dense.is_some(), "an English needs text is embedded");
        check_exact(&engine, &bundle, &["default", "dense-heavy", "dense-only", "lexical"]);
        // The explanation names the dense part, and the parts still add up to the score.
        let city = &bundle.cities[0].id;
        let resp = engine
            .match_solutions(&MatchRequest::for_city(city).with_needs("leaking water pipes"))
            .unwrap();
        let mut dense_seen = 0;
        for r in &resp.results {
            let e = r.explanation.as_ref().unwrap();
            assert!((e.text + e.kpi + e.evidence + e.dense - e.diversity_penalty - r.score).abs() < 1e-5);
            assert!(e.dense_cosine.is_some() || e.dense == 0.0);
            dense_seen += usize::from(e.dense > 0.0);
        }
        assert!(dense_seen > 0, "no result had a dense part");
    }

    /// The same on a synthetic catalogue of 4,000 solutions made from the bundled ones, written
    /// in several segments: many solutions share a KPI profile, so the KPI list is deepened past
    /// its first cut and the text scores of its candidates are read by random access.
    #[test]
    fn top_k_equals_exhaustive_scoring_on_a_synthetic_catalogue() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let mut engine = Engine::empty_for(&bundle).unwrap();
        let solutions = crate::synth::generate(&bundle.solutions, &bundle.catalogue, 4_000, 7);
        // Four writes, four segments: the text top-k carries its threshold across them.
        for chunk in solutions.chunks(1_000) {
            engine.upsert_solutions(chunk.to_vec()).unwrap();
        }
        assert!(engine.text_index().segment_count() > 1);
        for c in &bundle.cities {
            engine.upsert_city(c.clone()).unwrap();
        }
        check_exact(&engine, &bundle, &["default", "text-only", "kpi-only", "lexical"]);
    }

    /// The same on a synthetic catalogue of 4,000 solutions, where a hybrid request's KPI
    /// list is usually deepened past its first cut (the bundle is too small for that to be
    /// needed often): the list cut by score must still hold every solution that can enter.
    #[test]
    fn top_k_equals_exhaustive_scoring_on_a_larger_catalogue() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let mut engine = Engine::empty_for(&bundle).unwrap();
        let solutions = crate::synth::generate(&bundle.solutions, &bundle.catalogue, 4_000, 11);
        engine.upsert_solutions(solutions).unwrap();
        for c in &bundle.cities {
            engine.upsert_city(c.clone()).unwrap();
        }
        check_exact(&engine, &bundle, &["default", "no-evidence", "kpi-only"]);
    }

    /// Checks the top 10 of every (city, needs, profile, filter) against exhaustive scoring;
    /// returns how many requests had adoption evidence.
    fn check_exact(engine: &Engine, bundle: &Bundle, profiles: &[&str]) -> usize {
        let needs = [
            "what fixes our water KPIs?",
            "traffic jams and air pollution",
            "",
            "jobs for young people",
        ];
        let mut with_evidence = 0;
        for (i, city) in bundle.cities.iter().enumerate().take(8) {
            for &profile in profiles {
                for filtered in [false, true] {
                    let req = all_request(engine, &city.id, needs[i % needs.len()], profile, filtered);
                    let top = engine.match_solutions(&req.clone().with_limit(10)).unwrap();
                    with_evidence += usize::from(!engine.plan(&req).unwrap().evidence.is_empty());
                    let all = engine.match_solutions(&req.clone().with_limit(100)).unwrap();
                    let exhaustive = engine.exhaustive_ranking(&req);
                    let got: Vec<&str> = top.results.iter().map(|r| r.solution_id.as_str()).collect();
                    let want: Vec<&str> = exhaustive.iter().take(10).map(|(id, _)| id.as_str()).collect();
                    assert_eq!(got, want, "{} / {profile} / filtered {filtered}", city.id);
                    assert_eq!(all.results.len().min(10), top.results.len());
                }
            }
        }
        with_evidence
    }

    fn all_request(_engine: &Engine, city: &str, needs: &str, profile: &str, filtered: bool) -> MatchRequest {
        let mut req = MatchRequest::for_city(city).with_needs(needs).with_profile(profile);
        req.explain = false;
        if filtered {
            req.filters = Filters {
                maturity: vec![crate::solution::Maturity::Proven],
                ..Default::default()
            };
        }
        req
    }
}
