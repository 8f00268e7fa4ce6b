use std::fmt;

use crate::{Error, Result};

/// A canonical U4SSC KPI code: the official code with the spaces removed, upper case
/// (`EC: I: WS: 3C` → `EC:I:WS:3C`).
///
/// Parsing checks the shape only (dimension, sub-dimension, category, number and `C`/`A`);
/// whether the code exists is the [`Catalogue`](crate::kpi::Catalogue)'s business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct KpiCode(String);

impl KpiCode {
    /// Normalises and checks a code written in any spacing and letter case.
    ///
    /// ```
    /// use kpimatch_engine::kpi::KpiCode;
    /// assert_eq!(KpiCode::parse("ec: i: ws: 3c").unwrap().as_str(), "EC:I:WS:3C");
    /// assert!(KpiCode::parse("water").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<KpiCode> {
        let normalised: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if is_well_formed(&normalised) {
            Ok(KpiCode(normalised))
        } else {
            Err(Error::MalformedKpiCode(truncate(raw, 64)))
        }
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn truncate(raw: &str, max_chars: usize) -> String {
    if raw.chars().count() <= max_chars {
        raw.to_string()
    } else {
        let mut cut: String = raw.chars().take(max_chars).collect();
        cut.push('…');
        cut
    }
}

/// `DIM:SUB:CAT:<digits><C|A>` with alphabetic parts of 1 to 4 letters.
fn is_well_formed(code: &str) -> bool {
    let parts: Vec<&str> = code.split(':').collect();
    if parts.len() != 4 {
        return false;
    }
    let alpha = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_uppercase());
    if !(alpha(parts[0]) && alpha(parts[1]) && alpha(parts[2])) {
        return false;
    }
    let last = parts[3].as_bytes();
    last.len() >= 2
        && last.len() <= 4
        && matches!(last[last.len() - 1], b'C' | b'A')
        && last[..last.len() - 1].iter().all(|b| b.is_ascii_digit())
}

impl fmt::Display for KpiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for KpiCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        KpiCode::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for KpiCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        KpiCode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_and_lower_case_forms_normalise() {
        for raw in ["EC: I: WS: 3C", "ec:i:ws:3c", " Ec : I :Ws: 3c ", "EC:I:WS:3C"] {
            assert_eq!(KpiCode::parse(raw).unwrap().as_str(), "EC:I:WS:3C", "{raw}");
        }
        assert_eq!(KpiCode::parse("sc: sh: sa: 9c").unwrap().as_str(), "SC:SH:SA:9C");
    }

    #[test]
    fn malformed_codes_are_rejected_with_the_input_named() {
        for raw in [
            "",
            "EC:I:WS",
            "EC:I:WS:3X",
            "EC:I:WS:C",
            "EC:I:WS:3C:1",
            "E1:I:WS:3C",
            "water",
        ] {
            let err = KpiCode::parse(raw).unwrap_err();
            assert!(err.to_string().contains(&format!("'{raw}'")), "{err}");
        }
    }

    #[test]
    fn very_long_input_is_truncated_in_the_message() {
        let raw = "X".repeat(10_000);
        let msg = KpiCode::parse(&raw).unwrap_err().to_string();
        assert!(msg.len() < 200, "{msg}");
    }
}
