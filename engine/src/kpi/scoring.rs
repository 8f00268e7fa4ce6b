//! The U4SSC scoring method.
//!
//! * **Achievement** is the share of the target reached, in [0, 1]. For a higher-is-better KPI
//!   it is `value / target`; for a lower-is-better KPI it is the inverse ratio `target / value`
//!   (a city at twice the allowed pollution has reached half of its target). Values at or
//!   beyond the target score 1; a lower-is-better value of 0 or less scores 1; a
//!   higher-is-better value of 0 or less scores 0.
//! * **Bands**: 0–33 % → 1 point, 33–66 % → 2, 66–95 % → 3, ≥ 95 % → 4. An exact boundary
//!   belongs to the upper band (33 % exactly scores 2 points), as "≥ 95 %" does for the top band.
//! * **Roll-ups** (category, sub-dimension, dimension): the sum of points over the KPIs scored,
//!   as a share of the maximum (4 points each), put in the same bands. KPIs without data or
//!   target are left out of both numerator and denominator.

use serde::Serialize;

use super::catalogue::Direction;

/// Share of the target reached, in [0, 1]; see the module documentation.
pub fn achievement(value: f64, target: f64, direction: Direction) -> f64 {
    let ratio = match direction {
        Direction::HigherBetter => {
            if value <= 0.0 {
                0.0
            } else {
                value / target
            }
        }
        Direction::LowerBetter => {
            if value <= 0.0 {
                1.0
            } else {
                target / value
            }
        }
    };
    if ratio.is_nan() {
        0.0
    } else {
        ratio.clamp(0.0, 1.0)
    }
}

/// One of the four U4SSC bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Band {
    /// 0–33 % of target: 1 point.
    #[serde(rename = "0-33")]
    Low,
    /// 33–66 % of target: 2 points.
    #[serde(rename = "33-66")]
    MediumLow,
    /// 66–95 % of target: 3 points.
    #[serde(rename = "66-95")]
    MediumHigh,
    /// ≥ 95 % of target: 4 points.
    #[serde(rename = "95-100")]
    High,
}

impl Band {
    /// Lower bounds of bands 2, 3 and 4, as shares.
    pub const BOUNDARIES: [f64; 3] = [0.33, 0.66, 0.95];

    /// The band of a share in [0, 1]; a boundary belongs to the upper band.
    pub fn of(share: f64) -> Band {
        if share >= Self::BOUNDARIES[2] {
            Band::High
        } else if share >= Self::BOUNDARIES[1] {
            Band::MediumHigh
        } else if share >= Self::BOUNDARIES[0] {
            Band::MediumLow
        } else {
            Band::Low
        }
    }

    /// U4SSC points: 1 to 4.
    pub fn points(self) -> u32 {
        match self {
            Band::Low => 1,
            Band::MediumLow => 2,
            Band::MediumHigh => 3,
            Band::High => 4,
        }
    }

    /// The band's label as the U4SSC dials show it.
    pub fn label(self) -> &'static str {
        match self {
            Band::Low => "0-33",
            Band::MediumLow => "33-66",
            Band::MediumHigh => "66-95",
            Band::High => "95-100",
        }
    }
}

/// A roll-up of KPI points over a category, sub-dimension or dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RollUp {
    /// Sum of points of the KPIs scored.
    pub points: u32,
    /// Maximum possible: 4 × KPIs scored.
    pub max_points: u32,
    /// KPIs scored (with data and a target).
    pub scored: u32,
    /// `points / max_points`, 0 when nothing was scored.
    pub share: f64,
    /// Band of the share; `None` when nothing was scored.
    pub band: Option<Band>,
}

impl RollUp {
    /// Rolls up the points of the KPIs scored.
    pub fn from_points(points: impl IntoIterator<Item = u32>) -> RollUp {
        let (mut sum, mut n) = (0u32, 0u32);
        for p in points {
            sum += p;
            n += 1;
        }
        let max_points = 4 * n;
        let share = if n == 0 {
            0.0
        } else {
            f64::from(sum) / f64::from(max_points)
        };
        RollUp {
            points: sum,
            max_points,
            scored: n,
            share,
            band: (n > 0).then(|| Band::of(share)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bands_and_their_boundaries() {
        assert_eq!(Band::of(0.0), Band::Low);
        assert_eq!(Band::of(0.3299), Band::Low);
        assert_eq!(Band::of(0.33), Band::MediumLow);
        assert_eq!(Band::of(0.6599), Band::MediumLow);
        assert_eq!(Band::of(0.66), Band::MediumHigh);
        assert_eq!(Band::of(0.9499), Band::MediumHigh);
        assert_eq!(Band::of(0.95), Band::High);
        assert_eq!(Band::of(1.0), Band::High);
        let points: Vec<u32> = [0.1, 0.5, 0.8, 0.99].map(|s| Band::of(s).points()).to_vec();
        assert_eq!(points, [1, 2, 3, 4]);
    }

    #[test]
    fn higher_is_better_achievement_is_value_over_target() {
        assert_eq!(achievement(50.0, 100.0, Direction::HigherBetter), 0.5);
        assert_eq!(achievement(120.0, 100.0, Direction::HigherBetter), 1.0);
        assert_eq!(achievement(0.0, 100.0, Direction::HigherBetter), 0.0);
        assert_eq!(achievement(-3.0, 100.0, Direction::HigherBetter), 0.0);
    }

    #[test]
    fn lower_is_better_achievement_is_target_over_value() {
        // 40 % water lost against a 10 % target: a quarter of the way.
        assert_eq!(achievement(40.0, 10.0, Direction::LowerBetter), 0.25);
        assert_eq!(Band::of(achievement(40.0, 10.0, Direction::LowerBetter)).points(), 1);
        assert_eq!(achievement(10.0, 10.0, Direction::LowerBetter), 1.0);
        assert_eq!(achievement(5.0, 10.0, Direction::LowerBetter), 1.0);
        assert_eq!(achievement(0.0, 10.0, Direction::LowerBetter), 1.0);
        assert_eq!(achievement(20.0, 10.0, Direction::LowerBetter), 0.5);
    }

    #[test]
    fn u4ssc_worked_example_education() {
        // Points 1, 3, 4, 1 → 9/16 = 56.25 % → the 33–66 % band.
        let r = RollUp::from_points([1, 3, 4, 1]);
        assert_eq!((r.points, r.max_points), (9, 16));
        assert!((r.share - 0.5625).abs() < 1e-12);
        assert_eq!(r.band, Some(Band::MediumLow));
        // Only three reported, scoring 3, 4, 2 → 9/12 = 75 % → the 66–95 % band.
        let r = RollUp::from_points([3, 4, 2]);
        assert!((r.share - 0.75).abs() < 1e-12);
        assert_eq!(r.band, Some(Band::MediumHigh));
    }

    #[test]
    fn empty_roll_up_has_no_band() {
        let r = RollUp::from_points([]);
        assert_eq!(r.band, None);
        assert_eq!(r.share, 0.0);
    }

    proptest! {
        #[test]
        fn achievement_is_a_share_and_monotone(v in -1e6f64..1e6, dv in 0f64..1e5, t in 1e-3f64..1e6) {
            for dir in [Direction::HigherBetter, Direction::LowerBetter] {
                let a = achievement(v, t, dir);
                prop_assert!((0.0..=1.0).contains(&a));
                let b = achievement(v + dv, t, dir);
                match dir {
                    Direction::HigherBetter => prop_assert!(b >= a),
                    Direction::LowerBetter => prop_assert!(b <= a),
                }
            }
        }
    }
}
