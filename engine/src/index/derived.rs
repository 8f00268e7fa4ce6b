//! What a solution's text index document keeps of the data derived from it at write time —
//! its language and KPI profile — so a restart reads them instead of re-inferring every
//! profile (inference was nearly all of a restart's time).
//!
//! The encoding is a stored bytes field, small and versioned: `[1, lang, n: u16, n × (kpi: u16,
//! impact: f32, provenance: u8, confidence: f32)]`, little-endian. Anything that does not decode
//! exactly (another version, a truncated buffer, an out-of-range value) is `None`, and the
//! caller derives the data again.

use crate::kpi::KpiId;
use crate::lang::Lang;
use crate::solution::{KpiProfile, ProfileEntry, Provenance};

const VERSION: u8 = 1;
const ENTRY: usize = 2 + 4 + 1 + 4;

/// Encodes a solution's language and profile.
pub(crate) fn encode(lang: Lang, profile: &KpiProfile) -> Vec<u8> {
    let entries = profile.entries();
    let n = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(4 + ENTRY * usize::from(n));
    out.push(VERSION);
    out.push(lang.index() as u8);
    out.extend_from_slice(&n.to_le_bytes());
    for e in entries.iter().take(usize::from(n)) {
        out.extend_from_slice(&(e.kpi as u16).to_le_bytes());
        out.extend_from_slice(&e.impact.to_le_bytes());
        out.push(match e.provenance {
            Provenance::Declared => 0,
            Provenance::Inferred => 1,
        });
        out.extend_from_slice(&e.confidence.to_le_bytes());
    }
    out
}

/// Decodes [`encode`]'s bytes for a catalogue of `kpis` KPIs.
pub(crate) fn decode(bytes: &[u8], kpis: usize) -> Option<(Lang, KpiProfile)> {
    let (&[version, lang, n0, n1], rest) = bytes.split_first_chunk::<4>()?;
    if version != VERSION {
        return None;
    }
    let lang = *Lang::ALL.get(usize::from(lang))?;
    let n = usize::from(u16::from_le_bytes([n0, n1]));
    if rest.len() != n * ENTRY {
        return None;
    }
    let f32_at = |b: &[u8], i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut entries = Vec::with_capacity(n);
    for e in rest.chunks_exact(ENTRY) {
        let kpi = KpiId::from(u16::from_le_bytes([e[0], e[1]]));
        let impact = f32_at(e, 2);
        let provenance = match e[6] {
            0 => Provenance::Declared,
            1 => Provenance::Inferred,
            _ => return None,
        };
        let confidence = f32_at(e, 7);
        let unit = |x: f32| x > 0.0 && x <= 1.0;
        if kpi >= kpis || !unit(impact) || !unit(confidence) {
            return None;
        }
        entries.push(ProfileEntry {
            kpi,
            impact,
            provenance,
            confidence,
        });
    }
    let profile = KpiProfile::new(entries);
    // Entries were encoded sorted and unique; anything else was not written by `encode`.
    (profile.entries().len() == n).then_some((lang, profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> KpiProfile {
        KpiProfile::new(vec![
            ProfileEntry {
                kpi: 3,
                impact: 0.75,
                provenance: Provenance::Declared,
                confidence: 1.0,
            },
            ProfileEntry {
                kpi: 90,
                impact: 0.2,
                provenance: Provenance::Inferred,
                confidence: 0.37,
            },
        ])
    }

    #[test]
    fn a_profile_round_trips_exactly() {
        for lang in Lang::ALL {
            let bytes = encode(lang, &profile());
            assert_eq!(decode(&bytes, 91), Some((lang, profile())));
        }
        let empty = encode(Lang::En, &KpiProfile::default());
        assert_eq!(decode(&empty, 91), Some((Lang::En, KpiProfile::default())));
    }

    #[test]
    fn anything_else_is_refused() {
        let good = encode(Lang::Es, &profile());
        assert_eq!(decode(&good, 90), None, "a KPI outside the catalogue");
        for cut in 0..good.len() {
            assert_eq!(decode(&good[..cut], 91), None, "truncated at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(decode(&longer, 91), None);
        let mut version = good.clone();
        version[0] = 2;
        assert_eq!(decode(&version, 91), None);
        let mut lang = good.clone();
        lang[1] = 10;
        assert_eq!(decode(&lang, 91), None);
        let mut provenance = good.clone();
        provenance[4 + 6] = 2;
        assert_eq!(decode(&provenance, 91), None);
        let mut impact = good;
        impact[4 + 2..4 + 6].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(decode(&impact, 91), None);
    }
}
