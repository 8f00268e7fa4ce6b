//! The portfolio view against `POST /v1/portfolio` (the picks in order with what each adds, the
//! total coverage and each weighed KPI's coverage drawn to scale, split by the solutions that
//! cover it, the weak KPIs left uncovered), its settings by keyboard, errors in words, and the
//! new views at phone width.

use serde_json::{json, Value};

use crate::harness::Browser;
use crate::planner::strings;
use crate::provider::{pct, DRAWN, NO_SIDEWAYS_SCROLL, SOLUTION};

/// Waits until the portfolio shown is that of a request started after `seq`, in `state`.
async fn wait_for_portfolio_after(b: &Browser, seq: u64, state: &str) {
    b.wait_for(
        &format!(
            "document.getElementById('portfolio-out') && document.getElementById('portfolio-out').dataset.state === {} && Number(document.getElementById('portfolio-out').dataset.seq) > {seq}",
            json!(state)
        ),
        "the portfolio",
    )
    .await;
}

async fn portfolio_seq(b: &Browser) -> u64 {
    b.js("return Number(document.getElementById('portfolio-out').dataset.seq)")
        .await
        .as_u64()
        .unwrap()
}

/// The request the page shows it sent last.
async fn portfolio_request(b: &Browser) -> Value {
    let text = b
        .js("return document.getElementById('portfolio-request').textContent")
        .await;
    serde_json::from_str(text.as_str().unwrap().trim_start_matches("POST /v1/portfolio\n"))
        .expect("the request is JSON")
}

/// A share as the page writes a gain: a decimal below 1 %.
fn share(x: f64) -> String {
    if x > 0.0 && x < 0.01 {
        let tenth = (x * 1000.0).round() / 10.0;
        format!("{tenth} %")
    } else {
        pct(x)
    }
}

/// What the page shows against the API's portfolio: picks, coverage, per-KPI bars, uncovered.
async fn assert_portfolio_matches(b: &Browser, p: &Value) {
    let items = p["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{p}");
    let shown = b
        .js(&format!(
            r#"{DRAWN} return {{
              picks: [...document.querySelectorAll('#portfolio-items > li.pick')].map(l => ({{id: l.dataset.id, rank: l.querySelector('.pick-rank').textContent,
                adds: l.querySelector('.score-value').textContent, kpis: [...l.querySelectorAll('.pick-kpis li')].map(k => k.dataset.code),
                bar: drawn(l.querySelector('svg.meter[data-kind="gain"]'), '.meter-fill')}})),
              coverage: document.getElementById('portfolio-coverage-value').textContent,
              segments: [...document.querySelectorAll('#portfolio-coverage rect.segment')].map(r => [r.dataset.id, r.getBoundingClientRect().width / document.querySelector('#portfolio-coverage .meter-track').getBoundingClientRect().width]),
              kpis: [...document.querySelectorAll('#portfolio-kpis > li.kpi-cover')].map(l => {{ const svg = l.querySelector('svg.coverbar');
                return {{code: l.dataset.code, hidden: l.hidden, covered: l.querySelector('.bar-value').textContent, drawn: drawn(svg, 'rect.segment'),
                  segments: [...svg.querySelectorAll('rect.segment')].map(r => [r.dataset.id, r.getBoundingClientRect().width / svg.querySelector('.meter-track').getBoundingClientRect().width]),
                  by: [...l.querySelectorAll('.by')].map(s => s.dataset.id)}}; }}),
              uncovered: [...document.querySelectorAll('#portfolio-uncovered li')].map(l => l.dataset.code)}}"#
        ))
        .await;

    // The picks in order, with what each adds (its bar scaled to the largest).
    let picks = shown["picks"].as_array().unwrap();
    assert_eq!(picks.len(), items.len());
    let max_share = items
        .iter()
        .map(|i| i["gain_share"].as_f64().unwrap())
        .fold(1e-9, f64::max);
    for (shown, i) in picks.iter().zip(items) {
        assert_eq!(shown["id"], i["solution_id"]);
        assert_eq!(shown["rank"], i["rank"].to_string());
        let gain_share = i["gain_share"].as_f64().unwrap();
        assert_eq!(shown["adds"], format!("+{}", share(gain_share)), "{shown}");
        let codes: Vec<Value> = i["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["code"].clone())
            .collect();
        assert_eq!(shown["kpis"].as_array().unwrap(), &codes);
        let want = gain_share / max_share;
        assert!(
            (shown["bar"].as_f64().unwrap() - want).abs() < 0.02,
            "{shown} vs {want}"
        );
    }

    // The total, drawn as the items' shares side by side.
    assert_eq!(shown["coverage"], pct(p["coverage"].as_f64().unwrap()));
    let segments = shown["segments"].as_array().unwrap();
    assert_eq!(segments.len(), items.len());
    for (seg, i) in segments.iter().zip(items) {
        assert_eq!(seg[0], i["solution_id"]);
        assert!(
            (seg[1].as_f64().unwrap() - i["gain_share"].as_f64().unwrap()).abs() < 0.01,
            "{seg}"
        );
    }

    // Every weighed KPI, largest weight first: covered share drawn to scale, split by the
    // solutions that cover it (each its gain over the KPI's weight).
    let kpis = shown["kpis"].as_array().unwrap();
    let api_kpis = p["kpis"].as_array().unwrap();
    assert_eq!(kpis.len(), api_kpis.len());
    for (row, k) in kpis.iter().zip(api_kpis) {
        let code = k["code"].as_str().unwrap();
        assert_eq!(row["code"], k["code"]);
        let covered = k["covered"].as_f64().unwrap();
        assert_eq!(row["covered"], pct(covered), "{code}");
        assert!(
            (row["drawn"].as_f64().unwrap() - covered).abs() < 0.02,
            "{code}: {row} vs {covered}"
        );
        assert_eq!(row["by"], k["covered_by"], "{code}");
        let weight = k["weight"].as_f64().unwrap();
        for seg in row["segments"].as_array().unwrap() {
            let item = items.iter().find(|i| i["solution_id"] == seg[0]).expect("a pick");
            let gain = item["kpis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["code"] == code)
                .map_or(0.0, |x| x["gain"].as_f64().unwrap());
            assert!(
                (seg[1].as_f64().unwrap() - gain / weight).abs() < 0.02,
                "{code}: {seg} vs {}",
                gain / weight
            );
        }
    }
    let uncovered: Vec<Value> = p["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].clone())
        .collect();
    assert_eq!(shown["uncovered"].as_array().unwrap(), &uncovered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portfolio_shows_the_api_picks_and_their_coverage_to_scale() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let first = json!({"city_id": "qasr-alwan", "size": 5});
    let expected = b.app.post_json("/v1/portfolio", &first).await;

    // Act: the view follows the chosen city and builds at once.
    b.open("#/portfolio?city=qasr-alwan").await;
    wait_for_portfolio_after(&b, 0, "done").await;

    // Assert
    assert_eq!(portfolio_request(&b).await, first);
    let hidden = "return [...document.querySelectorAll('#portfolio-kpis > li')].filter(l => !l.hidden).length";
    assert_eq!(b.js(hidden).await, json!(12), "the first twelve KPIs at first");
    b.click("#portfolio-kpis-more").await;
    assert_portfolio_matches(&b, &expected).await;
    let guarantee = b.js("return document.getElementById('portfolio-out').innerText").await;
    assert!(
        guarantee.as_str().unwrap().contains("within 1 − 1/e"),
        "the guarantee in words: {guarantee}"
    );

    // Act: four solutions, up to medium cost, one per category — set by keyboard.
    let seq = portfolio_seq(&b).await;
    let select = b
        .client
        .find(fantoccini::Locator::Css("#portfolio-cost"))
        .await
        .unwrap();
    select.send_keys("up to m").await.unwrap();
    b.wait_for(
        "document.getElementById('portfolio-cost').value === 'medium'",
        "the cost band",
    )
    .await;
    let check = b
        .client
        .find(fantoccini::Locator::Css("#portfolio-one-per-category"))
        .await
        .unwrap();
    check.send_keys(" ").await.unwrap();
    b.type_into("#portfolio-size", "4\n").await;
    wait_for_portfolio_after(&b, seq, "done").await;
    b.wait_for(
        "document.getElementById('portfolio-request').textContent.includes('\"one_per_category\": true') && document.getElementById('portfolio-request').textContent.includes('\"size\": 4')",
        "the portfolio with every setting",
    )
    .await;

    // Assert
    let limited =
        json!({"city_id": "qasr-alwan", "size": 4, "budget": {"max_cost_band": "medium"}, "one_per_category": true});
    assert_eq!(portfolio_request(&b).await, limited);
    let answer = b.app.post_json("/v1/portfolio", &limited).await;
    b.click("#portfolio-kpis-more").await;
    assert_portfolio_matches(&b, &answer).await;
    let costs = strings(
        &b.js("return [...document.querySelectorAll('#portfolio-items .kpi-meta')].map(m => m.textContent)")
            .await,
    );
    assert!(costs.iter().all(|c| !c.starts_with("high")), "{costs:?}");
    let url = b.client.current_url().await.unwrap();
    let fragment = url.fragment().unwrap();
    assert!(
        fragment.contains("size=4") && fragment.contains("cost=medium") && fragment.contains("per_category=1"),
        "{fragment}"
    );
    b.js("document.activeElement.blur(); window.scrollTo(0, 0)").await;
    b.screenshot("portfolio").await;
    b.js("document.getElementById('portfolio-coverage-kpis').scrollIntoView()")
        .await;
    b.screenshot("portfolio-coverage").await;

    // Act: eleven solutions — the API's 422 in words, the field marked.
    let seq = portfolio_seq(&b).await;
    b.type_into("#portfolio-size", "11\n").await;
    wait_for_portfolio_after(&b, seq, "error").await;

    // Assert
    let alert = b.alerts().await;
    assert!(
        alert.contains("Building the portfolio for Qasr Alwan failed: A field has an invalid value"),
        "{alert}"
    );
    assert!(
        alert.contains("11 is outside 1–10") && alert.contains("Field: size"),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.getElementById('portfolio-size').getAttribute('aria-invalid')")
            .await,
        "true"
    );

    // Act: not a number of high-cost solutions: caught before anything is sent.
    b.type_into("#portfolio-size", "3").await;
    b.type_into("#portfolio-high", "1.5\n").await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-code=\"form\"]')",
        "the form's error",
    )
    .await;
    let alert = b.alerts().await;
    assert!(
        alert.contains("The portfolio could not be built")
            && alert.contains("“High-cost solutions at most” must be a whole number"),
        "{alert}"
    );
    assert_eq!(b.js("return document.activeElement.id").await, "portfolio-high");

    // Act: a good limit again, then another city chosen here (by keyboard).
    let seq = portfolio_seq(&b).await;
    b.type_into("#portfolio-high", "0\n").await;
    wait_for_portfolio_after(&b, seq, "done").await;
    assert_eq!(b.alerts().await, "", "the errors are gone once it worked");
    let seq = portfolio_seq(&b).await;
    let picker = b
        .client
        .find(fantoccini::Locator::Css("#portfolio-city-select"))
        .await
        .unwrap();
    picker.send_keys("Castrovega").await.unwrap();
    b.wait_for(
        &format!("document.getElementById('portfolio-out').dataset.city === 'castrovega' && document.getElementById('portfolio-out').dataset.state === 'done' && Number(document.getElementById('portfolio-out').dataset.seq) > {seq}"),
        "Castrovega's portfolio",
    )
    .await;
    let castrovega = json!({"city_id": "castrovega", "size": 3, "budget": {"max_cost_band": "medium", "max_high_cost": 0}, "one_per_category": true});
    assert_eq!(portfolio_request(&b).await, castrovega);
    let answer = b.app.post_json("/v1/portfolio", &castrovega).await;
    if answer["kpis"].as_array().unwrap().len() > 12 {
        b.click("#portfolio-kpis-more").await;
    }
    assert_portfolio_matches(&b, &answer).await;

    let unlabelled = b
        .js("return [...document.querySelectorAll('#view-portfolio input, #view-portfolio select, #view-portfolio button')].filter(e => \
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim()).map(e => e.outerHTML.slice(0, 120))")
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a name");
    b.close().await;
}

/// Every element of a view lies within the screen.
async fn assert_fits(b: &Browser, view: &str) {
    assert_eq!(
        b.js(&format!("return {NO_SIDEWAYS_SCROLL}")).await,
        true,
        "{view}: {}",
        b.js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .await
    );
    let overflowing = b
        .js(&format!("return [...document.querySelectorAll('{view} *')].filter(e => {{ const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5); }}).map(e => e.className.baseVal ?? e.className ?? e.tagName).slice(0, 5)"))
        .await;
    assert_eq!(overflowing, json!([]), "every element of {view} is within the screen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_phone_width_the_new_views_fit() {
    // Arrange
    let b = Browser::start_phone(390, 844).await;

    // Act and assert: the provider view with the adopters.
    b.open(&format!("#/provider?solution={SOLUTION}&adopters=1")).await;
    b.wait_for(
        "document.getElementById('leads').dataset.state === 'done'",
        "the cities to approach",
    )
    .await;
    assert_eq!(b.js("return window.innerWidth").await, 390, "a phone-sized viewport");
    b.click("#provider-browse > summary").await;
    b.wait_for(
        "document.getElementById('browse-list').dataset.state === 'done'",
        "the catalogue",
    )
    .await;
    assert_fits(&b, "#view-provider").await;
    b.js("document.querySelector('#lead-list > li').scrollIntoView()").await;
    b.screenshot("phone-provider").await;

    // The portfolio with every KPI shown.
    b.client.goto("about:blank").await.unwrap();
    b.open("#/portfolio?city=qasr-alwan").await;
    wait_for_portfolio_after(&b, 0, "done").await;
    b.click("#portfolio-kpis-more").await;
    assert_fits(&b, "#view-portfolio").await;
    b.js("document.getElementById('portfolio-items').scrollIntoView()")
        .await;
    b.screenshot("phone-portfolio").await;

    // The planner: the SDG picture, the SDG focus and "why not" open, with an answer.
    b.client.goto("about:blank").await.unwrap();
    b.open("#/planner?city=qasr-alwan").await;
    b.wait_for(
        "document.querySelector('#sdgs[data-state=\"done\"]') && document.getElementById('sdg-checks').dataset.names === 'named'",
        "the SDG picture",
    )
    .await;
    b.click("#sdg-focus > summary").await;
    b.click("#why-not > summary").await;
    b.type_into("#why-not-ids", "chalkwire-gigabit-schools, no-such-solution\n")
        .await;
    b.wait_for(
        "document.getElementById('results').dataset.state === 'done' && document.getElementById('why-not-answers')",
        "the answer",
    )
    .await;
    assert_fits(&b, "#view-planner").await;
    b.js("document.getElementById('sdgs').scrollIntoView()").await;
    b.screenshot("phone-sdgs").await;
    b.js("document.getElementById('why-not-answers').scrollIntoView()")
        .await;
    b.screenshot("phone-why-not").await;
    b.close().await;
}
