//! `POST /v1/evaluations`: ranking quality of profiles on judged topics, synchronously.

use std::collections::BTreeMap;

use actix_web::{post, web, HttpRequest, HttpResponse};
use kpimatch_engine::eval::{compare, evaluate_profiles, Measure, Qrels};

use super::ranked;
use crate::api::{parse_json, read_body, EvaluationBody, EvaluationReport, ProfileResult};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// Most topics in one synchronous evaluation.
pub const MAX_TOPICS: usize = 200;
/// Most profiles compared at once.
pub const MAX_PROFILES: usize = 5;
/// Most measures reported at once.
pub const MAX_METRICS: usize = 20;

/// Evaluate ranking profiles.
///
/// Runs judged topics (inline with TREC qrels, or the bundled ones) through each ranking
/// profile and reports trec_eval measures (nDCG@k, P@k, recall@k, MAP, MRR, success@k) per
/// profile and topic, each profile's paired comparison with the first (wins/losses/ties and a
/// randomisation-test p-value), and an SVG chart of the per-topic values.
#[utoipa::path(
    tag = "evaluation",
    request_body(content = EvaluationBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The report", body = EvaluationReport),
        (status = 400, description = "Malformed JSON or qrels", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown profile or city", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many topics or profiles", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Saturated; retry later", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/evaluations")]
pub async fn evaluate(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let bytes = read_body(&req, payload, state.limits.bulk, false).await?;
    let body: EvaluationBody = parse_json(&bytes)?;
    let split = body.split()?;
    let (topics, qrels) = match (body.topics, body.qrels) {
        (Some(topics), Some(qrels)) => {
            if topics.len() > MAX_TOPICS {
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!("{} topics; at most {MAX_TOPICS} per evaluation", topics.len()),
                )
                .field("topics"));
            }
            let topics = topics
                .into_iter()
                .enumerate()
                .map(|(i, t)| t.into_topic(i))
                .collect::<Result<Vec<_>, _>>()?;
            let qrels = Qrels::parse_trec(&qrels, "qrels")
                .map_err(|e| ApiError::new(Code::InvalidJson, e.to_string()).field("qrels"))?;
            (topics, qrels)
        }
        (Some(_), None) => {
            return Err(ApiError::new(Code::InvalidField, "inline topics need their qrels").field("qrels"))
        }
        (None, _) => {
            let topics = state
                .benchmark
                .topics
                .iter()
                .filter(|t| split.is_none_or(|s| t.split == s))
                .cloned()
                .collect();
            (topics, state.benchmark.qrels.clone())
        }
    };
    let profiles = if body.profiles.is_empty() {
        vec!["text-only".to_string(), "kpi-only".to_string(), "default".to_string()]
    } else {
        body.profiles
    };
    if profiles.len() > MAX_PROFILES {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!("{} profiles; at most {MAX_PROFILES}", profiles.len()),
        )
        .field("profiles"));
    }
    let metric_names = if body.metrics.is_empty() {
        vec![
            "ndcg_cut_5".into(),
            "ndcg_cut_10".into(),
            "recip_rank".into(),
            "map".into(),
            "P_10".into(),
        ]
    } else {
        body.metrics
    };
    if metric_names.len() > MAX_METRICS {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!("{} measures; at most {MAX_METRICS}", metric_names.len()),
        )
        .field("metrics"));
    }
    let mut measures = Vec::new();
    for (i, m) in metric_names.iter().enumerate() {
        measures.push(m.parse::<Measure>().map_err(|_| {
            ApiError::new(
                Code::InvalidField,
                format!("unknown measure '{}'", crate::error::truncate(m, 40)),
            )
            .field(format!("metrics[{i}]"))
        })?);
    }
    let depth = body.depth.unwrap_or(100);
    if !(1..=100).contains(&depth) {
        return Err(ApiError::new(Code::InvalidField, "depth must be between 1 and 100").field("depth"));
    }
    let report = ranked(&state, move |s| {
        let engine = s.engine();
        for p in &profiles {
            engine.profiles().get(Some(p))?;
        }
        let results = evaluate_profiles(&engine, &topics, &qrels, &profiles, depth)?;
        let reports: Vec<(&str, &kpimatch_engine::eval::Report)> =
            results.iter().map(|(n, _, r)| (n.as_str(), r)).collect();
        let mut comparisons = Vec::new();
        for c in reports.iter().skip(1) {
            for m in &measures {
                comparisons.push(compare(reports[0], *c, *m, 10_000).into());
            }
        }
        let chart_svg = crate::svg::per_topic_chart(&reports, measures[0]);
        let profiles = results
            .iter()
            .map(|(name, _, r)| ProfileResult {
                profile: name.clone(),
                means: measures.iter().map(|m| (m.name(), r.mean(*m).unwrap_or(0.0))).collect(),
                per_topic: r
                    .per_topic
                    .keys()
                    .map(|t| {
                        (
                            t.clone(),
                            measures
                                .iter()
                                .map(|m| (m.name(), r.topic_value(t, *m).unwrap_or(0.0)))
                                .collect::<BTreeMap<_, _>>(),
                        )
                    })
                    .collect(),
            })
            .collect();
        Ok(EvaluationReport {
            topics: topics.len(),
            metrics: measures.iter().map(|m| m.name()).collect(),
            profiles,
            comparisons,
            chart_svg,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(evaluate);
}
