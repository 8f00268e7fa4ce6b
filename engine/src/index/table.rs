use std::collections::HashMap;
use std::sync::Arc;

use crate::lang::Lang;
use crate::solution::{filter_key, CostBand, KpiProfile, Maturity, Solution};

/// A solution as the engine holds it: the record, its KPI profile, and the attributes the
/// filters read, interned for constant-time checks.
#[derive(Debug, Clone)]
pub struct StoredSolution {
    /// The record as written.
    pub solution: Arc<Solution>,
    /// The KPI profile used for ranking (declared and inferred entries).
    pub profile: KpiProfile,
    /// The language its text is analysed in (declared or detected).
    pub lang: Lang,
    /// Its text's sentence embedding (the semantic stage), when a model reads its language.
    pub embedding: Option<crate::semantic::Embedding>,
    pub(crate) regions: Box<[u32]>,
    pub(crate) categories: Box<[u32]>,
}

/// All solutions by dense ordinal (the `ord` stored in the text index), with look-up by id.
///
/// Ordinals of deleted solutions are left empty and reused by nothing, so an ordinal never
/// changes meaning while the engine runs.
#[derive(Debug, Default, Clone)]
pub struct SolutionTable {
    slots: Vec<Option<StoredSolution>>,
    by_id: HashMap<String, u32>,
    interned: HashMap<String, u32>,
    live: usize,
    max_profile_len: usize,
}

/// Id of the interned region `global`, which matches every region filter.
pub(crate) const GLOBAL: &str = "global";

/// The interned name of the region that matches every region filter.
pub(crate) fn global() -> &'static str {
    GLOBAL
}

impl SolutionTable {
    /// Number of live solutions.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no solution is stored.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The most KPIs any stored profile has had (never decreases): an unseen solution can
    /// appear in at most this many impact lists, which bounds its KPI score.
    pub fn max_profile_len(&self) -> usize {
        self.max_profile_len
    }

    /// One past the largest ordinal ever used.
    pub fn ord_bound(&self) -> usize {
        self.slots.len()
    }

    /// The solution at an ordinal, if live.
    pub fn get(&self, ord: u32) -> Option<&StoredSolution> {
        self.slots.get(ord as usize).and_then(|s| s.as_ref())
    }

    /// The ordinal of an id, if live.
    pub fn ord_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The ordinal an id has or would get.
    pub fn ord_for_insert(&self, id: &str) -> u32 {
        self.ord_of(id).unwrap_or(self.slots.len() as u32)
    }

    /// Inserts or replaces; returns the ordinal and the entry it replaced.
    pub fn upsert(
        &mut self,
        solution: Arc<Solution>,
        profile: KpiProfile,
        lang: Lang,
    ) -> (u32, Option<StoredSolution>) {
        self.max_profile_len = self.max_profile_len.max(profile.entries().len());
        let regions = self.intern_all(&solution.regions);
        let categories = self.intern_all(&solution.categories);
        let stored = StoredSolution {
            solution,
            profile,
            lang,
            embedding: None,
            regions,
            categories,
        };
        match self.by_id.get(&stored.solution.id) {
            Some(&ord) => {
                let old = self.slots[ord as usize].replace(stored);
                (ord, old)
            }
            None => {
                let ord = self.slots.len() as u32;
                self.by_id.insert(stored.solution.id.clone(), ord);
                self.slots.push(Some(stored));
                self.live += 1;
                (ord, None)
            }
        }
    }

    /// Places a solution at a given ordinal (restoring a table from a persisted text index,
    /// whose documents carry their ordinals); the slot must be free and the id new.
    pub fn insert_at(&mut self, ord: u32, solution: Arc<Solution>, profile: KpiProfile, lang: Lang) -> bool {
        let slot = ord as usize;
        if self.by_id.contains_key(&solution.id) || self.slots.get(slot).is_some_and(Option::is_some) {
            return false;
        }
        if self.slots.len() <= slot {
            self.slots.resize(slot + 1, None);
        }
        self.max_profile_len = self.max_profile_len.max(profile.entries().len());
        let regions = self.intern_all(&solution.regions);
        let categories = self.intern_all(&solution.categories);
        self.by_id.insert(solution.id.clone(), ord);
        self.slots[slot] = Some(StoredSolution {
            solution,
            profile,
            lang,
            embedding: None,
            regions,
            categories,
        });
        self.live += 1;
        true
    }

    /// Sets the embedding of the solution at an ordinal (no-op when the slot is empty).
    pub(crate) fn set_embedding(&mut self, ord: u32, embedding: Option<crate::semantic::Embedding>) {
        if let Some(Some(s)) = self.slots.get_mut(ord as usize) {
            s.embedding = embedding;
        }
    }

    /// Removes by id; returns the ordinal and the entry removed.
    pub fn remove(&mut self, id: &str) -> Option<(u32, StoredSolution)> {
        let ord = self.by_id.remove(id)?;
        self.live -= 1;
        self.slots[ord as usize].take().map(|s| (ord, s))
    }

    /// Live entries with their ordinals, in ordinal order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &StoredSolution)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s)))
    }

    /// The interned id of a lower-cased region or category name, if any solution used it.
    pub(crate) fn interned(&self, name: &str) -> Option<u32> {
        self.interned.get(&filter_key(name)).copied()
    }

    fn intern_all(&mut self, names: &[String]) -> Box<[u32]> {
        let mut ids: Vec<u32> = names
            .iter()
            .map(|n| {
                let key = filter_key(n);
                let next = self.interned.len() as u32;
                *self.interned.entry(key).or_insert(next)
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_boxed_slice()
    }

    /// Whether a solution's maturity is in a set (an empty set accepts all).
    pub(crate) fn maturity_in(s: &StoredSolution, set: &[Maturity]) -> bool {
        set.is_empty() || s.solution.maturity.is_some_and(|m| set.contains(&m))
    }

    /// Whether a solution's cost band is in a set (an empty set accepts all).
    pub(crate) fn cost_in(s: &StoredSolution, set: &[CostBand]) -> bool {
        set.is_empty() || s.solution.cost_band.is_some_and(|c| set.contains(&c))
    }
}
