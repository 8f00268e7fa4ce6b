//! The planner view: the page itself, the city's gap analysis, asking, explanations, filters,
//! errors, settings and the phone layout.

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use serde_json::{json, Value};

use crate::harness::{repo, Browser, TestApp};

const QUESTION: &str = "what fixes our water KPIs?";

pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("a string: {s}")).to_string())
        .collect()
}

/// The matched terms of an explanation as a card shows them (`≈ ` before a vocabulary term).
pub(crate) fn terms_shown(explanation: &Value) -> Vec<String> {
    explanation["matched_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let term = t["term"].as_str().unwrap();
            if t["from_synonym"].as_bool().unwrap() {
                format!("≈ {term}")
            } else {
                term.to_string()
            }
        })
        .collect()
}

pub(crate) fn ids(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["solution_id"].as_str().unwrap().to_string())
        .collect()
}

/// The solution ids of the cards shown, in order.
pub(crate) async fn card_ids(b: &Browser) -> Vec<String> {
    strings(
        &b.js("return [...document.querySelectorAll('#cards > li.card')].map(c => c.dataset.id)")
            .await,
    )
}

/// Waits for the results of a request started after `seq` (the panel numbers its requests).
pub(crate) async fn wait_for_results_after(b: &Browser, seq: u64) {
    b.wait_for(
        &format!(
            "document.getElementById('results').dataset.state === 'done' && Number(document.getElementById('results').dataset.seq) > {seq}"
        ),
        "the match results",
    )
    .await;
}

/// The match request the page shows it sent last (its "last request" box).
pub(crate) async fn last_request(b: &Browser) -> Value {
    let text = b.js("return document.getElementById('last-request').textContent").await;
    serde_json::from_str(text.as_str().unwrap().trim_start_matches("POST /v1/match\n"))
        .expect("the last request is JSON")
}

pub(crate) async fn results_seq(b: &Browser) -> u64 {
    b.js("return Number(document.getElementById('results').dataset.seq)")
        .await
        .as_u64()
        .unwrap()
}

/// Chooses a stored city in the picker with the keyboard and waits for its gap analysis.
pub(crate) async fn choose_city(b: &Browser, id: &str, name: &str) {
    b.wait_for(
        &format!("document.querySelector('#city-select option[value=\"{id}\"]')"),
        "the city list",
    )
    .await;
    let select = b
        .client
        .find(fantoccini::Locator::Css("#city-select"))
        .await
        .expect("the city picker");
    // Typing the name on the focused picker selects the city, as a keyboard user would.
    select.send_keys(name).await.expect("keys reach the picker");
    b.wait_for(
        &format!(
            "document.getElementById('city-name') && document.getElementById('city-name').textContent === {} && document.querySelector('#weakest tbody tr')",
            json!(name)
        ),
        "the city's gap analysis",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_comes_from_the_binary_with_a_strict_policy_and_revalidates() {
    // Arrange
    let app = TestApp::spawn().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();

    // Act
    let page = get("/").await.unwrap();
    let script = get("/assets/app.js").await.unwrap();
    let missing = get("/assets/nothing.js").await.unwrap();

    // Assert
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'")
    );
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-cache");
    let etag = h["etag"].to_str().unwrap().to_string();
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<script type=\"module\" src=\"/assets/app.js\">"));
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    let revalidated = app
        .client
        .get(format!("{}/", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_view_shows_the_gap_analysis_of_the_api() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let gaps = b.app.get_json("/v1/cities/qasr-alwan/gaps").await;
    let catalogue = b.app.get_json("/v1/kpis").await;

    // Act
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;

    // Assert: the weakest KPIs, in the API's order, ten first, then all of them.
    let api_codes: Vec<String> = gaps["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap().to_string())
        .collect();
    assert!(api_codes.len() > 10, "the city has more than ten observed KPIs");
    let visible =
        "return [...document.querySelectorAll('#weakest tbody tr')].filter(r => !r.hidden).map(r => r.dataset.code)";
    assert_eq!(strings(&b.js(visible).await), api_codes[..10].to_vec());
    let first = gaps["kpis"][0].clone();
    let row = b
        .js("const r = document.querySelector('#weakest tbody tr'); return {text: r.innerText, band: r.querySelector('.band').className}")
        .await;
    let text = row["text"].as_str().unwrap();
    assert!(text.contains(first["name"].as_str().unwrap()), "{text}");
    assert!(text.contains(first["unit"].as_str().unwrap()), "{text}");
    let achieved = format!("{} %", (first["achievement"].as_f64().unwrap() * 100.0).round());
    assert!(text.contains(&achieved), "{text} lacks {achieved}");
    assert!(
        row["band"]
            .as_str()
            .unwrap()
            .contains(&format!("band-{}", first["band"].as_str().unwrap())),
        "{row}"
    );
    b.click("#weakest-h ~ button.more").await;
    assert_eq!(strings(&b.js(visible).await), api_codes);

    // The KPIs without data.
    let missing = strings(
        &b.js("return [...document.querySelectorAll('#missing li')].map(l => l.dataset.code)")
            .await,
    );
    let mut expected_missing = strings(&gaps["missing"]);
    let mut shown_missing = missing.clone();
    expected_missing.sort();
    shown_missing.sort();
    assert_eq!(shown_missing, expected_missing);

    // Overall share, dimensions and sub-dimensions with the API's bands.
    let overall = b.js("return document.getElementById('overall').innerText").await;
    let share = format!("{} %", (gaps["overall"]["share"].as_f64().unwrap() * 100.0).round());
    assert!(overall.as_str().unwrap().contains(&share), "{overall} lacks {share}");
    let bands = b
        .js("return Object.fromEntries([...document.querySelectorAll('.dims li[data-name]')].map(l => [`${l.dataset.level}:${l.dataset.name}`, l.dataset.band]))")
        .await;
    for level in ["dimensions", "subdimensions"] {
        for (name, r) in gaps[level].as_object().unwrap() {
            let shown = &bands[format!("{level}:{name}")];
            assert_eq!(
                shown,
                &r["band"].as_str().map_or(json!(""), |b| json!(b)),
                "{level} {name}"
            );
        }
    }
    let dimensions: std::collections::BTreeSet<&str> = catalogue
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        bands.as_object().unwrap().len(),
        dimensions.len() + gaps["subdimensions"].as_object().unwrap().len()
    );

    // The category chart: one bar per category, weakest first, coloured by the API's band.
    let bars = b
        .js("return [...document.querySelectorAll('#category-chart .bar-row')].map(g => [g.dataset.name, (g.querySelector('rect.bar') || {getAttribute: () => 'none'}).getAttribute('class')])")
        .await;
    let mut categories: Vec<(&String, &Value)> = gaps["categories"].as_object().unwrap().iter().collect();
    categories.sort_by(|a, b| {
        let share = |r: &Value| {
            if r["band"].is_null() {
                2.0
            } else {
                r["share"].as_f64().unwrap()
            }
        };
        share(a.1).total_cmp(&share(b.1)).then(a.0.cmp(b.0))
    });
    let bars = bars.as_array().unwrap();
    assert_eq!(bars.len(), categories.len());
    for (bar, (name, r)) in bars.iter().zip(&categories) {
        assert_eq!(bar[0].as_str().unwrap(), name.as_str());
        if let Some(band) = r["band"].as_str() {
            assert!(
                bar[1].as_str().unwrap().contains(&format!("band-{band}")),
                "{name}: {bar}"
            );
        }
    }
    b.screenshot("city").await;

    // "Find solutions" on the weakest KPI focuses the ranking on it.
    let seq = results_seq(&b).await;
    b.click("#weakest tbody tr:first-child button.find").await;
    wait_for_results_after(&b, seq).await;
    let focused = b
        .app
        .post_json(
            "/v1/match",
            &json!({"city_id": "qasr-alwan", "kpis": [api_codes[0]], "limit": 10, "explain": true}),
        )
        .await;
    assert_eq!(card_ids(&b).await, ids(&focused));
    let focus = b.js("return document.getElementById('focus').innerText").await;
    assert!(
        focus.as_str().unwrap().contains(first["name"].as_str().unwrap()),
        "{focus}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_shows_the_api_ranking_explains_it_and_filters_it() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    let expected_request = json!({"city_id": "qasr-alwan", "needs": QUESTION, "limit": 10, "explain": true});
    let expected = b.app.post_json("/v1/match", &expected_request).await;

    // Act: type the question and press Enter.
    let seq = results_seq(&b).await;
    b.type_into("#needs", &format!("{QUESTION}\n")).await;
    wait_for_results_after(&b, seq).await;

    // Assert: the cards are the API's results, in its order, with its titles and scores.
    assert_eq!(card_ids(&b).await, ids(&expected));
    let shown = last_request(&b).await;
    assert_eq!(shown, expected_request, "the page sent the request it shows");
    let first = &expected["results"][0];
    let card = b
        .js("const c = document.querySelector('#cards > li'); return {title: c.querySelector('.card-title').textContent, provider: c.querySelector('.provider').textContent, summary: c.querySelector('.summary').textContent, score: c.querySelector('.score-value').textContent, terms: [...c.querySelectorAll('.chip-term')].map(t => t.textContent)}")
        .await;
    assert_eq!(card["title"], first["title"]);
    assert_eq!(card["provider"], first["provider"]);
    assert_eq!(card["summary"], first["summary"]);
    let score: f64 = card["score"].as_str().unwrap().parse().unwrap();
    assert!((score - first["score"].as_f64().unwrap()).abs() < 6e-4, "{card}");
    let terms = terms_shown(&first["explanation"]);
    assert!(!terms.is_empty(), "the question's words match the first result");
    assert_eq!(strings(&card["terms"]), terms);

    // Open the first explanation: one row per contributing KPI with the city's gap and the
    // KPI's share of the score drawn to scale.
    b.click("#cards > li:first-child .why-toggle").await;
    b.wait_for(
        "!document.querySelector('#cards > li:first-child .why').hidden",
        "the explanation",
    )
    .await;
    let rows = b
        .js(r#"return [...document.querySelectorAll('#cards > li:first-child .contrib')].map(r => {
              const bar = (kind) => { const m = r.querySelector(`svg.meter[data-kind="${kind}"]`);
                if (!m) return null;
                const fill = m.querySelector('.meter-fill').getBoundingClientRect().width;
                const track = m.querySelector('.meter-track').getBoundingClientRect().width;
                return {value: Number(m.dataset.value), drawn: fill / track}; };
              return {code: r.dataset.code, contribution: Number(r.dataset.contribution), gap: bar('gap'), share: bar('contribution')}; })"#)
        .await;
    let rows = rows.as_array().unwrap();
    let api_kpis = first["explanation"]["kpis"].as_array().unwrap();
    assert!(!api_kpis.is_empty(), "the first result addresses the city's gaps");
    assert_eq!(rows.len(), api_kpis.len());
    let max_contribution = expected["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["explanation"]["kpis"].as_array().unwrap())
        .map(|k| k["contribution"].as_f64().unwrap())
        .fold(0.0, f64::max);
    for (row, k) in rows.iter().zip(api_kpis) {
        assert_eq!(row["code"], k["code"]);
        let contribution = k["contribution"].as_f64().unwrap();
        assert!(
            (row["contribution"].as_f64().unwrap() - contribution).abs() < 1e-6,
            "{row}"
        );
        let share = &row["share"];
        let want = contribution / max_contribution;
        assert!(
            (share["value"].as_f64().unwrap() - want).abs() < 1e-3,
            "{row} vs {want}"
        );
        assert!(
            (share["drawn"].as_f64().unwrap() - want).abs() < 0.02,
            "bar drawn to scale: {row} vs {want}"
        );
        match k["gap"].as_f64() {
            Some(gap) => {
                let drawn = row["gap"]["drawn"].as_f64().expect("a gap bar");
                assert!((drawn - gap.clamp(0.0, 1.0)).abs() < 0.02, "{row} vs gap {gap}");
            }
            None => assert!(row["gap"].is_null(), "{row}"),
        }
    }

    // The solution's detail: its KPI profile, declared or inferred, as the API has it.
    let detail = b.app.get_json(&format!("/v1/solutions/{}", ids(&expected)[0])).await;
    b.click("#cards > li:first-child .card-actions button:nth-child(2)")
        .await;
    b.wait_for(
        "document.getElementById('solution-dialog').open && document.getElementById('solution-dialog').dataset.state === 'done'",
        "the solution's detail",
    )
    .await;
    let profile = b
        .js("return {source: document.getElementById('profile-source').dataset.source, rows: [...document.querySelectorAll('#profile-table tbody tr')].map(r => [r.dataset.code, r.dataset.provenance])}")
        .await;
    assert_eq!(profile["source"], detail["profile_source"]);
    let api_profile: Vec<Value> = detail["profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["code"], p["provenance"]]))
        .collect();
    assert_eq!(profile["rows"].as_array().unwrap(), &api_profile);
    b.screenshot("solution-detail").await;
    b.js("document.getElementById('solution-dialog').close()").await;

    // Screenshot of the city and its results with the first explanation open (the README's
    // picture), the pointer parked off the content.
    b.js("document.activeElement.blur(); window.scrollTo(0, 0)").await;
    let park = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
        duration: None,
        x: 2.0,
        y: 2.0,
    });
    b.client.perform_actions(park).await.expect("the pointer moves");
    b.client.set_window_size(1280, 1500).await.expect("a taller window");
    b.wait_for("window.innerHeight > 1000", "the taller window").await;
    let shot = b.screenshot("planner").await;
    if std::env::var_os("KPIMATCH_UPDATE_SCREENSHOT").is_some() {
        std::fs::create_dir_all(repo().join("docs")).expect("docs/ exists");
        std::fs::copy(&shot, repo().join("docs/screenshot.png")).expect("docs/screenshot.png is written");
    }
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("the window back to laptop size");

    // Apply a filter: only pilots. The cards change and are the API's filtered ranking.
    let seq = results_seq(&b).await;
    b.click("#filters > summary").await;
    b.click("label[for='f-maturity-pilot']").await;
    wait_for_results_after(&b, seq).await;
    let filtered_request = json!({"city_id": "qasr-alwan", "needs": QUESTION, "filters": {"maturity": ["pilot"]}, "limit": 10, "explain": true});
    let filtered = b.app.post_json("/v1/match", &filtered_request).await;
    let shown_ids = card_ids(&b).await;
    assert_eq!(shown_ids, ids(&filtered));
    assert!(
        !shown_ids.is_empty() && shown_ids != ids(&expected),
        "the filter changed the cards"
    );
    for id in &shown_ids {
        let s = b.app.get_json(&format!("/v1/solutions/{id}")).await;
        assert_eq!(s["maturity"], "pilot", "{id}");
    }
    assert_eq!(
        b.js("return document.getElementById('filter-count').textContent").await,
        "(1 active)"
    );

    // Diversity by keyboard: ten steps of 0.05 on the slider re-rank with diversity 0.5.
    let seq = results_seq(&b).await;
    let slider = b.client.find(fantoccini::Locator::Css("#diversity")).await.unwrap();
    slider.send_keys(&"\u{E014}".repeat(10)).await.unwrap();
    wait_for_results_after(&b, seq).await;
    b.wait_for(
        "document.getElementById('last-request').textContent.includes('\"diversity\": 0.5')",
        "diversity 0.5",
    )
    .await;
    let mut diverse_request = filtered_request.clone();
    diverse_request["diversity"] = json!(0.5);
    let diverse = b.app.post_json("/v1/match", &diverse_request).await;
    assert_eq!(card_ids(&b).await, ids(&diverse));
    assert_eq!(
        b.js("return document.getElementById('diversity-value').textContent")
            .await,
        "0.5"
    );

    // Nothing came from another origin: every resource the page loaded is the app's own.
    let resources = strings(
        &b.js("return performance.getEntriesByType('resource').map(e => e.name)")
            .await,
    );
    assert!(
        resources.iter().any(|r| r.ends_with("/assets/panel-ask.js")),
        "{resources:?}"
    );
    assert!(resources.iter().any(|r| r.ends_with("/v1/match")), "{resources:?}");
    for r in &resources {
        assert!(
            r.starts_with(&format!("{}/", b.app.address)),
            "{r} is not from the app's origin"
        );
    }
    assert_eq!(b.alerts().await, "", "no error was shown");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_reported_in_words_and_good_input_saves_a_city() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("").await;
    b.click("#new-city-toggle").await;
    b.type_into("#new-name", "Test Town").await;
    assert_eq!(
        b.js("return document.getElementById('new-id').value").await,
        "test-town"
    );
    let city_exists = || async {
        b.app
            .client
            .get(format!("{}/v1/cities/test-town", b.app.address))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    };

    // Act 1: malformed values are caught before anything is sent, line by line.
    b.paste_into("#new-values", "EC:I:WS:3C, abc, 2023\nnot-a-code 12 2023")
        .await;
    b.click("#new-city button[type=submit]").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-source=\"new-city\"]')",
        "the parse error",
    )
    .await;

    // Assert 1
    let alert = b.alerts().await;
    assert!(alert.contains("The KPI values could not be read"), "{alert}");
    assert!(
        alert.contains("Line 1") && alert.contains("“abc” of EC:I:WS:3C is not a number"),
        "{alert}"
    );
    assert!(
        alert.contains("Line 2") && alert.contains("is not a U4SSC KPI code"),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.getElementById('new-values').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    assert!(!city_exists().await, "nothing was stored");

    // Act 2: a well-formed code the catalogue does not know: the API's 422 in words.
    b.paste_into("#new-values", "EC:I:WS:3C 28.5 2023\nEC:I:WS:9C 12 2023")
        .await;
    b.click("#new-city button[type=submit]").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-code=\"unknown_kpi\"]')",
        "the API's error",
    )
    .await;

    // Assert 2
    let alert = b.alerts().await;
    assert!(alert.contains("The city was not saved: Unknown KPI code"), "{alert}");
    assert!(
        alert.contains("EC:I:WS:9C") && alert.contains("(line 2 of the KPI values)"),
        "{alert}"
    );
    assert!(alert.contains("Field: observations[1].kpi"), "{alert}");
    assert!(!city_exists().await, "nothing was stored");

    // Act 3: good values in three formats (tab, semicolon with a decimal comma, spaces with a
    // city target) are saved and analysed.
    b.paste_into(
        "#new-values",
        "kpi\tvalue\tyear\nEC:I:WS:3C\t42\t2023\nEC:ICT:WS:1C;5,5;2023\nEN: EN: AQ: 1C 31 2022 20",
    )
    .await;
    b.click("#new-city button[type=submit]").await;
    b.wait_for(
        "document.getElementById('city-name') && document.getElementById('city-name').textContent === 'Test Town'",
        "the new city's gap analysis",
    )
    .await;

    // Assert 3
    assert_eq!(b.alerts().await, "", "the earlier errors are gone");
    let stored = b.app.get_json("/v1/cities/test-town").await;
    assert_eq!(
        stored["observations"],
        json!([
            {"kpi": "EC:I:WS:3C", "value": 42.0, "year": 2023},
            {"kpi": "EC:ICT:WS:1C", "value": 5.5, "year": 2023},
            {"kpi": "EN:EN:AQ:1C", "value": 31.0, "year": 2022, "target": 20.0}
        ])
    );
    let gaps = b.app.get_json("/v1/cities/test-town/gaps").await;
    let expected: Vec<String> = gaps["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        strings(
            &b.js("return [...document.querySelectorAll('#weakest tbody tr')].map(r => r.dataset.code)")
                .await
        ),
        expected
    );
    assert_eq!(
        b.js("return document.getElementById('city-select').value").await,
        "test-town"
    );

    // Act 4: no city and no words: the API says there is nothing to match on.
    b.client
        .find(fantoccini::Locator::Css("#city-select"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    b.wait_for("!document.getElementById('city-name')", "the city to be cleared")
        .await;
    b.click("#ask-submit").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-source=\"ask\"]')",
        "the match error",
    )
    .await;

    // Assert 4
    let alert = b.alerts().await;
    assert!(
        alert.contains("Finding solutions failed: A field has an invalid value"),
        "{alert}"
    );
    assert!(alert.contains("nothing to match on"), "{alert}");
    assert_eq!(
        b.js("return document.querySelector('#alerts .alert[data-source=\"ask\"]').dataset.status")
            .await,
        "422"
    );
    b.screenshot("errors").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_kept_for_the_tab_and_sent_and_refusals_are_explained() {
    // Arrange: record the headers of every request the page makes.
    let b = Browser::start(1280, 900).await;
    b.open("").await;
    b.js(
        "window.__sent = []; const f = window.fetch; window.fetch = (url, init) => { \
         window.__sent.push({url: String(url), auth: (init && init.headers && init.headers.Authorization) || null}); \
         return f(url, init); };",
    )
    .await;

    // Act: set a key in Settings with the keyboard, then use the page.
    b.click("#settings-toggle").await;
    b.wait_for(
        "document.activeElement && document.activeElement.id === 'api-key'",
        "the key field",
    )
    .await;
    b.type_into("#api-key", "k-123\n").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;

    // Assert
    assert_eq!(b.js("return sessionStorage.getItem('kpimatch.apiKey')").await, "k-123");
    let sent = b.js("return window.__sent").await;
    let sent = sent.as_array().unwrap();
    assert!(
        sent.iter()
            .any(|r| r["url"].as_str().unwrap().contains("/v1/cities/qasr-alwan/gaps")),
        "{sent:?}"
    );
    for r in sent {
        assert_eq!(r["auth"], "Bearer k-123", "{r}");
    }

    // A refusal (as an API with keys answers) is explained, with where to set the key.
    b.js(
        "window.fetch = async () => new Response(JSON.stringify({type: 'https://kpimatch.example/problems/unauthorized', \
         title: 'Authentication required', status: 401, detail: 'The API key is missing or not valid.', code: 'unauthorized'}), \
         {status: 401, headers: {'Content-Type': 'application/problem+json'}});",
    )
    .await;
    b.click("#ask-submit").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-status=\"401\"]')",
        "the refusal",
    )
    .await;
    let alert = b.alerts().await;
    assert!(alert.contains("Authentication required"), "{alert}");
    assert!(alert.contains("The API key is missing or not valid."), "{alert}");
    assert!(alert.contains("set it under Settings"), "{alert}");

    // Clearing the key removes it.
    b.click("#settings-toggle").await;
    b.click("#settings-panel button[type=button]").await;
    assert_eq!(
        b.js("return sessionStorage.getItem('kpimatch.apiKey')").await,
        Value::Null
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_users_see_focus_and_every_control_has_a_label() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("#/planner?city=qasr-alwan").await;
    b.wait_for("document.querySelector('#weakest tbody tr')", "the city")
        .await;

    // Act: the first Tab from the top of the page.
    b.js("document.activeElement && document.activeElement.blur(); window.focus();")
        .await;
    let body = b.client.find(fantoccini::Locator::Css("body")).await.unwrap();
    body.send_keys("\u{E004}").await.unwrap();

    // Assert: it reaches the skip link, drawn with a visible outline.
    let focused = b
        .js("const a = document.activeElement; const s = getComputedStyle(a); return {cls: a.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}")
        .await;
    assert_eq!(focused["cls"], "skip-link", "{focused}");
    assert_ne!(focused["outline"], "none", "{focused}");
    assert!(focused["width"].as_f64().unwrap() >= 2.0, "{focused}");

    // Every form control, shown or not, has an accessible name.
    let unlabelled = b
        .js("return [...document.querySelectorAll('input, select, textarea, button')].filter(e => \
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim()).map(e => e.outerHTML.slice(0, 120))")
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a name");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_phone_width_nothing_scrolls_sideways() {
    // Arrange
    let b = Browser::start_phone(390, 844).await;
    let no_sideways_scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth";
    let width = || async {
        b.js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .await
    };

    // Act: a shared address opens the city and asks at once.
    b.open("#/planner?city=qasr-alwan&q=what%20fixes%20our%20water%20KPIs%3F")
        .await;
    wait_for_results_after(&b, 0).await;

    // Assert
    assert_eq!(b.js("return window.innerWidth").await, 390, "a phone-sized viewport");
    assert_eq!(
        b.js(&format!("return {no_sideways_scroll}")).await,
        true,
        "{}",
        width().await
    );
    assert_eq!(
        b.js("return document.getElementById('needs').value").await,
        "what fixes our water KPIs?"
    );
    b.screenshot("phone-city").await;
    b.click("#weakest-h ~ button.more").await;
    b.click("#cards > li:first-child .why-toggle").await;
    assert_eq!(
        b.js(&format!("return {no_sideways_scroll}")).await,
        true,
        "{}",
        width().await
    );
    b.js("document.querySelector('#cards > li:first-child').scrollIntoView()")
        .await;
    b.screenshot("phone-results").await;
    b.click("#cards > li:first-child .card-actions button:nth-child(2)")
        .await;
    b.wait_for(
        "document.getElementById('solution-dialog').dataset.state === 'done'",
        "the detail",
    )
    .await;
    let dialog = b
        .js("const r = document.getElementById('solution-dialog').getBoundingClientRect(); return r.right <= window.innerWidth && r.left >= 0")
        .await;
    assert_eq!(dialog, true, "the detail fits the screen");
    b.js("document.getElementById('solution-dialog').close()").await;
    b.click("a.tab[data-route='benchmark']").await;
    b.wait_for(
        "document.getElementById('bench-form') && !document.getElementById('view-benchmark').hidden",
        "the benchmark view",
    )
    .await;
    assert_eq!(
        b.js(&format!("return {no_sideways_scroll}")).await,
        true,
        "{}",
        width().await
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filters_offer_the_catalogues_own_values_with_counts() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    b.wait_for(
        "document.getElementById('f-region').dataset.state === 'loaded' && document.getElementById('category-list').dataset.state === 'loaded'",
        "the filter values",
    )
    .await;
    let facets = b.app.get_json("/v1/facets").await;
    let labelled = |field: &str| -> Vec<(String, String)> {
        facets[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let value = c["value"].as_str().unwrap().to_string();
                let label = format!("{value} ({})", c["count"]);
                (value, label)
            })
            .collect()
    };

    // Assert: the categories as the API counts them, most used first; the regions with their
    // counts, by name, without Global (a global solution passes every region filter).
    let categories: Vec<(String, String)> = serde_json::from_value(
        b.js("return [...document.querySelectorAll('#category-list option')].map(o => [o.value, o.label])")
            .await,
    )
    .unwrap();
    assert_eq!(categories, labelled("categories"));
    let regions: Vec<(String, String)> = serde_json::from_value(
        b.js("return [...document.querySelectorAll('#f-region option')].filter(o => o.value).map(o => [o.value, o.textContent])")
            .await,
    )
    .unwrap();
    let mut expected = labelled("regions");
    expected.retain(|(v, _)| v != "Global");
    expected.sort();
    assert_eq!(regions, expected);

    // Act: ask, then filter by the least served region.
    let seq = results_seq(&b).await;
    b.type_into("#needs", &format!("{QUESTION}\n")).await;
    wait_for_results_after(&b, seq).await;
    let region = expected
        .iter()
        .min_by_key(|(v, _)| {
            facets["regions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["value"] == v.as_str())
                .unwrap()["count"]
                .as_u64()
        })
        .unwrap()
        .0
        .clone();
    let seq = results_seq(&b).await;
    b.click("#filters > summary").await;
    b.js_with(
        "const s = document.getElementById('f-region'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        vec![json!(region)],
    )
    .await;
    wait_for_results_after(&b, seq).await;

    // Assert: the cards are the API's ranking under that region filter.
    let filtered = b
        .app
        .post_json(
            "/v1/match",
            &json!({"city_id": "qasr-alwan", "needs": QUESTION, "filters": {"regions": [region]}, "limit": 10, "explain": true}),
        )
        .await;
    assert_eq!(card_ids(&b).await, ids(&filtered));
    assert!(!ids(&filtered).is_empty(), "{region} has solutions");
    let sent = last_request(&b).await;
    assert_eq!(sent["filters"]["regions"], json!([region]), "the page sent the filter");
    b.close().await;
}
