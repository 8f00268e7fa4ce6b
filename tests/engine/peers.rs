//! Peer cities, benchmark standing and adoption evidence, on hand-made cities (whose
//! achievements are set exactly) and on the bundled data:
//!
//! * similarity: identical cities score 1, disjoint KPIs are not comparable, opposite profiles
//!   score low, missing population or region is left out, the 8-KPI boundary;
//! * peers: ordering (ties by id), `limit` bounds, the "clearly ahead" margin;
//! * benchmark: rank, percentile, median, best value, own series and trend, categories;
//! * deployments: validation naming the field, solutions checked on write only;
//! * evidence: deployed > piloted > none > discontinued, improvement after adoption, dissimilar
//!   cities ignored, explanations in words and numbers whose parts still sum to the score;
//! * neutrality: without deployments (or with `evidence_weight` 0) scores are bit-identical.

use kpimatch_engine::bundle::Bundle;
use kpimatch_engine::city::{City, Deployment, DeploymentStatus, Observation};
use kpimatch_engine::kpi::{Direction, KpiId};
use kpimatch_engine::peers::{AHEAD_MARGIN, EVIDENCE_MIN_SIMILARITY, MAX_PEERS, MIN_COMPARABLE_KPIS};
use kpimatch_engine::ranking::{CityInput, RankingProfile};
use kpimatch_engine::solution::Solution;
use kpimatch_engine::{Engine, Error, MatchRequest, MatchResponse};
use serde_json::json;

use crate::support::bundle;

/// The first `n` KPIs of the catalogue.
fn kpis(n: usize) -> Vec<KpiId> {
    (0..n).collect()
}

/// A value of KPI `k` whose achievement against the default target is `a` (0 ≤ a ≤ 1).
fn value_for(k: KpiId, a: f64) -> f64 {
    let def = bundle().catalogue.get(k);
    match def.direction {
        Direction::HigherBetter => a * def.target,
        Direction::LowerBetter => def.target / a.max(1e-3),
    }
}

/// A city reporting `(kpi, achievement)` in 2023.
fn city(id: &str, region: &str, population: Option<u64>, achievements: &[(KpiId, f64)]) -> City {
    City {
        id: id.into(),
        name: id.to_uppercase(),
        country: String::new(),
        region: region.into(),
        population,
        needs: Vec::new(),
        observations: achievements
            .iter()
            .map(|&(k, a)| Observation {
                kpi: bundle().catalogue.get(k).code.clone(),
                value: value_for(k, a),
                year: 2023,
                target: None,
            })
            .collect(),
        deployments: Vec::new(),
    }
}

fn uniform(ks: &[KpiId], a: f64) -> Vec<(KpiId, f64)> {
    ks.iter().map(|&k| (k, a)).collect()
}

/// An engine with the bundle's catalogue, vocabulary and profiles, and the given cities.
fn engine_with(cities: &[City]) -> Engine {
    let mut e = Engine::empty_for(bundle()).expect("an empty engine");
    for c in cities {
        e.upsert_city(c.clone()).expect("a valid hand-made city");
    }
    e
}

fn field_of(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(Error::InvalidField { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Similarity
// ---------------------------------------------------------------------------------------------

#[test]
fn identical_cities_have_similarity_one() {
    let ks = kpis(12);
    let profile: Vec<(KpiId, f64)> = ks.iter().map(|&k| (k, 0.1 + 0.07 * k as f64)).collect();
    let e = engine_with(&[
        city("a", "Europe", Some(300_000), &profile),
        city("b", "europe ", Some(400_000), &profile),
    ]);

    let peers = e.peers("a", 5).expect("a stored city");

    assert!(peers.comparable);
    assert_eq!(peers.peers.len(), 1);
    let s = peers.peers[0].similarity;
    assert!((s.score - 1.0).abs() < 1e-12, "{s:?}");
    assert_eq!((s.kpis, s.population, s.region), (1.0, Some(1.0), Some(1.0)));
    assert_eq!(s.comparable_kpis, 12);
    assert!(peers.peers[0].ahead.is_empty());
}

#[test]
fn disjoint_kpis_are_not_comparable_and_say_so() {
    let e = engine_with(&[
        city("a", "Europe", Some(300_000), &uniform(&kpis(10), 0.5)),
        city(
            "b",
            "Europe",
            Some(300_000),
            &uniform(&(10..20).collect::<Vec<_>>(), 0.5),
        ),
    ]);

    let peers = e.peers("a", 5).expect("a stored city");
    let bench = e.benchmark("a", 10).expect("a stored city");

    assert!(!peers.comparable);
    assert!(peers.peers.is_empty());
    assert_eq!((peers.cities_compared, peers.not_comparable), (1, 1));
    let reason = peers.reason.expect("a reason");
    assert!(reason.starts_with("too few comparable KPIs"), "{reason}");
    assert!(reason.contains("at most 0 in common"), "{reason}");
    assert!(!bench.comparable);
    assert!(bench.kpis.is_empty() && bench.categories.is_empty() && bench.peers.is_empty());
    assert_eq!(bench.reason.as_deref(), Some(reason.as_str()));
}

#[test]
fn a_city_reporting_too_few_kpis_is_told_how_many_it_reports() {
    let e = engine_with(&[
        city("a", "Europe", None, &uniform(&kpis(5), 0.5)),
        city("b", "Europe", None, &uniform(&kpis(20), 0.5)),
    ]);

    let reason = e.peers("a", 5).unwrap().reason.expect("not comparable");

    assert!(reason.contains("reports 5 KPI(s)"), "{reason}");
    assert!(reason.contains(&MIN_COMPARABLE_KPIS.to_string()), "{reason}");
}

#[test]
fn comparability_starts_at_the_documented_number_of_shared_kpis() {
    let n = MIN_COMPARABLE_KPIS;
    let e = engine_with(&[
        city("a", "Asia", None, &uniform(&kpis(n), 0.6)),
        city("just-enough", "Asia", None, &uniform(&kpis(n), 0.6)),
        city("one-short", "Asia", None, &uniform(&kpis(n - 1), 0.6)),
    ]);

    let peers = e.peers("a", 5).unwrap();

    let ids: Vec<&str> = peers.peers.iter().map(|p| p.city_id.as_str()).collect();
    assert_eq!(ids, ["just-enough"]);
    assert_eq!(peers.not_comparable, 1);
}

#[test]
fn opposite_profiles_have_low_similarity() {
    let ks = kpis(10);
    let e = engine_with(&[
        city("top", "Europe", Some(20_000), &uniform(&ks, 1.0)),
        city("bottom-same-place", "Europe", Some(30_000), &uniform(&ks, 0.0)),
        city("bottom-elsewhere", "Asia", Some(6_000_000), &uniform(&ks, 0.0)),
        city("middle", "Asia", Some(6_000_000), &uniform(&ks, 0.5)),
    ]);

    let peers = e.peers("top", 5).unwrap();
    let sim = |id: &str| {
        peers
            .peers
            .iter()
            .find(|p| p.city_id == id)
            .unwrap_or_else(|| panic!("{id} is a peer"))
            .similarity
    };

    assert!(sim("bottom-elsewhere").kpis < 0.01);
    assert!(sim("bottom-elsewhere").score < 0.01, "{:?}", sim("bottom-elsewhere"));
    // Same region and band, opposite KPIs: only the 0.4 of population and region remain.
    assert!((sim("bottom-same-place").score - 0.4).abs() < 0.01);
    assert!((sim("middle").kpis - 0.5).abs() < 0.01);
    let order: Vec<&str> = peers.peers.iter().map(|p| p.city_id.as_str()).collect();
    assert_eq!(order, ["bottom-same-place", "middle", "bottom-elsewhere"]);
    // Opposite profiles: the bottom city is far behind everywhere, so the top one is ahead on all.
    let bottom = e.peers("bottom-elsewhere", 5).unwrap();
    let top = bottom.peers.iter().find(|p| p.city_id == "top").unwrap();
    assert_eq!(top.ahead.len(), 10);
}

#[test]
fn missing_population_or_region_is_left_out_of_the_weights() {
    let ks = kpis(10);
    let e = engine_with(&[
        city("a", "", None, &uniform(&ks, 0.8)),
        city("b", "Africa", Some(100_000), &uniform(&ks, 0.6)),
    ]);

    let s = e.peers("a", 1).unwrap().peers[0].similarity;

    assert_eq!((s.population, s.region), (None, None));
    assert!((s.score - s.kpis).abs() < 1e-12, "only the KPI part is left: {s:?}");
    assert!((s.kpis - 0.8).abs() < 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Peers
// ---------------------------------------------------------------------------------------------

#[test]
fn peers_are_most_similar_first_ties_by_id_and_limited() {
    let ks = kpis(10);
    let e = engine_with(&[
        city("me", "Oceania", Some(100_000), &uniform(&ks, 0.5)),
        city("zeta", "Oceania", Some(100_000), &uniform(&ks, 0.6)),
        city("alpha", "Oceania", Some(100_000), &uniform(&ks, 0.6)),
        city("far", "Oceania", Some(100_000), &uniform(&ks, 0.9)),
        city("near", "Oceania", Some(100_000), &uniform(&ks, 0.52)),
    ]);

    let all = e.peers("me", MAX_PEERS).unwrap();
    let two = e.peers("me", 2).unwrap();

    let ids = |p: &kpimatch_engine::peers::Peers| p.peers.iter().map(|p| p.city_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&all), ["near", "alpha", "zeta", "far"]);
    assert_eq!(ids(&two), ["near", "alpha"]);
    assert!(all
        .peers
        .windows(2)
        .all(|w| w[0].similarity.score >= w[1].similarity.score));
    assert_eq!(field_of(e.peers("me", 0)), "limit");
    assert_eq!(field_of(e.peers("me", MAX_PEERS + 1)), "limit");
    assert_eq!(field_of(e.benchmark("me", 0)), "peers");
    assert!(matches!(
        e.peers("nowhere", 5),
        Err(Error::NotFound { entity: "city", .. })
    ));
    assert!(matches!(
        e.benchmark("nowhere", 5),
        Err(Error::NotFound { entity: "city", .. })
    ));
}

#[test]
fn a_peer_is_clearly_ahead_from_the_documented_margin_with_values_and_targets() {
    let ks = kpis(10);
    let mut mine = uniform(&ks, 0.5);
    let mut theirs = uniform(&ks, 0.5);
    theirs[0].1 = 0.5 + AHEAD_MARGIN + 1e-6; // clearly ahead
    theirs[1].1 = 0.5 + AHEAD_MARGIN - 0.01; // not quite
    theirs[2].1 = 0.95; // far ahead
    mine[3].1 = 0.9; // the city is ahead here
    let e = engine_with(&[city("me", "Asia", None, &mine), city("them", "Asia", None, &theirs)]);

    let ahead = &e.peers("me", 1).unwrap().peers[0].ahead;

    let codes: Vec<KpiId> = ahead
        .iter()
        .map(|a| bundle().catalogue.id_of(&a.code).unwrap())
        .collect();
    assert_eq!(
        codes,
        [2, 0],
        "largest difference first, then only what clears the margin"
    );
    let a = &ahead[0];
    let def = bundle().catalogue.get(2);
    assert!((a.difference - 0.45).abs() < 1e-6);
    assert_eq!((a.peer_target, a.city_target), (def.target, def.target));
    assert!((a.peer_value - value_for(2, 0.95)).abs() < 1e-9);
    assert!((a.city_value - value_for(2, 0.5)).abs() < 1e-9);
    assert_eq!(a.unit, def.unit);
}

#[test]
fn bundled_cities_have_comparable_peers_with_ahead_kpis() {
    let e = crate::support::engine();
    for c in &bundle().cities {
        let p = e.peers(&c.id, 5).expect("a bundled city");
        assert!(p.comparable, "{}: {:?}", c.id, p.reason);
        assert_eq!(p.peers.len(), 5);
        assert!(p
            .peers
            .iter()
            .all(|q| q.city_id != c.id && q.similarity.comparable_kpis >= MIN_COMPARABLE_KPIS));
    }
    let qasr = e.peers("qasr-alwan", 1).unwrap();
    assert_eq!(qasr.peers[0].city_id, "madinat-sarab");
    assert!(qasr.peers[0]
        .ahead
        .iter()
        .any(|a| a.code.as_str() == "EC:I:WS:3C" && a.peer_value < a.city_value));
}

// ---------------------------------------------------------------------------------------------
// Benchmark
// ---------------------------------------------------------------------------------------------

#[test]
fn benchmark_gives_rank_percentile_median_best_and_own_trend() {
    let ks = kpis(10);
    let base = 0.5;
    let with0 = |a: f64| {
        let mut v = uniform(&ks, base);
        v[0].1 = a;
        v
    };
    let mut me = city("me", "Europe", Some(200_000), &with0(0.4));
    // An older observation of KPI 0: the city improved from 0.2 to 0.4 of target.
    me.observations.push(Observation {
        kpi: bundle().catalogue.get(0).code.clone(),
        value: value_for(0, 0.2),
        year: 2020,
        target: None,
    });
    let e = engine_with(&[
        me,
        city("p1", "Europe", Some(200_000), &with0(0.8)),
        city("p2", "Europe", Some(200_000), &with0(0.4)),
        city("p3", "Europe", Some(200_000), &with0(0.1)),
        city("p4", "Europe", Some(200_000), &with0(0.6)),
    ]);

    let b = e.benchmark("me", 10).unwrap();

    assert!(b.comparable);
    assert_eq!(b.peers.len(), 4);
    let k0 = b
        .kpis
        .iter()
        .find(|k| bundle().catalogue.id_of(&k.code) == Some(0))
        .unwrap();
    // Peers 0.8, 0.6 ahead; 0.4 tied; 0.1 behind → rank 3 of 5, percentile (1 + ½) / 4.
    assert_eq!((k0.rank, k0.out_of), (3, 5));
    assert!((k0.percentile.unwrap() - 37.5).abs() < 1e-9);
    assert!((k0.peer_median_achievement.unwrap() - 0.5).abs() < 1e-9);
    let best = k0.peer_best.as_ref().unwrap();
    assert_eq!(best.city_id, "p1");
    assert!((best.value - value_for(0, 0.8)).abs() < 1e-9);
    let mut peer_values = [0.8, 0.4, 0.1, 0.6].map(|a| value_for(0, a));
    peer_values.sort_by(f64::total_cmp);
    assert!((k0.peer_median.unwrap() - (peer_values[1] + peer_values[2]) / 2.0).abs() < 1e-9);
    assert_eq!(k0.series.len(), 2);
    assert_eq!((k0.series[0].year, k0.series[1].year), (2020, 2023));
    assert!((k0.series[0].achievement - 0.2).abs() < 1e-9);
    assert_eq!(k0.trend, Some(kpimatch_engine::city::TrendDirection::Improving));
    // Every other KPI: all at 0.5, a five-way tie for first place.
    let k1 = b
        .kpis
        .iter()
        .find(|k| bundle().catalogue.id_of(&k.code) == Some(1))
        .unwrap();
    assert_eq!((k1.rank, k1.out_of, k1.percentile), (1, 5, Some(50.0)));
    assert!(k1.trend.is_none());
    // Categories: one entry per category the city reports, with the peers' shares.
    let cat = &bundle().catalogue.get(0).category;
    let c = b.categories.iter().find(|c| &c.category == cat).unwrap();
    assert_eq!(c.improving, 1);
    assert!(c.peer_median_share.is_some() && c.out_of == 5);
    // The peer group is limited by `peers`.
    assert_eq!(e.benchmark("me", 2).unwrap().peers.len(), 2);
}

#[test]
fn bundled_benchmark_covers_every_reported_kpi_and_category() {
    let e = crate::support::engine();
    let b = e.benchmark("qasr-alwan", 10).unwrap();
    let gaps = e.gaps("qasr-alwan").unwrap();
    assert_eq!(b.kpis.len(), gaps.kpis.len());
    assert_eq!(b.categories.len(), gaps.categories.len());
    for k in &b.kpis {
        assert!(k.rank >= 1 && k.rank <= k.out_of && k.out_of <= 11, "{k:?}");
        assert!(k.percentile.is_none_or(|p| (0.0..=100.0).contains(&p)));
        assert!(!k.series.is_empty());
    }
    let loss = b.kpis.iter().find(|k| k.code.as_str() == "EC:I:WS:3C").unwrap();
    assert_eq!(
        loss.series.iter().map(|y| y.year).collect::<Vec<_>>(),
        [2019, 2021, 2023]
    );
    assert_eq!(loss.trend, Some(kpimatch_engine::city::TrendDirection::Improving));
}

// ---------------------------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------------------------

fn deployment(solution_id: &str, year: i32, status: DeploymentStatus) -> Deployment {
    Deployment {
        solution_id: solution_id.into(),
        year,
        status,
    }
}

#[test]
fn deployments_are_validated_field_by_field() {
    let cat = &bundle().catalogue;
    let mut c = city("dep-town", "Europe", None, &uniform(&kpis(3), 0.5));
    c.deployments = vec![
        deployment("echoline-acoustic-leak-survey", 2021, DeploymentStatus::Deployed),
        deployment("echoline-acoustic-leak-survey", 2022, DeploymentStatus::Piloting),
        deployment("rillstone-meter-as-a-service", 1850, DeploymentStatus::Deployed),
        deployment("Not an id!", 2020, DeploymentStatus::Discontinued),
    ];

    let fields: Vec<String> = c
        .problems(cat)
        .into_iter()
        .map(|e| match e {
            Error::InvalidField { field, .. } => field,
            other => panic!("{other}"),
        })
        .collect();

    assert_eq!(
        fields,
        ["deployments[1]", "deployments[2].year", "deployments[3].solution_id"]
    );
}

#[test]
fn old_city_json_without_deployments_loads_and_round_trips_without_them() {
    let c: City = serde_json::from_value(json!({"id": "old-town", "observations": []})).unwrap();
    assert!(c.deployments.is_empty());
    assert!(!serde_json::to_string(&c).unwrap().contains("deployments"));
    let bad = serde_json::from_value::<City>(
        json!({"id": "x1", "deployments": [{"solution_id": "a1b", "year": 2020, "status": "tried"}]}),
    );
    assert!(bad.unwrap_err().to_string().contains("unknown variant `tried`"));
}

#[test]
fn deployed_solutions_are_checked_on_write_but_tolerated_when_loaded() {
    let mut e = Engine::empty_for(bundle()).unwrap();
    e.upsert_solutions(bundle().solutions.clone()).unwrap();
    let mut c = city("dep-town", "Europe", None, &uniform(&kpis(3), 0.5));
    c.deployments = vec![
        deployment("echoline-acoustic-leak-survey", 2021, DeploymentStatus::Deployed),
        deployment("withdrawn-solution", 2020, DeploymentStatus::Discontinued),
    ];

    assert_eq!(field_of(e.check_city(&c)), "deployments[1].solution_id");
    // Stored data (a solution deleted since the city recorded it) still loads.
    e.upsert_city(c.clone())
        .expect("loading stored data never fails on a deleted solution");
    assert_eq!(e.city("dep-town").unwrap().deployments.len(), 2);
    // An inline city in a request is checked, its field named under `city.`.
    let req = MatchRequest {
        city: Some(CityInput::Inline(Box::new(c))),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(field_of(e.match_solutions(&req)), "city.deployments[1].solution_id");
}

// ---------------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------------

const LOSS: &str = "EC:I:WS:3C";

fn leak_solution(id: &str) -> Solution {
    serde_json::from_value(json!({
        "id": id, "title": format!("Leak fix {id}"), "provider": "P",
        "summary": "Finds and fixes leaks.", "categories": ["Environment"],
        "kpis": [{"code": LOSS, "impact": 0.8}]
    }))
    .unwrap()
}

/// A requesting city weak on water loss (achievement 0.25), a similar peer that does well on
/// it (0.9), a dissimilar city (other region, other size, other KPI levels) that also does
/// well, and two identical leak solutions `fix-a` and `fix-b`.
fn evidence_world(peer: DeploymentStatus, stranger: Option<DeploymentStatus>) -> Engine {
    let loss = bundle().catalogue.resolve(LOSS).unwrap();
    let others: Vec<KpiId> = kpis(12).into_iter().filter(|&k| k != loss).collect();
    let with_loss = |a: f64, rest: f64| {
        let mut v = uniform(&others, rest);
        v.push((loss, a));
        v
    };
    let me = city("me", "Europe", Some(300_000), &with_loss(0.25, 0.7));
    let mut twin = city("twin", "Europe", Some(320_000), &with_loss(0.9, 0.7));
    twin.deployments = vec![deployment("fix-a", 2021, peer)];
    let mut stranger_city = city("stranger", "Asia", Some(8_000_000), &with_loss(0.9, 0.05));
    if let Some(s) = stranger {
        stranger_city.deployments = vec![deployment("fix-b", 2021, s)];
    }
    let mut e = Engine::empty_for(bundle()).unwrap();
    e.upsert_solutions(vec![leak_solution("fix-a"), leak_solution("fix-b")])
        .unwrap();
    for c in [me, twin, stranger_city] {
        e.check_city(&c).expect("valid");
        e.upsert_city(c).unwrap();
    }
    e
}

fn gap_request(profile: &str) -> MatchRequest {
    MatchRequest::for_city("me").with_needs("").with_profile(profile)
}

fn result<'a>(r: &'a MatchResponse, id: &str) -> &'a kpimatch_engine::ranking::MatchResult {
    r.results
        .iter()
        .find(|x| x.solution_id == id)
        .unwrap_or_else(|| panic!("{id} is ranked"))
}

fn evidence_of(r: &MatchResponse, id: &str) -> f32 {
    result(r, id).explanation.as_ref().unwrap().evidence
}

fn assert_parts_sum(r: &MatchResponse) {
    for x in &r.results {
        let e = x.explanation.as_ref().unwrap();
        let adoptions: f32 = e.adoptions.iter().map(|a| a.contribution).sum();
        assert!(
            (adoptions - e.evidence).abs() <= 1e-6,
            "{}: Σ adoptions ≠ evidence",
            x.solution_id
        );
        assert!(
            (e.text + e.kpi + e.evidence - e.diversity_penalty - x.score).abs() <= 1e-5,
            "{}: parts do not add up",
            x.solution_id
        );
    }
}

#[test]
fn a_solution_deployed_by_a_similar_city_that_does_well_ranks_above_its_twin() {
    let e = evidence_world(DeploymentStatus::Deployed, None);
    let similarity = e.peers("me", 1).unwrap().peers[0].similarity.score;
    assert!(similarity >= EVIDENCE_MIN_SIMILARITY, "{similarity}");

    let r = e.match_solutions(&gap_request("default")).unwrap();

    assert_eq!(r.results[0].solution_id, "fix-a");
    assert!(evidence_of(&r, "fix-a") > 0.0);
    assert_eq!(evidence_of(&r, "fix-b"), 0.0);
    let a = &result(&r, "fix-a").explanation.as_ref().unwrap().adoptions;
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].city_id.as_str(), a[0].status, a[0].year),
        ("twin", DeploymentStatus::Deployed, 2021)
    );
    let kpi = a[0].kpi.as_ref().unwrap();
    assert_eq!(kpi.code.as_str(), LOSS);
    // The twin reaches 0.9 of the 10 % target (11.1 %), this city 0.25 (40 %).
    let expected =
        format!("deployed 2021 by TWIN — similar city ({similarity:.2}); Water Supply Loss 11.1 % vs your 40 %");
    assert_eq!(a[0].summary, expected);
    assert!(!a[0].summary.contains("caus"));
    assert_parts_sum(&r);
}

#[test]
fn piloting_counts_less_than_deploying_and_discontinuing_counts_against() {
    let deployed = evidence_world(DeploymentStatus::Deployed, None);
    let piloting = evidence_world(DeploymentStatus::Piloting, None);
    let stopped = evidence_world(DeploymentStatus::Discontinued, None);
    // A needs text gives both twins a text part, so the discontinued one keeps a positive score
    // (a solution whose evidence outweighs everything in its favour drops out of the ranking).
    let req = gap_request("default").with_needs("leaks");

    let (d, p, s) = (
        deployed.match_solutions(&req).unwrap(),
        piloting.match_solutions(&req).unwrap(),
        stopped.match_solutions(&req).unwrap(),
    );

    let (ed, ep, es) = (
        evidence_of(&d, "fix-a"),
        evidence_of(&p, "fix-a"),
        evidence_of(&s, "fix-a"),
    );
    assert!(ed > ep && ep > 0.0, "deployed {ed} > piloting {ep} > 0");
    assert!(es < 0.0, "discontinued counts against: {es}");
    assert_eq!(p.results[0].solution_id, "fix-a");
    assert_eq!(s.results[0].solution_id, "fix-b", "the discontinued twin ranks below");
    let summary = &result(&s, "fix-a").explanation.as_ref().unwrap().adoptions[0].summary;
    assert!(summary.starts_with("discontinued 2021 by TWIN"), "{summary}");
    assert!(summary.contains("against a target of 10 %"), "{summary}");
    assert!(result(&p, "fix-a").explanation.as_ref().unwrap().adoptions[0]
        .summary
        .starts_with("piloted 2021 by TWIN"));
    for r in [&d, &p, &s] {
        assert_parts_sum(r);
    }
    let weight = deployed.profiles().get(None).unwrap().evidence_weight;
    assert!(ed < weight && es > -weight, "evidence stays within ±evidence_weight");
}

#[test]
fn dissimilar_cities_give_no_evidence() {
    let e = evidence_world(DeploymentStatus::Deployed, Some(DeploymentStatus::Deployed));
    let stranger = e.peers("me", MAX_PEERS).unwrap();
    let s = stranger.peers.iter().find(|p| p.city_id == "stranger").unwrap();
    assert!(s.similarity.score < EVIDENCE_MIN_SIMILARITY, "{:?}", s.similarity);

    let r = e.match_solutions(&gap_request("default")).unwrap();

    assert_eq!(evidence_of(&r, "fix-b"), 0.0, "only similar cities count");
}

#[test]
fn improving_after_adoption_counts_even_when_not_ahead() {
    let loss = bundle().catalogue.resolve(LOSS).unwrap();
    let others: Vec<KpiId> = kpis(12).into_iter().filter(|&k| k != loss).collect();
    let mut rest = uniform(&others, 0.7);
    rest.push((loss, 0.3));
    let me = city("me", "Europe", Some(300_000), &rest);
    let mut peer = city("improver", "Europe", Some(300_000), &rest);
    // Before adopting in 2020 the peer was at 0.1 of target; by 2023 it reached 0.3.
    peer.observations.push(Observation {
        kpi: bundle().catalogue.get(loss).code.clone(),
        value: value_for(loss, 0.1),
        year: 2019,
        target: None,
    });
    peer.deployments = vec![deployment("fix-a", 2020, DeploymentStatus::Deployed)];
    let mut e = Engine::empty_for(bundle()).unwrap();
    e.upsert_solutions(vec![leak_solution("fix-a"), leak_solution("fix-b")])
        .unwrap();
    e.upsert_city(me).unwrap();
    e.upsert_city(peer).unwrap();

    let r = e.match_solutions(&gap_request("default")).unwrap();

    assert!(evidence_of(&r, "fix-a") > 0.0);
    let a = &result(&r, "fix-a").explanation.as_ref().unwrap().adoptions[0];
    let k = a.kpi.as_ref().unwrap();
    assert_eq!((k.peer_before_year, k.peer_year), (Some(2019), Some(2023)));
    assert!(
        a.summary.contains("went from") && a.summary.contains("after adopting it"),
        "{}",
        a.summary
    );
}

#[test]
fn the_evidence_version_moves_with_adopting_cities_only() {
    let mut e = evidence_world(DeploymentStatus::Deployed, None);
    let v0 = e.evidence_version();

    e.upsert_city(city("quiet", "Europe", None, &uniform(&kpis(3), 0.5)))
        .unwrap();
    let v1 = e.evidence_version();
    let mut twin = e.city("twin").unwrap().clone();
    twin.observations.pop();
    e.upsert_city(twin).unwrap();
    let v2 = e.evidence_version();
    e.delete_city("twin");
    let v3 = e.evidence_version();

    assert_eq!(v0, v1, "a city without deployments does not move it");
    assert!(v2 != v1 && v3 != v2);
    let r = e.match_solutions(&gap_request("default")).unwrap();
    assert_eq!(evidence_of(&r, "fix-a"), 0.0, "the deleted adopter no longer counts");
}

// ---------------------------------------------------------------------------------------------
// Neutrality and exactness on the bundled data
// ---------------------------------------------------------------------------------------------

fn fingerprint(r: &MatchResponse) -> Vec<(String, u32)> {
    r.results
        .iter()
        .map(|x| (x.solution_id.clone(), x.score.to_bits()))
        .collect()
}

fn topic_requests(b: &Bundle, profile: &str) -> Vec<MatchRequest> {
    b.topics
        .iter()
        .map(|t| {
            let mut r = t.request(30, Some(profile));
            r.explain = true;
            r
        })
        .collect()
}

#[test]
fn without_deployments_evidence_is_neutral_bit_for_bit() {
    let with = bundle();
    let mut without = with.clone();
    for c in &mut without.cities {
        c.deployments.clear();
    }
    let weighted = RankingProfile::default().evidence_weight;
    assert_eq!(weighted, 0.0, "old profile files mean no evidence");
    let default_weight = with
        .profiles
        .iter()
        .find(|p| p.name == "default")
        .unwrap()
        .evidence_weight;
    assert!(default_weight > 0.0, "the bundled default profile weighs evidence");
    let engine_with = crate::support::engine();
    let engine_without = Engine::from_bundle(&without).unwrap();

    for (a, b) in topic_requests(with, "default")
        .iter()
        .zip(topic_requests(with, "no-evidence"))
    {
        // No deployments at all: the evidence weight changes nothing.
        let plain = engine_without.match_solutions(a).unwrap();
        let ablated = engine_without.match_solutions(&b).unwrap();
        assert_eq!(fingerprint(&plain), fingerprint(&ablated));
        // Deployments present but evidence weighted 0: identical to no deployments.
        let zero = engine_with.match_solutions(&b).unwrap();
        assert_eq!(fingerprint(&zero), fingerprint(&plain));
        for x in plain.results.iter().chain(&zero.results) {
            let e = x.explanation.as_ref().unwrap();
            assert_eq!(e.evidence, 0.0);
            assert!(e.adoptions.is_empty());
        }
    }
}

#[test]
fn bundled_evidence_changes_some_rankings_and_keeps_parts_summing() {
    let e = crate::support::engine();
    let mut changed = 0;
    let mut negative = 0;
    for (with, without) in topic_requests(bundle(), "default")
        .iter()
        .zip(topic_requests(bundle(), "no-evidence"))
    {
        let r = e.match_solutions(with).unwrap();
        let base = e.match_solutions(&without).unwrap();
        assert_parts_sum(&r);
        changed += usize::from(fingerprint(&r) != fingerprint(&base));
        negative += r
            .results
            .iter()
            .filter(|x| x.explanation.as_ref().unwrap().evidence < 0.0)
            .count();
        // A page is a window of the full ranking with evidence as well.
        let page = e
            .match_solutions(&MatchRequest {
                offset: 5,
                limit: 5,
                ..with.clone()
            })
            .unwrap();
        let ids: Vec<&str> = page.results.iter().map(|x| x.solution_id.as_str()).collect();
        let want: Vec<&str> = r
            .results
            .iter()
            .skip(5)
            .take(5)
            .map(|x| x.solution_id.as_str())
            .collect();
        assert_eq!(ids, want);
    }
    assert!(changed >= 10, "evidence changed only {changed} rankings");
    assert!(negative >= 1, "some discontinued deployment shows as negative evidence");
}

#[test]
fn profiles_written_before_evidence_still_load() {
    let old = json!({
        "format_version": 1, "name": "old", "text_weight": 0.5, "kpi_weight": 0.5,
        "boosts": {"all": 1.0, "title": 0.3, "tags": 0.5, "summary": 0.0},
        "synonym_weight": 0.4, "gap_exponent": 1.0, "gap_weight": 1.0, "needs_weight": 1.0,
        "needs_gap_weight": 1.0, "advanced_weight": 0.8, "missing_gap": 0.0, "inferred_weight": 0.8,
        "kpi_scale": 1.0, "needs_min_relative": 0.35, "needs_max_kpis": 12, "gap_top_k": 0
    });
    let p: RankingProfile = serde_json::from_value(old).expect("an old profile file loads");
    assert_eq!(p.evidence_weight, 0.0);
    let mut bad = p.clone();
    bad.evidence_weight = -0.1;
    assert!(bad.problems().iter().any(|m| m.contains("evidence_weight")));
}

/// The measured shortfall that set evidence's strength (issue #13): a near-twin (similarity
/// about 0.9) that deployed a solution and reached the water-loss target while the asking city
/// loses far more must move that solution up by a few places; the same record from a barely
/// similar city (just above the 0.6 threshold) is worth a small fraction of that and cannot pass
/// a solution clearly ahead.
#[test]
fn strong_evidence_moves_a_solution_a_few_places_and_weak_evidence_does_not() {
    let b = bundle();
    let loss = b.catalogue.resolve(LOSS).unwrap();
    let mut me = b.city("qasr-alwan").unwrap().clone();
    me.id = "me".into();
    me.deployments.clear();
    let request = MatchRequest::for_city("me").with_needs("").with_limit(100);
    let ranked = |e: &Engine, id: &str| -> (usize, f32) {
        let r = e.match_solutions(&request).unwrap();
        assert_parts_sum(&r);
        let p = r.results.iter().position(|x| x.solution_id == id).unwrap();
        (p + 1, r.results[p].explanation.as_ref().unwrap().evidence)
    };
    let engine_with_peer = |peer: Option<City>| {
        let mut e = Engine::empty_for(b).unwrap();
        e.upsert_solutions(b.solutions.clone()).unwrap();
        e.upsert_city(me.clone()).unwrap();
        if let Some(p) = peer {
            e.upsert_city(p).unwrap();
        }
        e
    };
    // A water-loss solution a few places below the top.
    let alone = engine_with_peer(None);
    let r = alone.match_solutions(&request).unwrap();
    let target = r.results[4..]
        .iter()
        .find(|x| alone.solution(&x.solution_id).unwrap().profile.get(loss).is_some())
        .expect("a water-loss solution below the top four")
        .solution_id
        .clone();
    let (before, _) = ranked(&alone, &target);

    // The near-twin: the same city at the water-loss target, a little better elsewhere.
    let mut twin = me.clone();
    twin.id = "twin".into();
    twin.name = "Twin".into();
    for o in &mut twin.observations {
        if o.kpi == b.catalogue.get(loss).code {
            o.value = b.catalogue.get(loss).target;
        }
    }
    twin.deployments = vec![deployment(&target, 2020, DeploymentStatus::Deployed)];
    let strong = engine_with_peer(Some(twin));
    let s = strong.peers("me", 1).unwrap().peers[0].similarity.score;
    assert!(s > 0.85, "the twin's similarity is {s}");
    let (after_strong, strong_evidence) = ranked(&strong, &target);

    // Barely similar: another region and size, the other KPI values moved until the city is
    // just above the similarity threshold.
    let far_city = |down: f64, up: f64| {
        let mut far = me.clone();
        far.id = "far".into();
        far.name = "Far".into();
        far.region = "Europe".into();
        far.population = Some(4_000_000);
        for (i, o) in far.observations.iter_mut().enumerate() {
            if o.kpi == b.catalogue.get(loss).code {
                o.value = b.catalogue.get(loss).target;
            } else {
                o.value *= if i % 2 == 0 { down } else { up };
            }
        }
        far.deployments = vec![deployment(&target, 2020, DeploymentStatus::Deployed)];
        far
    };
    let (weak, w) = [(0.9, 1.1), (0.8, 1.25), (0.7, 1.4), (0.6, 1.6), (0.5, 1.8)]
        .into_iter()
        .map(|(d, u)| {
            let e = engine_with_peer(Some(far_city(d, u)));
            let w = e.peers("me", 1).unwrap().peers[0].similarity.score;
            (e, w)
        })
        .find(|(_, w)| (EVIDENCE_MIN_SIMILARITY..0.68).contains(w))
        .expect("a far city just above the similarity threshold");
    let (after_weak, weak_evidence) = ranked(&weak, &target);

    eprintln!(
        "{target}: rank {before} alone, {after_strong} with the twin ({s:.2}, evidence {strong_evidence:.4}), \
         {after_weak} with the far city ({w:.2}, evidence {weak_evidence:.4})"
    );
    assert!(
        before >= after_strong + 2,
        "a near-twin's record moved {target} from {before} only to {after_strong}"
    );
    // Ranks 4–9 of this city lie within about 0.003 of each other, so any evidence reorders
    // them; what must hold is that a barely similar city's record is worth a small fraction of
    // a near-twin's and too little to pass a solution a clear step ahead (0.01 and more).
    assert!(
        weak_evidence * 20.0 < strong_evidence,
        "{weak_evidence} vs {strong_evidence}"
    );
    assert!(weak_evidence < 0.01, "{weak_evidence}");
    let r = alone.match_solutions(&request).unwrap();
    let clear_ahead = r
        .results
        .iter()
        .filter(|x| x.score > r.results[before - 1].score + 0.01)
        .count();
    assert!(
        after_weak > clear_ahead,
        "{target} passed a solution 0.01 or more ahead with weak evidence"
    );
}
