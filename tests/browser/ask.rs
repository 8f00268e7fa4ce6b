//! The Ask panel's newer questions and the city's SDG picture: the standing per goal against
//! `GET /v1/cities/{id}/sdgs` (bars to scale, in the band colours), SDG focus with the API's goal
//! names, "why not X?" against the match's `not_returned`, and the provider-type filter with
//! the catalogue's counts; failures in words.

use serde_json::{json, Value};

use crate::harness::Browser;
use crate::planner::{card_ids, choose_city, ids, last_request, results_seq, strings, wait_for_results_after};
use crate::provider::{number, pct, DRAWN};

const QUESTION: &str = "what fixes our water KPIs?";

/// "SDG 6 Clean water and sanitation" or "SDGs 6 … and 11 …", as the page words goals.
fn goals_words(goals: &[u64], names: &Value) -> String {
    let name = |g: u64| {
        names["goals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["goal"] == g)
            .map_or(g.to_string(), |x| format!("{g} {}", x["name"].as_str().unwrap()))
    };
    let named: Vec<String> = goals.iter().map(|&g| name(g)).collect();
    let list = match named.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => named.join(""),
    };
    format!("{} {list}", if goals.len() == 1 { "SDG" } else { "SDGs" })
}

/// Waits until the last request the page shows has `sdgs` equal to `goals` and its answer is in.
async fn wait_for_goals(b: &Browser, goals: &str) {
    b.wait_for(
        &format!(
            "document.getElementById('results').dataset.state === 'done' && document.getElementById('last-request') && \
             (JSON.parse(document.getElementById('last-request').textContent.replace('POST /v1/match\\n', '')).sdgs || []).join() === '{goals}'"
        ),
        "the answer with SDG focus",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_view_draws_the_sdg_picture_of_the_api_and_asks_with_goal_focus() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    let standing = b.app.get_json("/v1/cities/qasr-alwan/sdgs").await;
    let goals = standing["goals"].as_array().unwrap();
    assert_eq!(goals.len(), 17, "every goal has a KPI in the catalogue");

    // Act
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    b.wait_for(
        "document.querySelector('#sdgs[data-state=\"done\"]')",
        "the SDG picture",
    )
    .await;

    // Assert: one row per goal in the API's order, its share drawn to scale in its band's
    // colour, the KPIs with data of those linked, and the weakest KPIs.
    let rows = b
        .js(&format!(
            r#"{DRAWN} return [...document.querySelectorAll('#goal-list > li.goal')].map(l => {{ const m = l.querySelector('svg.meter');
              return {{goal: Number(l.dataset.goal), name: l.querySelector('.goal-name').textContent, pill: l.querySelector('.band').textContent,
                pillClass: l.querySelector('.band').className, fill: m.querySelector('.meter-fill').getAttribute('class'), drawn: drawn(m, '.meter-fill'),
                data: l.querySelector('.goal-data').textContent,
                weakest: [...l.querySelectorAll('.goal-weakest li')].map(k => [k.dataset.code, k.textContent, k.className])}}; }})"#
        ))
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), goals.len());
    let mut without_data = 0;
    for (row, g) in rows.iter().zip(goals) {
        let n = g["goal"].as_u64().unwrap();
        assert_eq!(row["goal"], g["goal"]);
        assert_eq!(row["name"], format!("Goal {n}: {}", g["name"].as_str().unwrap()));
        assert!(
            row["data"].as_str().unwrap().starts_with(&format!(
                "{} of {} KPIs with data",
                g["kpis_with_data"], g["kpis_linked"]
            )),
            "{row}"
        );
        match g["standing"]["band"].as_str() {
            Some(band) => {
                let share = g["standing"]["share"].as_f64().unwrap();
                assert_eq!(row["pill"], pct(share), "goal {n}");
                assert!(
                    row["pillClass"].as_str().unwrap().contains(&format!("band-{band}")),
                    "{row}"
                );
                assert!(row["fill"].as_str().unwrap().contains(&format!("band-{band}")), "{row}");
                assert!(
                    (row["drawn"].as_f64().unwrap() - share).abs() < 0.02,
                    "goal {n}: bar to scale {row}"
                );
            }
            None => {
                without_data += 1;
                assert_eq!(row["pill"], "no data", "goal {n}");
                assert!(row["drawn"].as_f64().unwrap() < 0.001, "{row}");
            }
        }
        let weakest = row["weakest"].as_array().unwrap();
        let api_weakest = g["weakest"].as_array().unwrap();
        assert_eq!(weakest.len(), api_weakest.len(), "goal {n}");
        for (shown, k) in weakest.iter().zip(api_weakest) {
            assert_eq!(shown[0], k["code"]);
            let text = shown[1].as_str().unwrap();
            assert!(
                text.starts_with(k["name"].as_str().unwrap())
                    && text.ends_with(&pct(k["achievement"].as_f64().unwrap())),
                "{text}"
            );
            assert!(
                shown[2]
                    .as_str()
                    .unwrap()
                    .contains(&format!("band-{}", k["band"].as_str().unwrap())),
                "{shown}"
            );
        }
    }
    assert!(without_data > 0, "a goal without data is shown as such");
    b.js("document.getElementById('sdgs').scrollIntoView()").await;
    b.screenshot("sdgs").await;

    // The Ask panel's goals carry the API's names.
    let labels = strings(
        &b.js("return [...document.querySelectorAll('#sdg-checks label')].map(l => l.textContent.trim())")
            .await,
    );
    let named: Vec<String> = goals
        .iter()
        .map(|g| format!("{} · {}", g["goal"], g["name"].as_str().unwrap()))
        .collect();
    assert_eq!(labels, named);

    // Act: goals 6 and 11 checked with the keyboard, then ask with no words.
    b.click("#sdg-focus > summary").await;
    for goal in [6, 11] {
        let check = b
            .client
            .find(fantoccini::Locator::Css(&format!("#f-sdg-{goal}")))
            .await
            .unwrap();
        check.send_keys(" ").await.unwrap();
    }
    assert_eq!(
        b.js("return document.getElementById('sdg-count').textContent").await,
        "(2 chosen)"
    );
    let seq = results_seq(&b).await;
    b.click("#ask-submit").await;
    wait_for_results_after(&b, seq).await;

    // Assert: the API's ranking for that focus, the goals in words, and the KPIs serving them.
    let request = json!({"city_id": "qasr-alwan", "sdgs": [6, 11], "limit": 10, "explain": true});
    assert_eq!(last_request(&b).await, request);
    let answer = b.app.post_json("/v1/match", &request).await;
    assert_eq!(card_ids(&b).await, ids(&answer));
    assert_eq!(answer["sdgs"], json!([6, 11]));
    assert_eq!(
        b.js("return document.getElementById('goals-used').textContent").await,
        format!("Focused on {}", goals_words(&[6, 11], &standing))
    );
    b.click("#cards > li:first-child .why-toggle").await;
    let served = b
        .js("return [...document.querySelectorAll('#cards > li:first-child .contrib')].map(r => [r.dataset.code, (r.querySelector('.kpi-goals') || {textContent: ''}).textContent])")
        .await;
    let first = answer["results"][0]["explanation"]["kpis"].as_array().unwrap();
    assert_eq!(served.as_array().unwrap().len(), first.len());
    let mut serving = 0;
    for (shown, k) in served.as_array().unwrap().iter().zip(first) {
        assert_eq!(shown[0], k["code"]);
        let goals: Vec<u64> = k["sdgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_u64().unwrap())
            .collect();
        if goals.is_empty() {
            assert_eq!(shown[1], "", "{shown}");
        } else {
            serving += 1;
            assert_eq!(shown[1], format!(" · serves {}", goals_words(&goals, &standing)));
        }
    }
    assert!(serving > 0, "the first result serves a focused goal");

    // Act: a goal's "Find solutions" in the SDG picture focuses on it too.
    for goal in [6, 11] {
        b.click(&format!("label[for='f-sdg-{goal}']")).await;
    }
    b.click("#goal-list > li[data-goal='3'] button.find").await;
    wait_for_goals(&b, "3").await;

    // Assert
    let request = json!({"city_id": "qasr-alwan", "sdgs": [3], "limit": 10, "explain": true});
    assert_eq!(last_request(&b).await, request);
    let answer = b.app.post_json("/v1/match", &request).await;
    assert_eq!(card_ids(&b).await, ids(&answer));

    // A failing SDG picture is said in words; without a city the goals are numbers.
    b.js(
        "const f = window.fetch; window.fetch = (url, init) => String(url).endsWith('/sdgs') \
         ? Promise.resolve(new Response(JSON.stringify({title: 'Internal error', status: 500, detail: 'The standing could not be computed.', code: 'internal'}), \
             {status: 500, headers: {'Content-Type': 'application/problem+json'}})) \
         : f(url, init);",
    )
    .await;
    choose_city(&b, "castrovega", "Castrovega").await;
    b.wait_for(
        "document.querySelector('#sdgs[data-state=\"error\"]')",
        "the SDG failure",
    )
    .await;
    let alert = b.alerts().await;
    assert!(
        alert.contains("Loading the SDG picture of “Castrovega” failed: Internal error")
            && alert.contains("The standing could not be computed."),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.getElementById('sdg-checks').dataset.names").await,
        "numbers"
    );
    b.client
        .find(fantoccini::Locator::Css("#city-select"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    b.wait_for("!document.getElementById('city-name')", "the city to be cleared")
        .await;
    assert_eq!(
        b.js("return document.querySelector(\"label[for='f-sdg-6']\").textContent.trim()")
            .await,
        "Goal 6"
    );
    b.close().await;
}

/// A solution offered by a city (the bundle's are all companies).
fn city_offer() -> Value {
    json!({
        "title": "Weverstad Open Leak Map",
        "provider": "City of Weverstad",
        "provider_type": "city",
        "summary": "The city's open-source leak map and night-flow method for water utilities, with twinning and training.",
        "description": "Weverstad shares the district metering and leak map it built to cut water losses, and trains other cities' water crews to use it.",
        "categories": ["Environment"],
        "tags": ["leak detection", "water loss", "open source"],
        "regions": ["Global"],
        "kpis": [{"code": "EC:I:WS:3C", "impact": 0.6}],
        "sdgs": [6],
        "maturity": "proven",
        "cost_band": "low"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_not_and_provider_types_are_answered_as_the_api_answers() {
    // Arrange: a city's own offer next to the catalogue's companies.
    let b = Browser::start(1280, 900).await;
    b.app
        .put_json("/v1/solutions/weverstad-open-leak-map", &city_offer())
        .await;
    let facets = b.app.get_json("/v1/facets").await;
    let wide = b
        .app
        .post_json(
            "/v1/match",
            &json!({"city_id": "qasr-alwan", "needs": QUESTION, "limit": 20, "explain": true}),
        )
        .await;
    let ranking = ids(&wide);
    let lower = ranking[7].clone();
    let asked = [
        lower.as_str(),
        "no-such-solution",
        "chalkwire-gigabit-schools",
        ranking[0].as_str(),
    ];
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    b.wait_for(
        "document.getElementById('f-provider-type').dataset.state === 'loaded'",
        "the provider types",
    )
    .await;

    // The provider types are the catalogue's, with its counts.
    let offered: Vec<(String, String)> = serde_json::from_value(
        b.js("return [...document.querySelectorAll('#f-provider-type label')].map(l => [l.querySelector('input').value, l.textContent.trim()])")
            .await,
    )
    .unwrap();
    let expected: Vec<(String, String)> = facets["provider_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let v = p["value"].as_str().unwrap().to_string();
            // The page says two of the types in words (explain.js PROVIDER_TYPES).
            let word = match v.as_str() {
                "startup" => "start-up",
                "ngo" => "NGO",
                other => other,
            };
            (v.clone(), format!("{word} ({})", p["count"]))
        })
        .collect();
    assert_eq!(offered, expected);
    assert!(offered.iter().any(|(v, _)| v == "city"), "{offered:?}");

    // Act: five results, and "why not" four solutions (one on the page, one ranked lower, one
    // that scores nothing, one that does not exist), typed and sent with Enter.
    b.js("const s = document.getElementById('limit'); s.value = '5'; s.dispatchEvent(new Event('change'));")
        .await;
    b.type_into("#needs", QUESTION).await;
    b.click("#why-not > summary").await;
    let seq = results_seq(&b).await;
    b.type_into("#why-not-ids", &format!("{}\n", asked.join(", "))).await;
    wait_for_results_after(&b, seq).await;

    // Assert: the request, the cards with their provider types, and each answer in words.
    let request =
        json!({"city_id": "qasr-alwan", "needs": QUESTION, "limit": 5, "explain": true, "explain_ids": asked});
    assert_eq!(last_request(&b).await, request);
    let answer = b.app.post_json("/v1/match", &request).await;
    assert_eq!(card_ids(&b).await, ids(&answer));
    let types = b
        .js("return [...document.querySelectorAll('#cards > li.card')].map(c => [c.dataset.providerType, c.querySelector('.ptype').textContent])")
        .await;
    for (shown, r) in types
        .as_array()
        .unwrap()
        .iter()
        .zip(answer["results"].as_array().unwrap())
    {
        assert_eq!(shown[0], r["provider_type"]);
        assert_eq!(shown[1], r["provider_type"], "the type in words");
    }
    let read = "return [...document.querySelectorAll('#why-not-answers li.why-not-item')].map(l => ({id: l.dataset.id, reason: l.dataset.reason, \
                message: l.querySelector('.why-not-message').textContent, text: l.innerText, \
                rank: (l.querySelector('.why-not-rank') || {}).textContent || null, score: (l.querySelector('.why-not-score') || {}).textContent || null, \
                gap: (l.querySelector('.why-not-gap') || {}).textContent || null, \
                filter: l.querySelector('.why-not-filter') ? {...l.querySelector('.why-not-filter').dataset} : null}))";
    let items = b.js(read).await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), asked.len());
    let not_returned = answer["not_returned"].as_array().unwrap();
    let mut reasons = vec![];
    for (item, id) in items.iter().zip(asked) {
        assert_eq!(item["id"], id);
        match not_returned.iter().find(|n| n["solution_id"] == id) {
            Some(n) => {
                assert_eq!(item["reason"], n["reason"], "{id}");
                assert_eq!(item["message"], n["message"], "{id}: the API's sentence");
                match n["rank"].as_u64() {
                    Some(rank) => assert_eq!(item["rank"], rank.to_string(), "{id}"),
                    None => assert!(item["rank"].is_null(), "{id}"),
                }
                if let Some(score) = n["score"].as_f64() {
                    assert!((number(item["score"].as_str().unwrap()) - score).abs() < 6e-4, "{item}");
                }
                if let Some(gap) = n["score_gap"].as_f64() {
                    let shown = item["gap"].as_str().unwrap();
                    let shown = shown.strip_prefix('−').map_or_else(|| number(shown), |v| -number(v));
                    assert!((shown - gap).abs() < 6e-4, "{item}");
                }
                reasons.push(n["reason"].as_str().unwrap().to_string());
            }
            None => {
                let r = answer["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["solution_id"] == id)
                    .expect("on the page when not in not_returned");
                assert_eq!(item["reason"], "on_page");
                assert!(
                    item["message"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("It is on this page at rank {}", r["rank"])),
                    "{item}"
                );
                reasons.push("on_page".into());
            }
        }
    }
    assert_eq!(reasons, ["ranked_lower", "not_found", "no_score", "on_page"]);
    // Named by their titles (the id beside them); an unknown id by itself.
    let titles = strings(
        &b.js("return [...document.querySelectorAll('#why-not-answers .why-not-title')].map(t => t.textContent)")
            .await,
    );
    let lower_title = b.app.get_json(&format!("/v1/solutions/{lower}")).await["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(titles[0], format!("{lower_title} {lower}"));
    assert_eq!(titles[1], "no-such-solution");

    // The ranked one's score in parts: the API's KPIs.
    b.click("#why-not-answers li.reason-ranked_lower .why-toggle").await;
    let codes = strings(
        &b.js("return [...document.querySelectorAll('#why-not-answers li.reason-ranked_lower .contrib')].map(r => r.dataset.code)")
            .await,
    );
    let lower_expl = not_returned
        .iter()
        .find(|n| n["solution_id"] == lower.as_str())
        .unwrap();
    let want: Vec<String> = lower_expl["explanation"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, want);
    b.js("document.getElementById('why-not-answers').scrollIntoView()")
        .await;
    b.screenshot("why-not").await;

    // Act: only solutions that cities offer.
    let seq = results_seq(&b).await;
    b.click("#filters > summary").await;
    b.click("label[for='f-provider_type-city']").await;
    wait_for_results_after(&b, seq).await;

    // Assert: the filtered ranking; the companies asked about are left out by that filter, with
    // the value and what the filter accepts.
    let mut filtered_request = request.clone();
    filtered_request["filters"] = json!({"provider_type": ["city"]});
    assert_eq!(last_request(&b).await, filtered_request);
    let filtered = b.app.post_json("/v1/match", &filtered_request).await;
    assert_eq!(card_ids(&b).await, ids(&filtered));
    assert_eq!(ids(&filtered), ["weverstad-open-leak-map"]);
    let items = b.js(read).await;
    for item in items.as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let n = filtered["not_returned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["solution_id"] == id)
            .unwrap();
        assert_eq!(item["reason"], n["reason"], "{id}");
        assert_eq!(item["message"], n["message"], "{id}");
        if n["reason"] == "filtered" {
            let f = &n["filter"];
            assert_eq!(
                item["filter"],
                json!({"field": f["field"], "value": f["value"], "accepted": f["accepted"]}),
                "{id}"
            );
            assert_eq!(f["field"], "filters.provider_type");
            assert!(
                item["text"].as_str().unwrap().contains(&format!(
                    "Provider type: it has {}; the filter accepts city",
                    f["value"].as_str().unwrap()
                )),
                "{item}"
            );
        }
    }
    assert_eq!(
        b.js("return document.getElementById('filter-count').textContent").await,
        "(1 active)"
    );

    // Act: 21 solutions at once: said in words before anything is sent.
    let seq = results_seq(&b).await;
    let many: Vec<String> = (1..=21).map(|i| format!("s-{i}")).collect();
    b.type_into("#why-not-ids", &format!("{}\n", many.join(", "))).await;
    b.wait_for(
        "document.querySelector('#alerts .alert[data-source=\"ask\"]')",
        "the error",
    )
    .await;

    // Assert
    let alert = b.alerts().await;
    assert!(
        alert.contains("Too many solutions to ask about") && alert.contains("names 21 solutions; at most 20"),
        "{alert}"
    );
    assert_eq!(
        b.js("return document.getElementById('why-not-ids').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    assert_eq!(results_seq(&b).await, seq, "nothing was sent");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_in_spanish_is_read_in_spanish_and_its_matched_words_say_so() {
    // Arrange
    let question = "Perdemos casi la mitad del agua que bombeamos antes de que llegue a un grifo. ¿Qué lo soluciona?";
    let b = Browser::start(1280, 900).await;
    b.open("").await;
    choose_city(&b, "qasr-alwan", "Qasr Alwan").await;
    let expected = b
        .app
        .post_json(
            "/v1/match",
            &json!({"city_id": "qasr-alwan", "needs": question, "limit": 10, "explain": true}),
        )
        .await;
    assert_eq!(expected["needs_lang"]["code"], "es", "{}", expected["needs_lang"]);

    // Act
    let seq = results_seq(&b).await;
    b.type_into("#needs", &format!("{question}\n")).await;
    wait_for_results_after(&b, seq).await;

    // Assert: the API's ranking, the language it read, and per card the language of the
    // solution and of the words it matched.
    assert_eq!(card_ids(&b).await, ids(&expected));
    let shown = b
        .js("const l = document.getElementById('needs-lang'); return {text: l.textContent, code: l.dataset.code}")
        .await;
    assert_eq!(shown["text"], "read as Spanish (detected)");
    assert_eq!(shown["code"], "es");
    let cards = b
        .js(
            r#"return [...document.querySelectorAll('#cards > li')].map(c => ({id: c.dataset.id,
              lang: (c.querySelector('.tag.lang') || {}).textContent || null,
              words: (c.querySelector('.words-matched') || {}).textContent || null}))"#,
        )
        .await;
    let mut spanish_with_words = 0;
    for (card, r) in cards
        .as_array()
        .unwrap()
        .iter()
        .zip(expected["results"].as_array().unwrap())
    {
        assert_eq!(card["id"], r["solution_id"]);
        let lang = r["lang"].as_str().unwrap();
        if lang == "en" {
            assert_eq!(card["lang"], Value::Null, "English needs no tag: {card}");
        } else {
            assert!(card["lang"].is_string(), "{card}");
        }
        let matched = !r["explanation"]["matched_terms"].as_array().unwrap().is_empty();
        assert_eq!(card["words"].is_string(), matched, "{card}");
        if matched {
            assert_eq!(lang, "es", "Spanish words match Spanish text only: {card}");
            assert_eq!(card["words"], "Words matched (Spanish) ");
            spanish_with_words += 1;
        }
    }
    assert!(
        spanish_with_words >= 1,
        "a Spanish solution matched the question's words: {cards}"
    );
}
