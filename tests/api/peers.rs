//! `GET /v1/cities/{id}/peers`, `GET /v1/cities/{id}/benchmark`, city deployments, and the
//! adoption evidence in `/v1/match` explanations, over real HTTP.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_ok, shared_app, spawn_app};

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn peers_are_most_similar_first_with_comparable_kpis_and_where_each_is_ahead() {
    // Arrange
    let app = shared_app();

    // Act
    let three = json_ok(app.get("/v1/cities/qasr-alwan/peers?limit=3").await).await;
    let default = json_ok(app.get("/v1/cities/qasr-alwan/peers").await).await;

    // Assert
    assert_eq!(three["city_id"], "qasr-alwan");
    assert_eq!(three["comparable"], true);
    assert!(three["reason"].is_null());
    assert_eq!(three["min_comparable_kpis"], 8);
    assert_eq!(f(&three["ahead_margin"]), 0.2);
    assert_eq!(three["cities_compared"], 17);
    let peers = three["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 3);
    assert_eq!(default["peers"].as_array().unwrap().len(), 5, "default limit");
    let sims: Vec<f64> = peers.iter().map(|p| f(&p["similarity"])).collect();
    assert!(sims.windows(2).all(|w| w[0] >= w[1]), "{sims:?}");
    assert!(sims.iter().all(|s| (0.0..=1.0).contains(s)));
    let first = &peers[0];
    assert_eq!(first["city_id"], "madinat-sarab");
    assert_eq!(first["region"], "Middle East");
    assert_eq!(first["population_band"], "250k-1m");
    assert!(first["comparable_kpis"].as_u64().unwrap() >= 8);
    assert_eq!(f(&first["components"]["region"]), 1.0);
    let ahead = first["ahead"].as_array().unwrap();
    assert!(ahead.iter().all(|a| f(&a["difference"]) >= 0.2 - 1e-9));
    let loss = ahead
        .iter()
        .find(|a| a["code"] == "EC:I:WS:3C")
        .expect("Madinat Sarab loses far less water");
    assert!(f(&loss["peer_value"]) < f(&loss["city_value"]));
    assert_eq!(f(&loss["city_target"]), 10.0);
    assert_eq!(loss["unit"], "% of water supplied that is lost");
    assert!(f(&loss["peer_achievement"]) > f(&loss["city_achievement"]));
}

#[tokio::test]
async fn benchmark_gives_every_kpi_and_category_its_standing_and_trend() {
    // Arrange
    let app = shared_app();

    // Act
    let b = json_ok(app.get("/v1/cities/qasr-alwan/benchmark?peers=5").await).await;
    let gaps = json_ok(app.get("/v1/cities/qasr-alwan/gaps").await).await;

    // Assert
    assert_eq!(b["comparable"], true);
    assert_eq!(b["peers"].as_array().unwrap().len(), 5);
    let kpis = b["kpis"].as_array().unwrap();
    assert_eq!(kpis.len(), gaps["kpis"].as_array().unwrap().len());
    assert_eq!(
        kpis[0]["code"], gaps["kpis"][0]["code"],
        "weakest first, as in the gaps"
    );
    for k in kpis {
        let (rank, out_of) = (k["rank"].as_u64().unwrap(), k["out_of"].as_u64().unwrap());
        assert!(rank >= 1 && rank <= out_of && out_of <= 6, "{k}");
        assert!(
            k["percentile"].is_null() || (0.0..=100.0).contains(&f(&k["percentile"])),
            "{k}"
        );
        assert!(!k["series"].as_array().unwrap().is_empty());
    }
    let loss = kpis.iter().find(|k| k["code"] == "EC:I:WS:3C").unwrap();
    assert_eq!(loss["direction"], "lower_better");
    assert_eq!(loss["trend"], "improving");
    let years: Vec<i64> = loss["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2019, 2021, 2023]);
    assert!(
        f(&loss["peer_best"]["value"]) <= f(&loss["peer_median"]),
        "lower is better: {loss}"
    );
    let categories = b["categories"].as_array().unwrap();
    assert_eq!(categories.len(), gaps["categories"].as_object().unwrap().len());
    let water = categories
        .iter()
        .find(|c| c["category"] == "Water and Sanitation")
        .unwrap();
    assert!(water["peer_median_share"].is_number() && water["peer_best"]["city_id"].is_string());
    assert!(water["improving"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn unknown_cities_are_404_and_bad_counts_are_400_naming_the_parameter() {
    // Arrange
    let app = shared_app();

    // Act / Assert
    assert_problem(app.get("/v1/cities/atlantis/peers").await, 404, "not_found", None).await;
    assert_problem(app.get("/v1/cities/atlantis/benchmark").await, 404, "not_found", None).await;
    for bad in ["0", "51", "many", "-1"] {
        let res = app.get(&format!("/v1/cities/qasr-alwan/peers?limit={bad}")).await;
        assert_problem(res, 400, "invalid_query", Some("limit")).await;
    }
    let res = app.get("/v1/cities/qasr-alwan/benchmark?peers=0").await;
    assert_problem(res, 400, "invalid_query", Some("peers")).await;
    let res = app.get("/v1/cities/qasr-alwan/peers?top=3").await;
    assert_problem(res, 400, "invalid_query", Some("top")).await;
}

#[tokio::test]
async fn a_city_with_too_few_comparable_kpis_gets_a_clear_answer_not_a_comparison() {
    // Arrange
    let app = spawn_app().await;
    let city = json!({
        "name": "Tiny Data", "region": "Europe", "population": 40000,
        "observations": [
            {"kpi": "EC:I:WS:3C", "value": 30.0, "year": 2023},
            {"kpi": "EN:EN:AQ:1C", "value": 12.0, "year": 2023},
            {"kpi": "EC:P:EM:1C", "value": 9.0, "year": 2023}
        ]
    });
    assert_eq!(app.put_city("tiny-data", &city).await.status().as_u16(), 201);

    // Act
    let peers = json_ok(app.get("/v1/cities/tiny-data/peers").await).await;
    let bench = json_ok(app.get("/v1/cities/tiny-data/benchmark").await).await;

    // Assert
    assert_eq!(peers["comparable"], false);
    assert_eq!(peers["peers"], json!([]));
    assert_eq!(peers["not_comparable"], 18);
    let reason = peers["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("too few comparable KPIs: Tiny Data reports 3 KPI(s)"),
        "{reason}"
    );
    assert_eq!(bench["comparable"], false);
    assert_eq!(bench["reason"], peers["reason"]);
    assert_eq!(
        (bench["kpis"].clone(), bench["categories"].clone()),
        (json!([]), json!([]))
    );
}

fn city_with(deployments: Value) -> Value {
    json!({
        "name": "Deploy Town", "region": "Europe", "population": 90000,
        "observations": [{"kpi": "EC:I:WS:3C", "value": 30.0, "year": 2023}],
        "deployments": deployments
    })
}

#[tokio::test]
async fn deployments_are_stored_with_the_city_and_invalid_ones_name_their_field() {
    // Arrange
    let app = spawn_app().await;
    let good = city_with(json!([
        {"solution_id": "echoline-acoustic-leak-survey", "year": 2021, "status": "deployed"},
        {"solution_id": "rillstone-meter-as-a-service", "year": 2023, "status": "piloting"},
        {"solution_id": "verdapanel-moss-filter-wall", "year": 2022, "status": "discontinued"}
    ]));

    // Act
    let created = json_ok(app.put_city("deploy-town", &good).await).await;
    let read = json_ok(app.get_city("deploy-town").await).await;
    let bad_status = app
        .put_city(
            "deploy-town",
            &city_with(json!([{"solution_id": "echoline-acoustic-leak-survey", "year": 2021, "status": "tried"}])),
        )
        .await;
    let bad_year = app
        .put_city(
            "deploy-town",
            &city_with(json!([{"solution_id": "echoline-acoustic-leak-survey", "year": 1850, "status": "deployed"}])),
        )
        .await;
    let twice = app
        .put_city(
            "deploy-town",
            &city_with(json!([
                {"solution_id": "echoline-acoustic-leak-survey", "year": 2021, "status": "piloting"},
                {"solution_id": "echoline-acoustic-leak-survey", "year": 2022, "status": "deployed"}
            ])),
        )
        .await;
    let bad_id = app
        .put_city(
            "deploy-town",
            &city_with(json!([{"solution_id": "no spaces allowed", "year": 2021, "status": "deployed"}])),
        )
        .await;
    let missing = app
        .put_city(
            "deploy-town",
            &city_with(json!([{"solution_id": "echoline-acoustic-leak-survey", "status": "deployed"}])),
        )
        .await;

    // Assert
    assert_eq!(created["deployments"], good["deployments"]);
    assert_eq!(read["deployments"], good["deployments"]);
    assert_problem(bad_status, 400, "invalid_json", Some("deployments[0].status")).await;
    assert_problem(bad_year, 422, "invalid_field", Some("deployments[0].year")).await;
    let p = assert_problem(twice, 422, "invalid_field", Some("deployments[1]")).await;
    assert!(p["detail"].as_str().unwrap().contains("listed twice"), "{p}");
    assert_problem(bad_id, 422, "invalid_field", Some("deployments[0].solution_id")).await;
    assert_problem(missing, 400, "invalid_json", Some("deployments[0].year")).await;
    let unchanged = json_ok(app.get_city("deploy-town").await).await;
    assert_eq!(
        unchanged["deployments"], good["deployments"],
        "rejected writes change nothing"
    );
}

#[tokio::test]
async fn an_inline_city_deploying_an_unknown_solution_is_rejected_naming_the_field() {
    // Arrange
    let app = shared_app();
    let mut city = city_with(json!([
        {"solution_id": "echoline-acoustic-leak-survey", "year": 2021, "status": "deployed"},
        {"solution_id": "no-such-solution", "year": 2021, "status": "deployed"}
    ]));
    city.as_object_mut().unwrap().remove("name");

    // Act
    let res = app.match_(&json!({"city": city, "needs": "leaks"})).await;

    // Assert
    let p = assert_problem(res, 422, "invalid_field", Some("city.deployments[1].solution_id")).await;
    assert!(p["detail"].as_str().unwrap().contains("no-such-solution"), "{p}");
}

#[tokio::test]
async fn match_explanations_show_adoption_evidence_in_words_and_numbers() {
    // Arrange
    let app = shared_app();
    let request = |profile: &str| {
        json!({
            "city_id": "madinat-sarab",
            "needs": "We want far more of our energy from the sun. What have cities like ours actually installed?",
            "limit": 20,
            "profile": profile
        })
    };

    // Act
    let with = app.match_ok(&request("default")).await;
    let without = app.match_ok(&request("no-evidence")).await;

    // Assert
    let results = with["results"].as_array().unwrap();
    let adopted: Vec<&Value> = results
        .iter()
        .filter(|r| f(&r["explanation"]["evidence"]) > 0.0)
        .collect();
    assert!(
        !adopted.is_empty(),
        "some solar solution was adopted by a similar city: {with}"
    );
    for r in results {
        let e = &r["explanation"];
        let adoptions = e["adoptions"].as_array().unwrap();
        let sum: f64 = adoptions.iter().map(|a| f(&a["contribution"])).sum();
        assert!((sum - f(&e["evidence"])).abs() < 1e-5, "{e}");
        let parts = f(&e["text"]) + f(&e["kpi"]) + f(&e["evidence"]) - f(&e["diversity_penalty"]);
        assert!((parts - f(&r["score"])).abs() < 1e-4, "{r}");
        for a in adoptions {
            let s = a["summary"].as_str().unwrap();
            assert!(
                s.starts_with(&format!("{} {} by ", verb(a["status"].as_str().unwrap()), a["year"])),
                "{s}"
            );
            assert!(s.contains("similar city (0."), "{s}");
            assert!(!s.to_lowercase().contains("caus"), "{s}");
            assert!(
                a["kpi"]["code"].is_string() && a["kpi"]["city_value"].is_number(),
                "{a}"
            );
        }
    }
    let solvio = results
        .iter()
        .find(|r| r["solution_id"] == "solvio-brightroof-public-rooftop-ppa")
        .expect("rooftop solar is ranked");
    let a = &solvio["explanation"]["adoptions"][0];
    assert_eq!(
        (a["city_id"].as_str(), a["status"].as_str()),
        (Some("kurrawong-plains"), Some("deployed"))
    );
    assert!(
        a["summary"].as_str().unwrap().contains("Renewable Energy Consumption"),
        "{a}"
    );
    for r in without["results"].as_array().unwrap() {
        assert_eq!(f(&r["explanation"]["evidence"]), 0.0);
        assert_eq!(r["explanation"]["adoptions"], json!([]));
    }
}

fn verb(status: &str) -> &'static str {
    match status {
        "deployed" => "deployed",
        "piloting" => "piloted",
        "discontinued" => "discontinued",
        other => panic!("unknown status {other}"),
    }
}

#[tokio::test]
async fn writing_a_city_that_records_deployments_refreshes_other_cities_cached_matches() {
    // Arrange: Kurrawong Plains deployed rooftop solar; Madinat Sarab's ranking cites it.
    let app = spawn_app().await;
    let request = json!({"city_id": "madinat-sarab", "needs": "more solar energy", "limit": 20});
    let first = app.match_ok(&request).await;
    assert_eq!(app.match_ok(&request).await["cached"], true);
    let cites_kurrawong = |b: &Value| {
        b["results"].as_array().unwrap().iter().any(|r| {
            r["explanation"]["adoptions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["city_id"] == "kurrawong-plains")
        })
    };
    assert!(cites_kurrawong(&first), "{first}");
    let mut kurrawong = json_ok(app.get_city("kurrawong-plains").await).await;
    let obj = kurrawong.as_object_mut().unwrap();
    obj.remove("id");
    obj.insert("deployments".into(), json!([]));

    // Act
    assert_eq!(
        app.put_city("kurrawong-plains", &kurrawong).await.status().as_u16(),
        200
    );
    let after = app.match_ok(&request).await;

    // Assert
    assert_eq!(
        after["cached"], false,
        "an adopting city's write reaches other cities' matches"
    );
    assert!(!cites_kurrawong(&after), "{after}");
}
