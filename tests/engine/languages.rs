//! Questions and solutions in the languages U4SSC cities speak: each read in its own language,
//! mapped to KPIs through its own vocabulary, and never worse than asking nothing.

use kpimatch_engine::bundle::Variant;
use kpimatch_engine::eval::{evaluate_variants, qrels_from, Measure};
use kpimatch_engine::lang::{Lang, LangSource};
use kpimatch_engine::ranking::MatchRequest;

use crate::support::{bundle, engine};

fn ids(req: &MatchRequest) -> Vec<(String, f32)> {
    engine()
        .match_solutions(req)
        .expect("the request is valid")
        .results
        .into_iter()
        .map(|r| (r.solution_id, r.score))
        .collect()
}

#[test]
fn a_question_in_each_language_ranks_at_least_as_well_as_no_question() {
    let b = bundle();
    let m = Measure::NdcgCut(5);
    let r = evaluate_variants(
        engine(),
        &b.variant_topics,
        &b.topics,
        &qrels_from(&b.judgments),
        None,
        100,
        &[m],
    )
    .unwrap();
    let mut langs: Vec<&str> = b
        .variant_topics
        .iter()
        .filter(|t| t.variant == Variant::Translation)
        .map(|t| t.lang.as_str())
        .collect();
    langs.sort_unstable();
    langs.dedup();
    assert!(langs.len() >= 9, "{langs:?}");
    for lang in langs {
        let topics: Vec<&str> = b
            .variant_topics
            .iter()
            .filter(|t| t.variant == Variant::Translation && t.lang == lang)
            .map(|t| t.id.as_str())
            .collect();
        let mean = |report: &kpimatch_engine::eval::Report| {
            topics
                .iter()
                .map(|t| report.topic_value(t, m).unwrap_or(0.0))
                .sum::<f64>()
                / topics.len() as f64
        };
        let (asked, gap_only) = (mean(&r.variant), mean(&r.gap_only));
        assert!(
            asked >= gap_only,
            "{lang}: nDCG@5 {asked:.3} asked < {gap_only:.3} without a question"
        );
        for t in &topics {
            assert!(
                r.read_as[*t] == lang,
                "{t} was read as {} instead of {lang}",
                r.read_as[*t]
            );
        }
    }
}

#[test]
fn a_spanish_question_finds_english_solutions_through_the_kpis() {
    let req = MatchRequest::for_text("¿Cómo reducimos las fugas de agua en la red de distribución?");
    let resp = engine().match_solutions(&req).unwrap();
    assert_eq!(
        (resp.lang.lang, resp.lang.source),
        (Some(Lang::Es), LangSource::Detected)
    );
    let english_water: Vec<_> = resp
        .results
        .iter()
        .filter(|r| r.lang == Lang::En)
        .filter(|r| {
            let e = r.explanation.as_ref().expect("explained");
            e.kpis.iter().any(|k| k.code.as_str().starts_with("EC:I:WS"))
        })
        .collect();
    assert!(english_water.len() >= 5, "{:#?}", resp.results);
    // Spanish words match Spanish solution text only; English results are there by KPI.
    for r in resp.results.iter().filter(|r| r.lang != Lang::Es) {
        assert!(
            r.explanation.as_ref().unwrap().matched_terms.is_empty(),
            "{}",
            r.solution_id
        );
    }
}

#[test]
fn an_english_question_finds_a_solution_written_in_spanish() {
    let req = MatchRequest::for_text("pressure management and district metering against water losses in the mains");
    let found = ids(&req);
    assert!(
        found.iter().any(|(id, _)| id == "sectoriza-agua-control-presiones"),
        "{found:?}"
    );
    let s = engine().solution("sectoriza-agua-control-presiones").unwrap();
    assert_eq!(s.lang, Lang::Es);
}

#[test]
fn solutions_in_other_languages_get_kpi_profiles_from_their_text() {
    for (id, kpi) in [
        ("esgoto-na-quadra-rede-condominial", "EC:I:WS:4C"),
        ("chistoe-teplo-zamena-ugolnyh-pechey", "EN:EN:AQ:1C"),
        ("lvdian-gongjiao-dianqi-bashi", "EC:I:T"),
        ("pegelwacht-hochwasser-fruehwarnung", "SC:SH:SA"),
    ] {
        let s = engine().solution(id).unwrap_or_else(|| panic!("{id} is bundled"));
        let codes: Vec<String> = s
            .profile
            .entries()
            .iter()
            .map(|e| engine().catalogue().get(e.kpi).code.to_string())
            .collect();
        assert!(codes.iter().any(|c| c.starts_with(kpi)), "{id}: {codes:?}");
    }
}

#[test]
fn text_in_an_unsupported_language_ranks_like_no_text() {
    let city = &bundle().cities[0].id;
    let japanese = MatchRequest::for_city(city).with_needs("どうすれば私たちの町の水道の漏れを減らせますか？");
    let resp = engine().match_solutions(&japanese).unwrap();
    assert_eq!((resp.lang.lang, resp.lang.code.as_str()), (None, "jpn"));
    assert!(resp.query_terms.is_empty());
    assert_eq!(ids(&japanese), ids(&MatchRequest::for_city(city).with_needs("")));
    // Declared, it is the same.
    let mut declared = MatchRequest::for_city(city).with_needs("물 누수를 줄이려면?");
    declared.lang = Some("ko".into());
    assert_eq!(ids(&declared), ids(&MatchRequest::for_city(city).with_needs("")));
}

#[test]
fn a_declared_language_wins_and_a_malformed_tag_names_its_field() {
    let mut req = MatchRequest::for_text("agua");
    req.lang = Some("pt-BR".into());
    assert_eq!(engine().plan(&req).unwrap().lang.lang, Some(Lang::Pt));
    req.lang = Some("portuguese please".into());
    match engine().match_solutions(&req) {
        Err(kpimatch_engine::Error::InvalidField { field, .. }) => assert_eq!(field, "lang"),
        other => panic!("expected an invalid lang, got {other:?}"),
    }
}

#[test]
fn every_judged_english_question_is_read_as_english() {
    for t in bundle().topics.iter().filter(|t| !t.needs.is_empty()) {
        let plan = engine().plan(&t.request(10, None)).unwrap();
        assert_eq!(
            plan.lang.lang,
            Some(Lang::En),
            "{}: {} read as {:?}",
            t.id,
            t.needs,
            plan.lang
        );
    }
}
