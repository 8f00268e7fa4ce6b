//! The provider view: the cities a solution should approach against
//! `GET /v1/solutions/{id}/cities` (order, scores, the reasons in words, the gap bars to scale,
//! the filters, the adopters apart), the catalogue browsed page by page as `GET /v1/solutions`
//! lists it, a shared address, and bad input or unknown solutions reported in words.

use serde_json::{json, Value};

use crate::harness::Browser;
use crate::planner::{strings, terms_shown};

/// The solution the tests approach cities with: two stored cities record it (one dropped it).
pub(crate) const SOLUTION: &str = "rillstone-meter-as-a-service";

/// A share 0–1 as the page rounds it: "76 %".
pub(crate) fn pct(share: f64) -> String {
    format!("{} %", (share * 100.0).round())
}

/// Reads a number as the page writes it ("0.265", "1,250,000").
pub(crate) fn number(text: &str) -> f64 {
    let t = text.trim().trim_end_matches('%').trim().replace(',', "");
    t.parse()
        .unwrap_or_else(|e| panic!("“{text}” is not a number as the page writes them: {e}"))
}

/// JavaScript: the share of its track an SVG bar's fill (or its segments) is drawn over.
pub(crate) const DRAWN: &str =
    "const drawn = (svg, fill) => { const t = svg.querySelector('.meter-track').getBoundingClientRect().width; \
     return [...svg.querySelectorAll(fill)].reduce((a, r) => a + r.getBoundingClientRect().width, 0) / t; };";

/// Whether nothing scrolls sideways.
pub(crate) const NO_SIDEWAYS_SCROLL: &str =
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth";

/// Waits until the leads shown are those of a request started after `seq`, in `state`.
async fn wait_for_leads_after(b: &Browser, seq: u64, state: &str) {
    b.wait_for(
        &format!(
            "document.getElementById('leads') && document.getElementById('leads').dataset.state === {} && Number(document.getElementById('leads').dataset.seq) > {seq}",
            json!(state)
        ),
        "the cities to approach",
    )
    .await;
}

async fn leads_seq(b: &Browser) -> u64 {
    b.js("return Number(document.getElementById('leads').dataset.seq)")
        .await
        .as_u64()
        .unwrap()
}

/// The cities shown, in order.
async fn lead_ids(b: &Browser) -> Vec<String> {
    strings(
        &b.js("return [...document.querySelectorAll('#lead-list > li.lead-card')].map(c => c.dataset.city)")
            .await,
    )
}

fn lead_city_ids(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["city_id"].as_str().unwrap().to_string())
        .collect()
}

/// Every lead card against the API's answer: name, score, the gaps in words with their bars to
/// scale, the needs words matched and the adoption summaries.
async fn assert_leads_match(b: &Browser, answer: &Value) {
    assert_eq!(lead_ids(b).await, lead_city_ids(answer));
    let cards = b
        .js(&format!(
            r#"{DRAWN} return [...document.querySelectorAll('#lead-list > li.lead-card')].map(c => ({{
              name: c.querySelector('.lead-name').textContent, score: c.querySelector('.score-value').textContent,
              gaps: [...c.querySelectorAll('li.lead-gap')].map(g => {{ const m = g.querySelector('svg.meter[data-kind="gap"]');
                return {{code: g.dataset.code, standing: g.querySelector('.standing').textContent, drawn: m ? drawn(m, '.meter-fill') : null}}; }}),
              terms: [...c.querySelectorAll('.lead-terms li')].map(t => t.textContent),
              adoptions: [...c.querySelectorAll('li.adoption .adoption-summary')].map(a => a.textContent)}}))"#
        ))
        .await;
    let cards = cards.as_array().unwrap();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(cards.len(), results.len());
    for (card, r) in cards.iter().zip(results) {
        let e = &r["explanation"];
        let what = r["city_id"].as_str().unwrap();
        assert_eq!(card["name"], r["city_name"], "{what}");
        let score = number(card["score"].as_str().unwrap());
        assert!((score - r["score"].as_f64().unwrap()).abs() < 6e-4, "{what}: {card}");
        let gaps = card["gaps"].as_array().unwrap();
        let kpis = e["kpis"].as_array().unwrap();
        assert_eq!(gaps.len(), kpis.len(), "{what}");
        for (g, k) in gaps.iter().zip(kpis) {
            assert_eq!(g["code"], k["code"], "{what}");
            let standing = g["standing"].as_str().unwrap();
            match (k["city_value"].as_f64(), k["target"].as_f64()) {
                (Some(v), Some(t)) => {
                    let (now, target) = standing
                        .split_once(" now, target ")
                        .unwrap_or_else(|| panic!("{what}: “{standing}” says value and target"));
                    assert!((number(now) - v).abs() <= 0.005 + 1e-9, "{what}: {standing} vs {v}");
                    assert!((number(target) - t).abs() <= 0.005 + 1e-9, "{what}: {standing} vs {t}");
                }
                _ => assert_eq!(standing, "the city reports no value", "{what}"),
            }
            match k["gap"].as_f64() {
                Some(gap) => {
                    let drawn = g["drawn"].as_f64().expect("a gap bar");
                    assert!(
                        (drawn - gap.clamp(0.0, 1.0)).abs() < 0.02,
                        "{what}: bar to scale {g} vs {gap}"
                    );
                }
                None => assert!(g["drawn"].is_null(), "{what}"),
            }
        }
        let terms = terms_shown(e);
        assert_eq!(strings(&card["terms"]), terms, "{what}");
        let summaries: Vec<String> = e["adoptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["summary"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(strings(&card["adoptions"]), summaries, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_view_shows_the_cities_to_approach_as_the_api_ranks_them() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let path = format!("/v1/solutions/{SOLUTION}/cities?limit=10");
    let expected = b.app.get_json(&path).await;
    assert!(lead_city_ids(&expected).len() > 5, "{expected}");
    b.open("#/provider").await;
    b.wait_for(
        "document.getElementById('provider-solution-list').dataset.state === 'loaded' && document.getElementById('lead-region').dataset.state === 'loaded'",
        "the catalogue's suggestions",
    )
    .await;

    // The suggestions are the whole catalogue (read page by page).
    let suggested = strings(
        &b.js("return [...document.querySelectorAll('#provider-solution-list option')].map(o => o.value)")
            .await,
    );
    let total = b.app.get_json("/v1/solutions?limit=1").await["total"].as_u64().unwrap();
    assert_eq!(suggested.len() as u64, total);
    assert!(suggested.iter().any(|s| s == SOLUTION));

    // Act: type the solution's id and press Enter.
    let seq = leads_seq(&b).await;
    b.type_into("#provider-solution", &format!("{SOLUTION}\n")).await;
    wait_for_leads_after(&b, seq, "done").await;

    // Assert: the API's cities, in its order, with its scores and reasons.
    assert_leads_match(&b, &expected).await;
    assert_eq!(
        b.js("return document.getElementById('leads-request').textContent")
            .await,
        format!("GET {path}")
    );
    let focus = b
        .js("const s = getComputedStyle(document.activeElement); return [document.activeElement.id, s.outlineStyle, parseFloat(s.outlineWidth)]")
        .await;
    assert_eq!(focus[0], "provider-solution");
    assert_ne!(focus[1], "none", "the focused field is outlined: {focus}");
    assert!(focus[2].as_f64().unwrap() >= 2.0, "{focus}");
    let with_adoptions = expected["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["explanation"]["adoptions"].as_array().unwrap().is_empty())
        .count();
    assert!(with_adoptions > 0, "some lead carries adoption evidence");
    b.screenshot("provider").await;

    // Act: Europe, at least 200,000 inhabitants, and the cities already using it.
    let filtered_path =
        format!("/v1/solutions/{SOLUTION}/cities?limit=10&region=Europe&population_min=200000&include_adopters=true");
    let filtered = b.app.get_json(&filtered_path).await;
    let seq = leads_seq(&b).await;
    b.js("const s = document.getElementById('lead-region'); s.value = 'Europe'; s.dispatchEvent(new Event('change'));")
        .await;
    b.type_into("#lead-pop-min", "200000").await;
    b.click("label[for='lead-adopters']").await;
    b.click("#provider-submit").await;
    wait_for_leads_after(&b, seq, "done").await;

    // Assert: the filtered ranking, and the adopters apart, as the API lists them.
    assert_leads_match(&b, &filtered).await;
    assert!(!lead_city_ids(&filtered).is_empty());
    assert_eq!(
        b.js("return document.getElementById('leads-request').textContent")
            .await,
        format!("GET {filtered_path}")
    );
    let adopters = b
        .js("return [...document.querySelectorAll('#adopters li.adopter')].map(a => [a.dataset.city, a.dataset.status, a.textContent])")
        .await;
    let adopters = adopters.as_array().unwrap();
    let api_adopters = filtered["adopters"].as_array().unwrap();
    assert_eq!(adopters.len(), api_adopters.len());
    assert!(!api_adopters.is_empty());
    for (shown, a) in adopters.iter().zip(api_adopters) {
        assert_eq!(shown[0], a["city_id"]);
        assert_eq!(shown[1], a["status"]);
        let text = shown[2].as_str().unwrap();
        assert!(
            text.contains(a["city_name"].as_str().unwrap()) && text.contains(&a["year"].to_string()),
            "{text}"
        );
    }
    for a in api_adopters {
        assert!(
            !lead_ids(&b).await.contains(&a["city_id"].as_str().unwrap().to_string()),
            "an adopter is never a lead"
        );
    }

    // The address is shareable: opened afresh, it asks the same.
    let url = b.client.current_url().await.unwrap();
    let fragment = format!("#{}", url.fragment().unwrap());
    assert!(
        fragment.contains(&format!("solution={SOLUTION}"))
            && fragment.contains("region=Europe")
            && fragment.contains("min=200000")
            && fragment.contains("adopters=1"),
        "{fragment}"
    );
    b.client.goto("about:blank").await.unwrap();
    b.open(&fragment).await;
    wait_for_leads_after(&b, 0, "done").await;
    assert_leads_match(&b, &filtered).await;
    assert_eq!(
        b.js("return document.querySelectorAll('#adopters li.adopter').length")
            .await,
        json!(api_adopters.len())
    );

    // Browse the catalogue by keyboard: the pages are GET /v1/solutions's.
    b.click("#provider-browse > summary").await;
    b.wait_for(
        "document.getElementById('browse-list').dataset.state === 'done'",
        "the first page of the catalogue",
    )
    .await;
    let page_ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let browsed = "return [...document.querySelectorAll('#browse-list li')].map(l => l.dataset.id)";
    let first_page = b.app.get_json("/v1/solutions?limit=10&offset=0").await;
    assert_eq!(strings(&b.js(browsed).await), page_ids(&first_page));
    let next = b.client.find(fantoccini::Locator::Css("#browse-next")).await.unwrap();
    next.send_keys("\u{E007}").await.unwrap();
    b.wait_for(
        "document.getElementById('browse-list').dataset.state === 'done' && document.getElementById('browse-list').dataset.offset === '10'",
        "the second page",
    )
    .await;
    let second_page = b.app.get_json("/v1/solutions?limit=10&offset=10").await;
    assert_eq!(strings(&b.js(browsed).await), page_ids(&second_page));
    assert_eq!(
        b.js("return document.getElementById('browse-status').textContent")
            .await,
        format!("11–20 of {total}")
    );
    let chosen = page_ids(&second_page)[1].clone();
    let seq = leads_seq(&b).await;
    let choose = b
        .client
        .find(fantoccini::Locator::Css("#browse-list li:nth-child(2) button"))
        .await
        .unwrap();
    choose.send_keys("\u{E007}").await.unwrap();
    wait_for_leads_after(&b, seq, "done").await;
    assert_eq!(
        b.js("return document.getElementById('provider-solution').value").await,
        json!(chosen)
    );
    let other = b
        .app
        .get_json(&format!(
            "/v1/solutions/{chosen}/cities?limit=10&region=Europe&population_min=200000&include_adopters=true"
        ))
        .await;
    assert_eq!(lead_ids(&b).await, lead_city_ids(&other));

    // Every control of the view has a name, and nothing went wrong.
    let unlabelled = b
        .js("return [...document.querySelectorAll('#view-provider input, #view-provider select, #view-provider button')].filter(e => \
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim()).map(e => e.outerHTML.slice(0, 120))")
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a name");
    assert_eq!(b.alerts().await, "", "no error was shown");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_view_reports_bad_filters_and_unknown_solutions_in_words() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("#/provider").await;
    b.wait_for(
        "document.getElementById('provider-solution-list').dataset.state === 'loaded'",
        "the catalogue",
    )
    .await;
    b.js("window.__asked = 0; const f = window.fetch; window.fetch = (url, init) => { if (String(url).includes('/cities?')) window.__asked += 1; return f(url, init); };")
        .await;

    // Act 1: nothing chosen, and a negative population: caught before anything is sent.
    b.type_into("#lead-pop-max", "-5").await;
    b.click("#provider-submit").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-source=\"provider\"]')",
        "the form's error",
    )
    .await;

    // Assert 1
    let alert = b.alerts().await;
    assert!(alert.contains("The cities could not be looked up"), "{alert}");
    assert!(alert.contains("Choose a solution"), "{alert}");
    assert!(
        alert.contains("“Inhabitants at most” must be a whole number of 0 or more."),
        "{alert}"
    );
    assert_eq!(
        b.js("return [document.getElementById('provider-solution').getAttribute('aria-invalid'), document.getElementById('lead-pop-max').getAttribute('aria-invalid'), document.activeElement.id]")
            .await,
        json!(["true", "true", "provider-solution"])
    );
    assert_eq!(b.js("return window.__asked").await, 0, "nothing was sent");

    // Act 2: at least 500,000 and at most 100,000 inhabitants: the API's 400 in words.
    let seq = leads_seq(&b).await;
    b.type_into("#provider-solution", SOLUTION).await;
    b.type_into("#lead-pop-min", "500000").await;
    b.type_into("#lead-pop-max", "100000\n").await;
    wait_for_leads_after(&b, seq, "error").await;

    // Assert 2
    let alert = b.alerts().await;
    assert!(
        alert.contains(&format!(
            "Finding the cities for “{SOLUTION}” failed: A query parameter is invalid"
        )),
        "{alert}"
    );
    assert!(alert.contains("500000 is above population_max 100000"), "{alert}");
    assert!(alert.contains("Field: population_min"), "{alert}");
    assert_eq!(
        b.js("return document.querySelector('#alerts .alert[data-source=\"provider\"]').dataset.status")
            .await,
        "400"
    );
    assert_eq!(
        b.js("return document.getElementById('lead-pop-min').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    assert!(
        !alert.contains("Choose a solution"),
        "the earlier error was replaced: {alert}"
    );

    // Act 3: a solution that is not stored (a stale shared address): the API's 404 in words.
    b.client.goto("about:blank").await.unwrap();
    b.open("#/provider?solution=gone-solution").await;
    wait_for_leads_after(&b, 0, "error").await;

    // Assert 3
    let alert = b.alerts().await;
    assert!(
        alert.contains("Finding the cities for “gone-solution” failed: Not found")
            && alert.contains("solution 'gone-solution' was not found"),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.getElementById('leads').innerText").await,
        "No cities: see the message at the top of the page."
    );
    b.screenshot("provider-errors").await;
    b.close().await;
}
