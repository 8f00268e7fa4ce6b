use serde::Serialize;

use crate::kpi::KpiId;

/// Where an entry of a KPI profile comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// The provider tagged the solution with this KPI.
    Declared,
    /// kpimatch inferred it from the solution's text.
    Inferred,
}

/// One KPI a solution is expected to move.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfileEntry {
    /// The KPI (catalogue position).
    pub kpi: KpiId,
    /// Expected impact in (0, 1].
    pub impact: f32,
    /// Declared by the provider or inferred.
    pub provenance: Provenance,
    /// Confidence in (0, 1]: 1 for declared impacts, the inference's confidence otherwise.
    pub confidence: f32,
}

/// The KPIs a solution addresses: a sparse vector over the catalogue, sorted by KPI.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiProfile {
    entries: Vec<ProfileEntry>,
}

impl KpiProfile {
    /// Builds a profile; entries are sorted by KPI and a KPI listed twice keeps its first entry.
    pub fn new(mut entries: Vec<ProfileEntry>) -> KpiProfile {
        entries.sort_by_key(|e| e.kpi);
        entries.dedup_by_key(|e| e.kpi);
        KpiProfile { entries }
    }

    /// The entries, sorted by KPI.
    pub fn entries(&self) -> &[ProfileEntry] {
        &self.entries
    }

    /// The entry for a KPI.
    pub fn get(&self, kpi: KpiId) -> Option<&ProfileEntry> {
        self.entries
            .binary_search_by_key(&kpi, |e| e.kpi)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// True when the profile addresses no KPI.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Cosine similarity of the impact vectors of two profiles.
    pub fn cosine(&self, other: &KpiProfile) -> f32 {
        let (mut dot, mut i, mut j) = (0f32, 0, 0);
        while i < self.entries.len() && j < other.entries.len() {
            let (a, b) = (&self.entries[i], &other.entries[j]);
            match a.kpi.cmp(&b.kpi) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += a.impact * b.impact;
                    i += 1;
                    j += 1;
                }
            }
        }
        let norm = |p: &KpiProfile| p.entries.iter().map(|e| e.impact * e.impact).sum::<f32>().sqrt();
        let d = norm(self) * norm(other);
        if d > 0.0 {
            (dot / d).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}
