//! The gap analysis on bundled cities: order, the U4SSC achievement of both directions, bands
//! and points, roll-ups, missing data, city targets and trends.

use std::collections::{BTreeMap, BTreeSet};

use kpimatch_engine::city::{City, GapAnalysis, KpiGap, Observation, TargetSource, TrendDirection};
use kpimatch_engine::kpi::{achievement, Band, Catalogue, Direction, Kpi, RollUp};
use kpimatch_engine::{Error, ErrorKind};

use crate::support::{bundle, engine};

/// The city the worked examples below use (`index-data/cities.jsonl`, line 1).
const CITY: &str = "qasr-alwan";

fn catalogue() -> &'static Catalogue {
    &bundle().catalogue
}

fn kpi(code: &str) -> &'static Kpi {
    catalogue().lookup(code).expect("a catalogue code")
}

fn entry<'a>(g: &'a GapAnalysis, code: &str) -> &'a KpiGap {
    g.kpis
        .iter()
        .find(|k| k.code.as_str() == code)
        .unwrap_or_else(|| panic!("{code} is not in the analysis"))
}

fn city(id: &str) -> City {
    bundle().city(id).expect("a bundled city").clone()
}

fn observation(code: &str, value: f64, year: i32, target: Option<f64>) -> Observation {
    Observation {
        kpi: kpi(code).code.clone(),
        value,
        year,
        target,
    }
}

/// Checks a roll-up against the points of the KPIs it covers.
fn assert_roll_up(what: &str, r: &RollUp, points: &[u32]) {
    let sum: u32 = points.iter().sum();
    let n = points.len() as u32;
    assert_eq!((r.points, r.max_points, r.scored), (sum, 4 * n, n), "{what}");
    assert!(
        (r.share - f64::from(sum) / f64::from(4 * n)).abs() < 1e-12,
        "{what}: share {}",
        r.share
    );
    assert_eq!(r.band, Some(Band::of(r.share)), "{what}: band");
}

#[test]
fn every_bundled_city_is_analysed_weakest_first() {
    for c in &bundle().cities {
        let g = engine().gaps(&c.id).expect("a stored city");
        assert!(!g.kpis.is_empty(), "{} reports KPIs", c.id);
        for w in g.kpis.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let in_order = a.gap > b.gap || (a.gap == b.gap && (a.core, &b.code) >= (b.core, &a.code));
            assert!(
                in_order,
                "{}: {} (gap {}) before {} (gap {})",
                c.id, a.code, a.gap, b.code, b.gap
            );
        }
        for k in &g.kpis {
            assert!(
                (0.0..=1.0).contains(&k.achievement),
                "{} {}: achievement {}",
                c.id,
                k.code,
                k.achievement
            );
            assert!(
                (k.gap - (1.0 - k.achievement)).abs() < 1e-12,
                "{} {}: gap",
                c.id,
                k.code
            );
            assert_eq!(k.band, Band::of(k.achievement), "{} {}: band", c.id, k.code);
            assert_eq!(k.points, k.band.points(), "{} {}: points", c.id, k.code);
        }
    }
}

#[test]
fn the_weakest_kpi_comes_first_in_the_worked_example() {
    let g = engine().gaps(CITY).expect("stored");
    let max_gap = g.kpis.iter().map(|k| k.gap).fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(g.kpis[0].gap, max_gap);
    assert!(g.kpis.last().expect("some").gap <= g.kpis[0].gap);
}

#[test]
fn achievement_follows_the_u4ssc_method_in_both_directions() {
    for c in &bundle().cities {
        let g = engine().gaps(&c.id).expect("stored");
        for k in &g.kpis {
            let def = kpi(k.code.as_str());
            let latest = c
                .observations
                .iter()
                .filter(|o| o.kpi == k.code)
                .max_by_key(|o| o.year)
                .expect("observed");
            assert_eq!(
                (k.value, k.year),
                (latest.value, latest.year),
                "{} {}: the latest year counts",
                c.id,
                k.code
            );
            let expected = match def.direction {
                Direction::LowerBetter if k.value <= 0.0 => 1.0,
                Direction::LowerBetter => (k.target / k.value).min(1.0),
                Direction::HigherBetter if k.value <= 0.0 => 0.0,
                Direction::HigherBetter => (k.value / k.target).min(1.0),
            };
            assert!(
                (k.achievement - expected).abs() < 1e-12,
                "{} {}: achievement {} ≠ {expected}",
                c.id,
                k.code,
                k.achievement
            );
        }
    }
}

#[test]
fn lower_better_achievement_is_target_over_value() {
    // Water Supply Loss, lower is better, default target 10 %: 47.5 (2019), 45.0, 42.0 (2023).
    let g = engine().gaps(CITY).expect("stored");
    let loss = entry(&g, "EC:I:WS:3C");
    assert_eq!(kpi("EC:I:WS:3C").direction, Direction::LowerBetter);
    assert_eq!((loss.value, loss.year, loss.target), (42.0, 2023, 10.0));
    assert_eq!(loss.target_source, TargetSource::Default);
    assert!((loss.achievement - 10.0 / 42.0).abs() < 1e-12, "{}", loss.achievement);
    assert!((loss.gap - (1.0 - 10.0 / 42.0)).abs() < 1e-12);
    assert_eq!((loss.band, loss.points), (Band::Low, 1));

    // Household Internet Access, higher is better, target 100 %: 90.0 in 2023.
    let internet = entry(&g, "EC:ICT:ICT:1C");
    assert_eq!(kpi("EC:ICT:ICT:1C").direction, Direction::HigherBetter);
    assert!((internet.achievement - 0.9).abs() < 1e-12);
    assert_eq!((internet.band, internet.points), (Band::MediumHigh, 3));
    assert!(loss.gap > internet.gap);
    let rank = |code: &str| g.kpis.iter().position(|k| k.code.as_str() == code).expect("present");
    assert!(rank("EC:I:WS:3C") < rank("EC:ICT:ICT:1C"), "the larger gap ranks first");
}

#[test]
fn roll_ups_sum_the_points_of_their_kpis() {
    for c in &bundle().cities {
        let g = engine().gaps(&c.id).expect("stored");
        let mut by_category: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        let mut by_subdimension: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        let mut by_dimension: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for k in &g.kpis {
            let def = kpi(k.code.as_str());
            assert_eq!(k.category, def.category);
            by_category.entry(&def.category).or_default().push(k.points);
            by_subdimension.entry(&def.subdimension).or_default().push(k.points);
            by_dimension.entry(&def.dimension).or_default().push(k.points);
        }
        for (name, groups, rolled) in [
            ("category", &by_category, &g.categories),
            ("sub-dimension", &by_subdimension, &g.subdimensions),
            ("dimension", &by_dimension, &g.dimensions),
        ] {
            let expected: Vec<&str> = groups.keys().copied().collect();
            let got: Vec<&str> = rolled.keys().map(String::as_str).collect();
            assert_eq!(
                got, expected,
                "{}: {name} roll-ups cover exactly the groups with data",
                c.id
            );
            for (group, points) in groups {
                assert_roll_up(&format!("{} {name} {group}", c.id), &rolled[*group], points);
            }
        }
        let all: Vec<u32> = g.kpis.iter().map(|k| k.points).collect();
        assert_roll_up(&format!("{} overall", c.id), &g.overall, &all);
    }
}

#[test]
fn missing_kpis_are_listed_and_not_counted() {
    let g = engine().gaps(CITY).expect("stored");
    let observed: BTreeSet<&str> = g.kpis.iter().map(|k| k.code.as_str()).collect();
    let expected: Vec<&str> = catalogue()
        .kpis()
        .iter()
        .map(|k| k.code.as_str())
        .filter(|c| !observed.contains(c))
        .collect();
    let missing: Vec<&str> = g.missing.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        missing, expected,
        "missing = the catalogue minus what is observed, in catalogue order"
    );
    assert!(!missing.is_empty(), "{CITY} leaves some KPIs unreported");
    assert_eq!(g.kpis.len() + g.missing.len(), catalogue().len());
    assert_eq!(g.overall.scored as usize, g.kpis.len(), "missing KPIs are not scored");
    assert_eq!(
        g.overall.max_points as usize,
        4 * g.kpis.len(),
        "missing KPIs add no max points"
    );

    // Dropping every observation of a category removes it from the roll-ups: missing data is
    // not a failing score.
    let mut c = city(CITY);
    let dropped = entry(&g, "EC:I:WS:3C").category.clone();
    let in_dropped = |o: &Observation| kpi(o.kpi.as_str()).category == dropped;
    let n_dropped: BTreeSet<String> = c
        .observations
        .iter()
        .filter(|o| in_dropped(o))
        .map(|o| o.kpi.to_string())
        .collect();
    c.observations.retain(|o| !in_dropped(o));
    let h = GapAnalysis::compute(&c, catalogue());
    assert!(!h.categories.contains_key(&dropped), "{dropped} has no data left");
    assert_eq!(h.missing.len(), g.missing.len() + n_dropped.len());
    assert_eq!(h.overall.scored as usize, g.kpis.len() - n_dropped.len());
    assert_eq!(h.overall.max_points, g.overall.max_points - 4 * n_dropped.len() as u32);
    assert_eq!(h.overall.points, g.overall.points - g.categories[&dropped].points);
}

#[test]
fn a_bundled_city_target_overrides_the_default() {
    // weverstad sets its own target of 1.0 on GHG Emissions (EN:EN:AQ:2C) for 2023.
    let c = city("weverstad");
    let o = c
        .observations
        .iter()
        .find(|o| o.kpi.as_str() == "EN:EN:AQ:2C" && o.target.is_some())
        .expect("weverstad's GHG target");
    let own = o.target.expect("target");
    assert_ne!(
        own,
        kpi("EN:EN:AQ:2C").target,
        "the city's target differs from the default"
    );
    let g = engine().gaps("weverstad").expect("stored");
    let e = entry(&g, "EN:EN:AQ:2C");
    assert_eq!(e.target, own);
    assert_eq!(e.target_source, TargetSource::City);
    assert!((e.achievement - achievement(e.value, own, Direction::LowerBetter)).abs() < 1e-12);

    // Every KPI without an own target uses the default.
    for k in g.kpis.iter().filter(|k| k.target_source == TargetSource::Default) {
        assert_eq!(k.target, kpi(k.code.as_str()).target, "{}", k.code);
    }
}

#[test]
fn a_city_target_set_on_any_year_applies_and_the_latest_wins() {
    // Water Supply Loss at 42 % in 2023 against the default 10 %: achievement 0.238.
    let mut c = city(CITY);
    let loss = |c: &City| {
        GapAnalysis::compute(c, catalogue())
            .kpis
            .into_iter()
            .find(|k| k.code.as_str() == "EC:I:WS:3C")
    };
    assert_eq!(loss(&c).expect("observed").target_source, TargetSource::Default);

    // A target of 40 % set on the 2019 observation applies to the 2023 value: 40/42.
    for o in c
        .observations
        .iter_mut()
        .filter(|o| o.kpi.as_str() == "EC:I:WS:3C" && o.year == 2019)
    {
        o.target = Some(40.0);
    }
    let e = loss(&c).expect("observed");
    assert_eq!((e.target, e.target_source), (40.0, TargetSource::City));
    assert!((e.achievement - 40.0 / 42.0).abs() < 1e-12);
    assert_eq!(e.points, 4, "40/42 = 95.2 % is in the top band");

    // A later target (2021: 21 %) wins over the earlier one: 21/42 = 0.5.
    for o in c
        .observations
        .iter_mut()
        .filter(|o| o.kpi.as_str() == "EC:I:WS:3C" && o.year == 2021)
    {
        o.target = Some(21.0);
    }
    let e = loss(&c).expect("observed");
    assert_eq!(e.target, 21.0);
    assert!((e.achievement - 0.5).abs() < 1e-12);
    assert_eq!((e.band, e.points), (Band::MediumLow, 2));
}

#[test]
fn a_three_year_series_gives_a_trend_from_the_earliest_to_the_latest_year() {
    let c = city(CITY);
    let years: Vec<i32> = {
        let mut y: Vec<i32> = c
            .observations
            .iter()
            .filter(|o| o.kpi.as_str() == "EC:I:WS:3C")
            .map(|o| o.year)
            .collect();
        y.sort();
        y
    };
    assert_eq!(years, [2019, 2021, 2023], "three years of Water Supply Loss");

    // 47.5 % → 42 % lost against 10 %: achievement 10/47.5 → 10/42, improving.
    let g = engine().gaps(CITY).expect("stored");
    let t = entry(&g, "EC:I:WS:3C").trend.expect("a trend over three years");
    assert_eq!(t.direction, TrendDirection::Improving);
    assert_eq!((t.from_year, t.from_value), (2019, 47.5));
    assert!(
        (t.achievement_change - (10.0 / 42.0 - 10.0 / 47.5)).abs() < 1e-12,
        "{}",
        t.achievement_change
    );

    // The order observations are listed in does not matter.
    let mut shuffled = c.clone();
    shuffled.observations.reverse();
    assert_eq!(GapAnalysis::compute(&shuffled, catalogue()), *g);

    // A single year has no trend.
    let single = g
        .kpis
        .iter()
        .find(|k| c.observations.iter().filter(|o| o.kpi == k.code).count() == 1);
    assert!(single.expect("some KPI has one year").trend.is_none());
}

#[test]
fn trends_are_judged_on_achievement_so_direction_is_accounted_for() {
    let mut c = city(CITY);
    c.observations = vec![
        // Lower is better and the value rises: worsening.
        observation("EC:I:WS:3C", 20.0, 2019, None),
        observation("EC:I:WS:3C", 25.0, 2021, None),
        observation("EC:I:WS:3C", 40.0, 2023, None),
        // Higher is better and the value rises: improving.
        observation("EC:ICT:ICT:1C", 60.0, 2019, None),
        observation("EC:ICT:ICT:1C", 50.0, 2021, None),
        observation("EC:ICT:ICT:1C", 80.0, 2023, None),
        // Within half a percentage point of achievement: stable.
        observation("EC:I:WS:1C", 90.0, 2019, None),
        observation("EC:I:WS:1C", 70.0, 2021, None),
        observation("EC:I:WS:1C", 90.3, 2023, None),
    ];
    let g = GapAnalysis::compute(&c, catalogue());
    let trend = |code: &str| entry(&g, code).trend.expect("three years");
    assert_eq!(trend("EC:I:WS:3C").direction, TrendDirection::Worsening);
    assert!((trend("EC:I:WS:3C").achievement_change - (10.0 / 40.0 - 10.0 / 20.0)).abs() < 1e-12);
    assert_eq!(trend("EC:ICT:ICT:1C").direction, TrendDirection::Improving);
    assert_eq!(
        trend("EC:ICT:ICT:1C").from_value,
        60.0,
        "the earliest year, not the lowest value"
    );
    assert_eq!(
        trend("EC:I:WS:1C").direction,
        TrendDirection::Stable,
        "the dip in 2021 is ignored"
    );
}

#[test]
fn stored_gaps_match_a_fresh_analysis_and_follow_city_updates() {
    for c in &bundle().cities {
        let stored = engine().gaps(&c.id).expect("stored");
        assert_eq!(*stored, GapAnalysis::compute(c, catalogue()), "{}", c.id);
    }

    // Replacing a city replaces its analysis.
    let mut engine = kpimatch_engine::Engine::from_bundle(bundle()).expect("engine");
    let mut c = city(CITY);
    for o in c.observations.iter_mut().filter(|o| o.kpi.as_str() == "EC:I:WS:3C") {
        o.value = 5.0;
    }
    engine.upsert_city(c.clone()).expect("valid city");
    let g = engine.gaps(CITY).expect("stored");
    assert_eq!(entry(&g, "EC:I:WS:3C").gap, 0.0, "5 % lost meets the 10 % target");
    assert_eq!(*g, GapAnalysis::compute(&c, catalogue()));
    assert!(engine.delete_city(CITY));
    assert_eq!(engine.gaps(CITY).expect_err("deleted").kind(), ErrorKind::NotFound);
}

#[test]
fn the_gaps_of_an_unknown_city_are_not_found() {
    let err = engine().gaps("no-such-city").expect_err("unknown city");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        matches!(&err, Error::NotFound { entity: "city", id } if id == "no-such-city"),
        "{err}"
    );
}
