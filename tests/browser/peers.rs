//! Peer cities and adoption evidence on the page: the peers view against
//! `GET /v1/cities/{id}/peers` and `/benchmark`, a city that cannot be compared, the similar
//! cities' adoptions in a match explanation, and the phone layout.

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::harness::Browser;
use crate::planner::{card_ids, choose_city, ids, last_request, results_seq, strings, wait_for_results_after};

/// The peers and the peer group the page asks for.
const PEERS: &str = "limit=5";
const GROUP: &str = "peers=10";

/// A share 0–1 as the page rounds it: "76 %".
fn pct(share: f64) -> String {
    format!("{} %", (share * 100.0).round())
}

/// A number the page shows ("1,250,000", "36.6 %") read back.
fn number(text: &str) -> f64 {
    let t = text.trim().trim_end_matches('%').trim().replace(',', "");
    t.parse()
        .unwrap_or_else(|e| panic!("“{text}” is not a number as the page writes them: {e}"))
}

/// A KPI value is shown with its number (two decimals at most) and " %" when the unit is a
/// percentage.
fn assert_value(shown: &Value, api: f64, unit: &str, what: &str) {
    let shown = shown.as_str().unwrap_or_else(|| panic!("{what}: no text"));
    assert!(
        (number(shown) - api).abs() <= 0.005 + 1e-9,
        "{what}: shown {shown}, API {api}"
    );
    assert_eq!(
        shown.ends_with(" %"),
        unit.starts_with('%'),
        "{what}: “{shown}” for the unit “{unit}”"
    );
}

/// The page's order of standing: lowest percentile first (none last), then furthest from
/// target, then by name.
fn by_standing(a: &Value, b: &Value, key: &str, name: &str) -> Ordering {
    let p = |v: &Value| v["percentile"].as_f64().unwrap_or(f64::INFINITY);
    p(a).total_cmp(&p(b))
        .then(a[key].as_f64().unwrap().total_cmp(&b[key].as_f64().unwrap()))
        .then(a[name].as_str().unwrap().cmp(b[name].as_str().unwrap()))
}

/// Whether nothing scrolls sideways.
const NO_SIDEWAYS_SCROLL: &str = "document.documentElement.scrollWidth <= document.documentElement.clientWidth";

/// Waits until the peers view shows `id` in `state` (`done`, `not-comparable`, `error`).
async fn wait_for_peers(b: &Browser, id: &str, state: &str) {
    b.wait_for(
        &format!(
            "document.getElementById('peers-body') && document.getElementById('peers-body').dataset.city === {} && document.getElementById('peers-body').dataset.state === {}",
            json!(id),
            json!(state)
        ),
        "the peer cities",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peers_view_shows_the_api_peers_where_they_are_ahead_and_the_standing() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let peers = b.app.get_json(&format!("/v1/cities/qasr-alwan/peers?{PEERS}")).await;
    let standing = b
        .app
        .get_json(&format!("/v1/cities/qasr-alwan/benchmark?{GROUP}"))
        .await;
    assert_eq!(peers["comparable"], true, "{peers}");
    let api_peers = peers["peers"].as_array().unwrap();
    assert_eq!(api_peers.len(), 5);

    // Act: choose the city in the planner, then follow its link to the peers view.
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    b.click("#to-peers").await;
    wait_for_peers(&b, "qasr-alwan", "done").await;

    // Assert: the same peers in the same order, with the similarity as displayed.
    let cards = b
        .js(
            r#"return [...document.querySelectorAll('#peer-list > li.peer-card')].map(c => ({
              id: c.dataset.id, name: c.querySelector('.peer-name').textContent,
              similarity: c.querySelector('.similarity-value').textContent,
              comparable: c.querySelector('.comparable-count').textContent,
              components: [...c.querySelectorAll('.components dd')].map(d => d.textContent)}))"#,
        )
        .await;
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), api_peers.len());
    for (card, p) in cards.iter().zip(api_peers) {
        assert_eq!(card["id"], p["city_id"]);
        assert_eq!(card["name"], p["name"]);
        assert_eq!(card["similarity"], pct(p["similarity"].as_f64().unwrap()), "{card}");
        assert_eq!(card["comparable"], p["comparable_kpis"].to_string(), "{card}");
        let components = strings(&card["components"]);
        assert_eq!(components.len(), 3, "{card}");
        for (shown, part) in components.iter().zip(["kpis", "population", "region"]) {
            match p["components"][part].as_f64() {
                Some(v) => assert!(shown.ends_with(&pct(v)), "{part}: {shown} vs {v}"),
                None => assert_eq!(shown, "unknown", "{part}"),
            }
        }
    }

    // Where each peer is clearly ahead: every KPI after "Show all" (pressed with Enter), in the
    // API's order, the peer's value against ours with the unit.
    let buttons = b
        .client
        .find_all(fantoccini::Locator::Css("#peer-list .more-ahead"))
        .await
        .unwrap();
    assert!(!buttons.is_empty(), "a peer is ahead on more KPIs than shown at first");
    for button in buttons {
        button.send_keys("\u{E007}").await.unwrap();
    }
    let ahead = b
        .js(
            r#"return [...document.querySelectorAll('#peer-list > li.peer-card')].map(c =>
              [...c.querySelectorAll('li.ahead-item')].filter(li => !li.hidden).map(li => ({
                code: li.dataset.code, name: li.querySelector('.kpi-name').textContent,
                them: li.querySelector('.them').textContent, us: li.querySelector('.us').textContent,
                unit: li.querySelector('.kpi-unit').textContent})))"#,
        )
        .await;
    let mut compared = 0;
    for (shown, p) in ahead.as_array().unwrap().iter().zip(api_peers) {
        let shown = shown.as_array().unwrap();
        let api = p["ahead"].as_array().unwrap();
        assert_eq!(shown.len(), api.len(), "{}", p["name"]);
        for (s, k) in shown.iter().zip(api) {
            let unit = k["unit"].as_str().unwrap();
            assert_eq!(s["code"], k["code"]);
            assert_eq!(s["name"], k["name"]);
            assert_eq!(s["unit"], k["unit"]);
            assert_value(&s["them"], k["peer_value"].as_f64().unwrap(), unit, "peer value");
            assert_value(&s["us"], k["city_value"].as_f64().unwrap(), unit, "our value");
            compared += 1;
        }
    }
    assert!(compared > 10, "{compared} ahead KPIs compared");

    // The standing: categories and KPIs, weakest standing first, as the API computes them.
    let mut categories: Vec<Value> = standing["categories"].as_array().unwrap().clone();
    categories.sort_by(|a, b| by_standing(a, b, "share", "category"));
    let mut kpis: Vec<Value> = standing["kpis"].as_array().unwrap().clone();
    kpis.sort_by(|a, b| by_standing(a, b, "achievement", "name"));
    let shown_categories = strings(
        &b.js("return [...document.querySelectorAll('#standing-categories tbody tr')].map(r => r.dataset.category)")
            .await,
    );
    let expected: Vec<String> = categories
        .iter()
        .map(|c| c["category"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown_categories, expected);
    let visible = "return [...document.querySelectorAll('#standing-kpis tbody tr')].filter(r => !r.hidden).map(r => r.dataset.code)";
    let codes: Vec<String> = kpis.iter().map(|k| k["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        strings(&b.js(visible).await),
        codes[..10].to_vec(),
        "the weakest ten first"
    );
    b.click("#standing-more").await;
    assert_eq!(strings(&b.js(visible).await), codes, "then all of them");

    let row = |table: &str, key: &str, value: &str| {
        format!(
            "const r = [...document.querySelectorAll('#{table} tbody tr')].find(r => r.dataset.{key} === {}); \
             const t = (s) => {{ const e = r.querySelector(s); return e ? e.textContent : null; }}; \
             return {{rank: t('.rank-of'), percentile: t('.pctl-value'), ours: t('.ours'), median: t('.median'), \
                     best: t('.best-name'), bestValue: t('.best-value'), trend: t('.trend')}};",
            json!(value)
        )
    };
    let percentile = |v: &Value| v["percentile"].as_f64().map(|p| p.round().to_string());
    for c in &categories {
        let name = c["category"].as_str().unwrap();
        let shown = b.js(&row("standing-categories", "category", name)).await;
        assert_eq!(shown["rank"], format!("{} of {}", c["rank"], c["out_of"]), "{name}");
        assert_eq!(
            shown["percentile"].as_str().map(str::to_string),
            percentile(c),
            "{name}"
        );
        assert_eq!(shown["ours"], pct(c["share"].as_f64().unwrap()), "{name}");
        assert_eq!(shown["median"], pct(c["peer_median_share"].as_f64().unwrap()), "{name}");
        assert_eq!(shown["best"], c["peer_best"]["name"], "{name}");
        assert_eq!(
            shown["bestValue"],
            pct(c["peer_best"]["share"].as_f64().unwrap()),
            "{name}"
        );
    }
    // A few KPIs: the weakest three and the water losses the city asks about.
    let mut few: Vec<&Value> = kpis.iter().take(3).collect();
    few.push(
        kpis.iter()
            .find(|k| k["code"] == "EC:I:WS:3C")
            .expect("Qasr Alwan reports water losses"),
    );
    for k in few {
        let code = k["code"].as_str().unwrap();
        let unit = k["unit"].as_str().unwrap();
        let shown = b.js(&row("standing-kpis", "code", code)).await;
        assert_eq!(shown["rank"], format!("{} of {}", k["rank"], k["out_of"]), "{code}");
        assert_eq!(
            shown["percentile"].as_str().map(str::to_string),
            percentile(k),
            "{code}"
        );
        assert_value(&shown["ours"], k["value"].as_f64().unwrap(), unit, code);
        match k["peer_median"].as_f64() {
            Some(m) => assert_value(&shown["median"], m, unit, code),
            None => assert_eq!(shown["median"], "–", "{code}"),
        }
        assert_eq!(shown["best"], k["peer_best"]["name"], "{code}");
        assert_value(
            &shown["bestValue"],
            k["peer_best"]["value"].as_f64().unwrap(),
            unit,
            code,
        );
        let trend = shown["trend"].as_str().unwrap();
        match k["trend"].as_str() {
            Some(word) => assert!(trend.contains(word), "{code}: {trend} vs {word}"),
            None => assert_eq!(trend, "–", "{code}"),
        }
    }
    let water = b.js(&row("standing-kpis", "code", "EC:I:WS:3C")).await;
    assert!(
        water["trend"].as_str().unwrap().contains("(2019)"),
        "the own series is shown: {water}"
    );

    // Every control of the view has a name, and nothing went wrong.
    let unlabelled = b
        .js("return [...document.querySelectorAll('#view-peers input, #view-peers select, #view-peers button')].filter(e => \
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim()).map(e => e.outerHTML.slice(0, 120))")
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a name");
    assert_eq!(b.alerts().await, "", "no error was shown");
    b.js("window.scrollTo(0, 0)").await;
    b.screenshot("peers").await;
    b.js("document.getElementById('peers-standing').scrollIntoView()").await;
    b.screenshot("peers-standing").await;

    // One selection for the whole page: another city chosen here (by keyboard) is the
    // planner's city too.
    let castrovega = b.app.get_json(&format!("/v1/cities/castrovega/peers?{PEERS}")).await;
    let picker = b
        .client
        .find(fantoccini::Locator::Css("#peers-city-select"))
        .await
        .unwrap();
    picker.send_keys("Castrovega").await.unwrap();
    wait_for_peers(&b, "castrovega", "done").await;
    let shown = strings(
        &b.js("return [...document.querySelectorAll('#peer-list > li.peer-card')].map(c => c.dataset.id)")
            .await,
    );
    let expected: Vec<String> = castrovega["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["city_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown, expected);
    b.click("a.tab[data-route='planner']").await;
    b.wait_for(
        "document.getElementById('city-name') && document.getElementById('city-name').textContent === 'Castrovega'",
        "the planner to follow",
    )
    .await;
    assert_eq!(
        b.js("return document.getElementById('city-select').value").await,
        "castrovega"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_that_cannot_be_compared_is_told_why_and_failures_are_in_words() {
    // Arrange: a new city with five KPI values (a comparison needs eight in common).
    let b = Browser::start(1280, 900).await;
    let observations: Vec<Value> = ["EC:I:WS:3C", "EC:ICT:WS:1C", "EN:EN:AQ:1C", "EC:I:T:1C", "EC:P:EM:1C"]
        .iter()
        .enumerate()
        .map(|(i, kpi)| json!({"kpi": kpi, "value": 10.0 + i as f64, "year": 2023}))
        .collect();
    b.app
        .put_json(
            "/v1/cities/few-kpis",
            &json!({"name": "Few KPIs Town", "country": "Nowhere", "region": "Europe", "observations": observations}),
        )
        .await;
    let peers = b.app.get_json(&format!("/v1/cities/few-kpis/peers?{PEERS}")).await;
    let standing = b.app.get_json(&format!("/v1/cities/few-kpis/benchmark?{GROUP}")).await;
    assert_eq!(peers["comparable"], false, "{peers}");
    let reason = peers["reason"].as_str().expect("a reason").to_string();
    assert_eq!(standing["reason"], peers["reason"]);

    // Act
    b.open("#/peers?city=few-kpis").await;
    wait_for_peers(&b, "few-kpis", "not-comparable").await;

    // Assert: the API's reason in words, and no made-up comparison.
    let mut sentence = reason.clone();
    sentence[..1].make_ascii_uppercase();
    sentence.push('.');
    assert_eq!(
        b.js("return document.getElementById('peers-reason').textContent").await,
        sentence
    );
    let notice = b
        .js("return document.getElementById('peers-not-comparable').innerText")
        .await;
    assert!(
        notice.as_str().unwrap().contains("Few KPIs Town cannot be compared"),
        "{notice}"
    );
    assert_eq!(
        b.js("return !!document.querySelector('#peer-list, #standing-kpis')")
            .await,
        false
    );
    assert_eq!(
        b.js("return document.getElementById('peers-city-select').value").await,
        "few-kpis"
    );
    assert_eq!(b.alerts().await, "", "not an error: a structured answer");
    b.screenshot("peers-not-comparable").await;

    // A city that is not stored (a stale shared address): the API's 404 in words.
    b.client.goto("about:blank").await.unwrap();
    b.open("#/peers?city=gone-town").await;
    wait_for_peers(&b, "gone-town", "error").await;
    let alert = b.alerts().await;
    assert!(
        alert.contains("Loading the peer cities of “gone-town” failed")
            && alert.contains("city 'gone-town' was not found"),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.querySelector('#alerts .alert[data-source=\"peers\"]').dataset.status")
            .await,
        "404"
    );
    b.close().await;
}

/// A stored city whose gap ranking (no words, ten results) carries adoption evidence, with the
/// match request and the API's answer; one with a discontinued deployment among them if any.
async fn city_with_adoptions(b: &Browser) -> (String, Value, Value) {
    let cities = b.app.get_json("/v1/cities?limit=100").await;
    let mut found = None;
    for c in cities["items"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap().to_string();
        let request = json!({"city_id": id, "limit": 10, "explain": true});
        let answer = b.app.post_json("/v1/match", &request).await;
        let adoptions: Vec<&Value> = answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["explanation"]["adoptions"].as_array().unwrap())
            .collect();
        let against = adoptions.iter().any(|a| a["status"] == "discontinued");
        if against {
            return (id, request, answer);
        }
        if !adoptions.is_empty() && found.is_none() {
            found = Some((id, request, answer));
        }
    }
    found.expect("some city's matches carry adoption evidence (the bundle records deployments)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_match_explanation_lists_what_similar_cities_adopted() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let (city, request, answer) = city_with_adoptions(&b).await;

    // Act: the city's own ranking (no words), as the page asks for it.
    b.open(&format!("#/planner?city={city}")).await;
    b.wait_for("document.querySelector('#weakest tbody tr')", "the city")
        .await;
    let seq = results_seq(&b).await;
    b.click("#ask-submit").await;
    wait_for_results_after(&b, seq).await;

    // Assert
    assert_eq!(card_ids(&b).await, ids(&answer));
    let shown = last_request(&b).await;
    assert_eq!(shown, request, "the page asked what the test asked");
    let mut checked = 0;
    for (i, r) in answer["results"].as_array().unwrap().iter().enumerate() {
        let e = &r["explanation"];
        let card = format!("#cards > li:nth-child({})", i + 1);
        // The breakdown reads words + KPIs + evidence (− diversity).
        let breakdown = b
            .js(&format!(
                "return document.querySelector('{card} .breakdown').textContent"
            ))
            .await;
        let evidence = e["evidence"].as_f64().unwrap();
        let read = breakdown_parts(breakdown.as_str().unwrap());
        let diversity = e["diversity_penalty"].as_f64().unwrap();
        let api = [
            e["text"].as_f64().unwrap(),
            e["kpi"].as_f64().unwrap(),
            evidence,
            diversity,
        ];
        assert_eq!(read.len(), if diversity > 0.0 { 4 } else { 3 }, "{breakdown}");
        for (shown, want) in read.iter().zip(api) {
            assert!((shown - want).abs() < 6e-4, "{breakdown} vs {e}");
        }
        let parts = strings(
            &b.js(&format!(
                "return [...document.querySelectorAll('{card} svg.scorebar rect[data-part]')].map(r => r.dataset.part)"
            ))
            .await,
        );
        assert_eq!(parts.contains(&"evidence".to_string()), evidence > 0.0, "{parts:?}");
        assert_eq!(parts.contains(&"against".to_string()), evidence < 0.0, "{parts:?}");
        let adoptions = e["adoptions"].as_array().unwrap();
        if adoptions.is_empty() {
            continue;
        }
        // "Why this match" lists the API's sentences, the discontinued ones as counting against.
        b.click(&format!("{card} .why-toggle")).await;
        let why = b
            .js(&format!(
                "const w = document.querySelector('{card} .why'); return {{hidden: w.hidden, text: w.textContent, \
                 items: [...w.querySelectorAll('li.adoption')].map(li => ({{summary: li.querySelector('.adoption-summary').textContent, \
                 status: li.dataset.status, against: li.classList.contains('against'), effect: li.querySelector('.adoption-effect').textContent}}))}}"
            ))
            .await;
        assert_eq!(why["hidden"], false);
        let items = why["items"].as_array().unwrap();
        assert_eq!(items.len(), adoptions.len(), "{why}");
        for (item, a) in items.iter().zip(adoptions) {
            assert_eq!(item["summary"], a["summary"]);
            assert_eq!(item["status"], a["status"]);
            let against = a["status"] == "discontinued";
            assert_eq!(item["against"], against, "{item}");
            assert_eq!(
                item["effect"].as_str().unwrap().contains("counts against"),
                against,
                "{item}"
            );
        }
        let text = why["text"].as_str().unwrap();
        assert!(text.contains("Adopted by similar cities"), "{text}");
        assert!(
            !text.to_lowercase().contains("caus"),
            "evidence is never a cause: {text}"
        );
        checked += 1;
    }
    assert!(checked > 0, "a result with adoptions was opened");
    let discontinued = answer["results"].as_array().unwrap().iter().position(|r| {
        r["explanation"]["adoptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["status"] == "discontinued")
    });
    let first = discontinued.unwrap_or_else(|| {
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .position(|r| !r["explanation"]["adoptions"].as_array().unwrap().is_empty())
            .unwrap()
    });
    b.js(&format!(
        "document.querySelector('#cards > li:nth-child({}) .why').scrollIntoView({{block: 'center'}})",
        first + 1
    ))
    .await;
    b.screenshot("evidence").await;
    assert_eq!(b.alerts().await, "", "no error was shown");
    b.close().await;
}

/// The parts of "words a + KPIs b + evidence c[ − diversity d]" (c may be "−0.042").
fn breakdown_parts(text: &str) -> Vec<f64> {
    let rest = text
        .strip_prefix("words ")
        .unwrap_or_else(|| panic!("“{text}” starts with the words part"));
    let (words, rest) = rest.split_once(" + KPIs ").expect("then the KPI part");
    let (kpis, rest) = rest.split_once(" + evidence ").expect("then the evidence part");
    let (evidence, diversity) = match rest.split_once(" − diversity ") {
        Some((e, d)) => (e, Some(d)),
        None => (rest, None),
    };
    let signed = |s: &str| match s.strip_prefix('−') {
        Some(v) => -number(v),
        None => number(s),
    };
    let mut parts = vec![number(words), number(kpis), signed(evidence)];
    parts.extend(diversity.map(number));
    parts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_phone_width_the_peers_and_the_evidence_fit() {
    // Arrange
    let b = Browser::start_phone(390, 844).await;
    let width = || async {
        b.js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .await
    };

    // Act: the peers view with everything unfolded.
    b.open("#/peers?city=qasr-alwan").await;
    wait_for_peers(&b, "qasr-alwan", "done").await;
    assert_eq!(b.js("return window.innerWidth").await, 390, "a phone-sized viewport");
    b.screenshot("phone-peers").await;
    b.js("document.querySelectorAll('#peer-list .more-ahead').forEach(b => b.click()); document.getElementById('standing-more').click();")
        .await;

    // Assert
    assert_eq!(
        b.js(&format!("return {NO_SIDEWAYS_SCROLL}")).await,
        true,
        "{}",
        width().await
    );
    let overflowing = b
        .js("return [...document.querySelectorAll('#view-peers *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5); }).map(e => e.className || e.tagName).slice(0, 5)")
        .await;
    assert_eq!(overflowing, json!([]), "every element of the view is within the screen");
    b.js("document.getElementById('standing-kpis').scrollIntoView()").await;
    b.screenshot("phone-standing").await;

    // The evidence in an explanation fits too.
    let (city, _, answer) = city_with_adoptions(&b).await;
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("#/planner?city={city}")).await;
    b.wait_for("document.querySelector('#weakest tbody tr')", "the city")
        .await;
    let seq = results_seq(&b).await;
    b.click("#ask-submit").await;
    wait_for_results_after(&b, seq).await;
    let i = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| !r["explanation"]["adoptions"].as_array().unwrap().is_empty())
        .unwrap();
    b.click(&format!("#cards > li:nth-child({}) .why-toggle", i + 1)).await;
    b.wait_for(
        &format!("document.querySelector('#cards > li:nth-child({}) li.adoption')", i + 1),
        "the adoptions",
    )
    .await;
    assert_eq!(
        b.js(&format!("return {NO_SIDEWAYS_SCROLL}")).await,
        true,
        "{}",
        width().await
    );
    b.js(&format!(
        "document.querySelector('#cards > li:nth-child({}) .evidence').scrollIntoView({{block: 'center'}})",
        i + 1
    ))
    .await;
    b.screenshot("phone-evidence").await;
    b.close().await;
}
