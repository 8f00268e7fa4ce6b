use crate::kpi::KpiId;
use crate::solution::{KpiProfile, Provenance};

/// A posting: (impact, ordinal).
type Posting = (f32, u32);

/// Per KPI and provenance, the solutions that address it (an inverted index over the sparse KPI
/// profiles), in ordinal order, so updates find their entries by binary search and a request's
/// accumulation writes its score array front to back.
///
/// A request's KPI scores are accumulated over the lists of the KPIs it weighs only: with
/// profiles of a few KPIs each, that reads a small share of all postings.
#[derive(Debug, Clone)]
pub struct KpiLists {
    declared: Vec<Vec<Posting>>,
    inferred: Vec<Vec<Posting>>,
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
            l.sort_by_key(|p| p.1);
        }
        lists
    }

    fn list_mut(&mut self, kpi: KpiId, p: Provenance) -> &mut Vec<Posting> {
        match p {
            Provenance::Declared => &mut self.declared[kpi],
            Provenance::Inferred => &mut self.inferred[kpi],
        }
    }

    /// Adds a solution's profile (replacing an entry the ordinal already has in a list).
    pub fn insert(&mut self, ord: u32, profile: &KpiProfile) {
        for e in profile.entries() {
            let list = self.list_mut(e.kpi, e.provenance);
            match list.binary_search_by_key(&ord, |p| p.1) {
                Ok(at) => list[at].0 = e.impact,
                Err(at) => list.insert(at, (e.impact, ord)),
            }
        }
    }

    /// Removes a solution's profile (the one it was inserted with).
    pub fn remove(&mut self, ord: u32, profile: &KpiProfile) {
        for e in profile.entries() {
            let list = self.list_mut(e.kpi, e.provenance);
            if let Ok(at) = list.binary_search_by_key(&ord, |p| p.1) {
                list.remove(at);
            }
        }
    }

    /// Number of solutions addressing a KPI: (declared, inferred).
    pub fn count(&self, kpi: KpiId) -> (usize, usize) {
        (self.declared[kpi].len(), self.inferred[kpi].len())
    }

    /// Accumulates `Σ weight · impact` per solution over the lists a query weighs, into a dense
    /// score array indexed by ordinal (`scores`, zeroed by the caller, at least `ord_bound`
    /// long). `weights` holds (KPI, weight of its declared list, weight of its inferred list).
    /// Only the postings of weighted lists are read, so the cost follows the sparsity of the
    /// profiles; each list is in ordinal order, so its writes go front to back through `scores`
    /// (an impact-ordered list scattered them across it).
    pub(crate) fn accumulate(&self, weights: &[(KpiId, f32, f32)], scores: &mut [f32]) {
        for &(kpi, wd, wi) in weights {
            for (list, weight) in [(&self.declared[kpi], wd), (&self.inferred[kpi], wi)] {
                if weight <= 0.0 {
                    continue;
                }
                for &(impact, ord) in list {
                    scores[ord as usize] += weight * impact;
                }
            }
        }
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
        assert_eq!(lists.declared[0], [(0.5, 0), (0.9, 1)]);
        assert_eq!(lists.count(1), (0, 1));
        lists.remove(1, &p2);
        assert_eq!(lists.declared[0], [(0.5, 0)]);
        assert_eq!(lists.count(1), (0, 0));
        let mut scores = vec![0f32; 2];
        lists.accumulate(&[(0, 2.0, 1.0), (1, 1.0, 1.0)], &mut scores);
        assert_eq!(scores, [1.0, 0.0]);
    }
}
