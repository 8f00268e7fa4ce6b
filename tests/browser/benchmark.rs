//! The benchmark view: the bundled judged topics through ranking profiles, as the evaluation
//! API reports them.

use serde_json::json;

use crate::harness::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_shows_the_evaluation_metrics_and_per_topic_chart() {
    // Arrange
    let b = Browser::start(1280, 900).await;
    b.open("#/benchmark").await;
    b.wait_for(
        "document.getElementById('bench-profiles').dataset.state === 'loaded'",
        "the server's ranking profiles",
    )
    .await;

    // The profiles offered are the server's, ablations first; text-only, kpi-only and the
    // default are checked; the free-text field is gone once every profile is listed.
    let listed = b.app.get_json("/v1/profiles").await;
    let mut expected: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    expected.sort_unstable();
    let offered = b
        .js("return [...document.querySelectorAll('#bench-profiles input')].map(i => [i.value, i.checked])")
        .await;
    let offered: Vec<(String, bool)> = serde_json::from_value(offered).unwrap();
    let mut names: Vec<&str> = offered.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..2], ["text-only", "kpi-only"]);
    names.sort_unstable();
    assert_eq!(names, expected);
    let checked: Vec<&str> = offered.iter().filter(|(_, c)| *c).map(|(n, _)| n.as_str()).collect();
    assert_eq!(checked, ["text-only", "kpi-only", "default"]);
    assert_eq!(
        b.js("return document.getElementById('bench-extra').offsetParent === null")
            .await,
        json!(true)
    );

    // Act: two profiles on the held-out topics.
    b.click("label[for='bench-p-kpi-only']").await;
    b.click("label[for='bench-split-heldout']").await;
    b.click("#bench-run").await;
    b.wait_for(
        "document.getElementById('bench-out').dataset.state === 'done'",
        "the benchmark",
    )
    .await;

    // Assert: every mean is the API's, the comparison rows are there, the chart is drawn.
    let metrics = ["ndcg_cut_10", "ndcg_cut_5", "recip_rank", "map", "P_10"];
    let report = b
        .app
        .post_json(
            "/v1/evaluations",
            &json!({"split": "heldout", "profiles": ["text-only", "default"], "metrics": metrics}),
        )
        .await;
    let cells = b
        .js("return [...document.querySelectorAll('#bench-means tbody tr')].map(r => [r.dataset.profile, Object.fromEntries([...r.querySelectorAll('td')].map(c => [c.dataset.metric, Number(c.dataset.value)]))])")
        .await;
    let cells = cells.as_array().unwrap();
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for (row, p) in cells.iter().zip(profiles) {
        assert_eq!(row[0], p["profile"]);
        for m in metrics {
            let shown = row[1][m].as_f64().unwrap();
            let api = p["means"][m].as_f64().unwrap();
            assert!((shown - api).abs() < 1e-12, "{m} of {}: {shown} vs {api}", p["profile"]);
        }
    }
    let comparisons = b
        .js("return document.querySelectorAll('#bench-comparisons tbody tr').length")
        .await;
    assert_eq!(comparisons, json!(report["comparisons"].as_array().unwrap().len()));
    b.wait_for(
        "document.getElementById('bench-chart').complete && document.getElementById('bench-chart').naturalWidth > 0",
        "the per-topic chart",
    )
    .await;
    let topics = b
        .js("return document.querySelectorAll('.per-topic tbody tr').length")
        .await;
    assert_eq!(topics, json!(report["topics"]));
    b.screenshot("benchmark").await;
    b.js("document.getElementById('bench-chart').scrollIntoView()").await;
    b.screenshot("benchmark-chart").await;
    b.close().await;
}
