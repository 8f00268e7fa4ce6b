use std::cmp::Ordering;

use crate::kpi::KpiId;
use crate::solution::{KpiProfile, Provenance};

/// A posting: (impact, ordinal).
type Posting = (f32, u32);

fn by_impact_desc(a: &Posting, b: &Posting) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Per KPI and provenance, the solutions that address it, ordered by impact (highest first).
///
/// These are the sorted-access lists of the threshold algorithm: walking them best-first gives
/// an upper bound on the KPI score of every solution not yet seen, so a top-k KPI ranking stops
/// after visiting a small part of a large catalogue.
#[derive(Debug, Clone)]
pub struct KpiLists {
    declared: Vec<Vec<Posting>>,
    inferred: Vec<Vec<Posting>>,
}

/// A cursor over one list, with the weight the query gives that list.
#[derive(Debug, Clone)]
pub(crate) struct ListCursor<'a> {
    list: &'a [Posting],
    pos: usize,
    weight: f32,
}

impl ListCursor<'_> {
    /// The weighted contribution of the next posting (its upper bound for unseen solutions),
    /// 0 when exhausted.
    #[inline]
    pub(crate) fn bound(&self) -> f32 {
        self.list.get(self.pos).map_or(0.0, |p| p.0 * self.weight)
    }

    /// Takes the next ordinal.
    #[inline]
    pub(crate) fn next_ord(&mut self) -> Option<u32> {
        let p = self.list.get(self.pos)?;
        self.pos += 1;
        Some(p.1)
    }
}

impl KpiLists {
    /// Empty lists for a catalogue of `kpi_count` KPIs.
    pub fn new(kpi_count: usize) -> KpiLists {
        KpiLists {
            declared: vec![Vec::new(); kpi_count],
            inferred: vec![Vec::new(); kpi_count],
        }
    }

    /// Builds all lists at once from (ordinal, profile) pairs.
    pub fn build<'a>(kpi_count: usize, profiles: impl IntoIterator<Item = (u32, &'a KpiProfile)>) -> KpiLists {
        let mut lists = KpiLists::new(kpi_count);
        for (ord, profile) in profiles {
            for e in profile.entries() {
                lists.list_mut(e.kpi, e.provenance).push((e.impact, ord));
            }
        }
        for l in lists.declared.iter_mut().chain(lists.inferred.iter_mut()) {
            l.sort_by(by_impact_desc);
        }
        lists
    }

    fn list_mut(&mut self, kpi: KpiId, p: Provenance) -> &mut Vec<Posting> {
        match p {
            Provenance::Declared => &mut self.declared[kpi],
            Provenance::Inferred => &mut self.inferred[kpi],
        }
    }

    /// Adds a solution's profile.
    pub fn insert(&mut self, ord: u32, profile: &KpiProfile) {
        for e in profile.entries() {
            let p = (e.impact, ord);
            let list = self.list_mut(e.kpi, e.provenance);
            let at = list.partition_point(|x| by_impact_desc(x, &p) == Ordering::Less);
            list.insert(at, p);
        }
    }

    /// Removes a solution's profile (the one it was inserted with).
    pub fn remove(&mut self, ord: u32, profile: &KpiProfile) {
        for e in profile.entries() {
            let p = (e.impact, ord);
            let list = self.list_mut(e.kpi, e.provenance);
            let at = list.partition_point(|x| by_impact_desc(x, &p) == Ordering::Less);
            if list.get(at) == Some(&p) {
                list.remove(at);
            } else if let Some(i) = list.iter().position(|x| x.1 == ord) {
                list.remove(i);
            }
        }
    }

    /// Number of solutions addressing a KPI: (declared, inferred).
    pub fn count(&self, kpi: KpiId) -> (usize, usize) {
        (self.declared[kpi].len(), self.inferred[kpi].len())
    }

    /// Cursors for a query, one per non-empty list with a positive weight. `weights` holds
    /// (KPI, weight of its declared list, weight of its inferred list).
    pub(crate) fn cursors(&self, weights: &[(KpiId, f32, f32)]) -> Vec<ListCursor<'_>> {
        let mut out = Vec::new();
        for &(kpi, wd, wi) in weights {
            for (list, weight) in [(&self.declared[kpi], wd), (&self.inferred[kpi], wi)] {
                if weight > 0.0 && !list.is_empty() {
                    out.push(ListCursor { list, pos: 0, weight });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solution::ProfileEntry;

    fn profile(entries: &[(KpiId, f32, Provenance)]) -> KpiProfile {
        KpiProfile::new(
            entries
                .iter()
                .map(|&(kpi, impact, provenance)| ProfileEntry {
                    kpi,
                    impact,
                    provenance,
                    confidence: 1.0,
                })
                .collect(),
        )
    }

    #[test]
    fn insert_and_remove_keep_lists_sorted() {
        let p1 = profile(&[(0, 0.5, Provenance::Declared)]);
        let p2 = profile(&[(0, 0.9, Provenance::Declared), (1, 0.3, Provenance::Inferred)]);
        let mut lists = KpiLists::build(2, [(0, &p1)]);
        lists.insert(1, &p2);
        assert_eq!(lists.declared[0], [(0.9, 1), (0.5, 0)]);
        assert_eq!(lists.count(1), (0, 1));
        lists.remove(1, &p2);
        assert_eq!(lists.declared[0], [(0.5, 0)]);
        assert_eq!(lists.count(1), (0, 0));
        let mut cursors = lists.cursors(&[(0, 2.0, 1.0), (1, 1.0, 1.0)]);
        assert_eq!(cursors.len(), 1);
        assert_eq!(cursors[0].bound(), 1.0);
        assert_eq!(cursors[0].next_ord(), Some(0));
        assert_eq!(cursors[0].bound(), 0.0);
    }
}
