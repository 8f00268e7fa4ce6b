use std::sync::Arc;

use serde::Serialize;

use super::{CityInput, MatchRequest, RankingProfile};
use crate::city::{City, GapAnalysis};
use crate::index::{analyse, TextQuery, WeightedTerm};
use crate::kpi::{Catalogue, KpiCode, KpiId};
use crate::lang::LangChoice;
use crate::limits;
use crate::peers::Evidence;
use crate::vocab::{Languages, TermOrigin, Vocabulary};
use crate::{Error, Result};

/// What building a plan reads from the engine.
pub(crate) struct PlanContext<'a> {
    pub(crate) catalogue: &'a Catalogue,
    pub(crate) languages: &'a Languages,
    /// The language detected for recent needs texts without a declared `lang`.
    pub(crate) needs_langs: &'a NeedsLangs,
}

/// Needs texts already read, and the language each was read in: detection (whatlang's
/// trigrams, then every vocabulary's coverage of the text) was a fifth of a cold request's
/// CPU time, and the same texts come back — a city's stated needs on every request that gives
/// none, a planner's question with other filters or pages. Bounded; depends only on the
/// engine's languages, which do not change while it runs.
pub(crate) type NeedsLangs = moka::sync::Cache<String, LangChoice>;

/// Needs texts whose language is kept.
pub(crate) const NEEDS_LANGS_CAPACITY: u64 = 4096;

/// Why a KPI weighs in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    /// The city's gap only.
    Gap,
    /// The needs text only.
    Needs,
    /// Both the gap and the needs text.
    GapAndNeeds,
    /// An explicit focus in the request.
    Focus,
    /// A Sustainable Development Goal the request focuses on (`sdgs`, or named in the needs
    /// text), weighted by the city's gap.
    Sdg,
}

/// The weight a request gives one KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiWeight {
    /// Catalogue position.
    #[serde(skip)]
    pub kpi: KpiId,
    /// Canonical code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// qₖ, the query weight.
    pub weight: f32,
    /// The city's gap, when observed.
    pub gap: Option<f32>,
    /// How strongly the needs text maps to the KPI, [0, 1].
    pub needs: f32,
    /// Why it weighs.
    pub source: WeightSource,
    /// The goals of the request's SDG focus this KPI serves (empty without SDG focus).
    pub sdgs: Vec<u8>,
}

/// A request turned into what the ranker executes: a text query and a KPI weight vector.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// The needs text used (possibly the city's stated needs).
    pub needs_text: String,
    /// The language the needs text was read in (declared, detected or assumed); an unsupported
    /// language's words match nothing, so the ranking is the one without text.
    pub lang: LangChoice,
    /// Analysed terms written by the user.
    pub user_terms: Vec<String>,
    /// The text query (user terms and expansions).
    pub text: TextQuery,
    /// KPI weights with qₖ > 0, largest first.
    pub kpi_weights: Vec<KpiWeight>,
    /// Dense qₖ over the catalogue.
    pub q: Vec<f32>,
    /// The gap analysis of the city, when there is one.
    pub gaps: Option<Arc<GapAnalysis>>,
    /// Adoption evidence per solution from the city's peers (empty without a city, without
    /// deployments, or with `evidence_weight = 0`).
    pub evidence: Evidence,
    /// The Sustainable Development Goals the request focuses on (`sdgs` and those named in
    /// the needs text), in goal order.
    pub sdgs: Vec<u8>,
    /// The needs text's sentence embedding (the semantic stage), when a model reads its
    /// language and the profile weighs the dense part.
    pub dense: Option<crate::semantic::Embedding>,
}

impl QueryPlan {
    /// Builds the plan of a request; `gaps` is the city's gap analysis (cached for stored cities).
    pub(crate) fn build(
        req: &MatchRequest,
        city: Option<&City>,
        gaps: Option<Arc<GapAnalysis>>,
        profile: &RankingProfile,
        ctx: &PlanContext<'_>,
    ) -> Result<QueryPlan> {
        let catalogue = ctx.catalogue;
        // User text is only ever analysed into terms (never handed to a query parser), and both
        // its length and the number of terms taken from it are bounded.
        let needs_text = match (&req.needs, city) {
            (Some(text), _) => text.clone(),
            // A stored city's needs are valid one by one; joined they may exceed the bound.
            (None, Some(c)) => stated_needs(c),
            (None, None) => String::new(),
        };
        if needs_text.chars().count() > limits::MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "needs",
                format!(
                    "is {} characters long; the limit is {}",
                    needs_text.chars().count(),
                    limits::MAX_QUERY_CHARS
                ),
            ));
        }
        let lang = match req.lang.as_deref() {
            Some(_) => ctx.languages.of_needs(req.lang.as_deref(), &needs_text),
            None => match ctx.needs_langs.get(&needs_text) {
                Some(known) => Ok(known),
                None => ctx.languages.of_needs(None, &needs_text).inspect(|choice| {
                    ctx.needs_langs.insert(needs_text.clone(), choice.clone());
                }),
            },
        }
        .map_err(|message| Error::invalid("lang", message))?;
        // A language kpimatch does not support contributes no terms: its words would only match
        // look-alikes in other languages.
        let model = ctx.languages.get(lang.lang.unwrap_or_default());
        let (vocabulary, mapper) = (model.vocabulary(), model.mapper());
        let mut user_terms = match lang.lang {
            Some(_) => analyse(&mut model.analyzer().clone(), &needs_text),
            None => Vec::new(),
        };
        let sdgs = sdg_focus(&req.sdgs, vocabulary, &needs_text, &mut user_terms)?;
        user_terms.retain(|t| !vocabulary.is_stop_word(t));
        user_terms.truncate(limits::MAX_QUERY_TERMS);
        let expanded = vocabulary.expand(&user_terms);
        let weighted: Vec<WeightedTerm> = expanded
            .iter()
            .map(|t| WeightedTerm {
                term: t.term.clone(),
                weight: match t.origin {
                    TermOrigin::Query => 1.0,
                    TermOrigin::Synonym => profile.synonym_weight,
                },
            })
            .filter(|t| t.weight > 0.0)
            .collect();

        // Needs text → KPIs.
        let mut needs = vec![0f32; catalogue.len()];
        let matches = mapper.score_terms(weighted.iter().map(|t| (t.term.as_str(), t.weight)), false);
        if let Some(best) = matches.first().map(|m| m.score) {
            let confidence = if profile.needs_confidence > 0.0 {
                (best / profile.needs_confidence).min(1.0)
            } else {
                1.0
            };
            for m in matches.iter().take(profile.needs_max_kpis) {
                let rel = m.score / best;
                if rel >= profile.needs_min_relative {
                    needs[m.kpi] = rel * confidence;
                }
            }
        }
        // Explicit focus: codes or category names.
        let mut focus = vec![false; catalogue.len()];
        if req.focus.len() > limits::MAX_FILTER_ITEMS {
            return Err(Error::invalid(
                "kpis",
                format!(
                    "has {} items; the limit is {}",
                    req.focus.len(),
                    limits::MAX_FILTER_ITEMS
                ),
            ));
        }
        for (i, f) in req.focus.iter().enumerate() {
            if f.chars().count() > limits::MAX_LIST_ITEM_CHARS {
                return Err(Error::invalid(
                    format!("kpis[{i}]"),
                    format!("is longer than {} characters", limits::MAX_LIST_ITEM_CHARS),
                ));
            }
            let ids = match catalogue.kpis_in_category(f) {
                Some(ids) => ids,
                None => vec![catalogue.resolve(f).map_err(|_| {
                    Error::invalid(
                        format!("kpis[{i}]"),
                        format!(
                            "'{}' is neither a U4SSC KPI code nor a category name",
                            f.chars().take(80).collect::<String>()
                        ),
                    )
                })?],
            };
            for id in ids {
                focus[id] = true;
            }
        }
        // SDG focus: the KPIs serving the goals, weighted by the city's gap (fully without a city).
        let mut goal_of: Vec<Vec<u8>> = vec![Vec::new(); catalogue.len()];
        for &g in &sdgs {
            for &k in catalogue.kpis_of_goal(g) {
                goal_of[k].push(g);
            }
        }
        let mut gap: Vec<Option<f32>> = vec![None; catalogue.len()];
        // The city's gap on every KPI it reports (SDG focus weighs by it, beyond the top k).
        let mut full_gap: Vec<Option<f32>> = vec![None; catalogue.len()];
        if let Some(g) = &gaps {
            let take = if profile.gap_top_k == 0 {
                usize::MAX
            } else {
                profile.gap_top_k
            };
            for (rank, k) in g.kpis.iter().enumerate() {
                gap[k.kpi] = Some(if rank < take { k.gap as f32 } else { 0.0 });
                full_gap[k.kpi] = Some(k.gap as f32);
            }
        }
        let mut q = vec![0f32; catalogue.len()];
        let mut kpi_weights = Vec::new();
        for (id, kpi) in catalogue.kpis().iter().enumerate() {
            let c = if kpi.core { 1.0 } else { profile.advanced_weight };
            let g = match (gap[id], &gaps) {
                (Some(g), _) => g,
                (None, Some(_)) => profile.missing_gap,
                (None, None) => 0.0,
            };
            let by_sdg = if goal_of[id].is_empty() {
                0.0
            } else if gaps.is_some() {
                full_gap[id].unwrap_or(profile.missing_gap)
            } else {
                1.0
            };
            let m = if focus[id] {
                1.0f32.max(needs[id])
            } else {
                needs[id].max(by_sdg)
            };
            let w = c
                * (profile.gap_weight * g.powf(profile.gap_exponent)
                    + profile.needs_weight * m
                    + profile.needs_gap_weight * g * m);
            if w > 0.0 && w.is_finite() {
                q[id] = w;
                let source = if focus[id] {
                    WeightSource::Focus
                } else if by_sdg > 0.0 && by_sdg >= needs[id] {
                    WeightSource::Sdg
                } else if g > 0.0 && m > 0.0 {
                    WeightSource::GapAndNeeds
                } else if m > 0.0 {
                    WeightSource::Needs
                } else {
                    WeightSource::Gap
                };
                kpi_weights.push(KpiWeight {
                    kpi: id,
                    code: kpi.code.clone(),
                    name: kpi.name.clone(),
                    weight: w,
                    gap: gap[id],
                    needs: needs[id],
                    source,
                    sdgs: goal_of[id].clone(),
                });
            }
        }
        kpi_weights.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.kpi.cmp(&b.kpi)));
        let text = TextQuery {
            terms: if profile.text_weight > 0.0 {
                weighted
            } else {
                Vec::new()
            },
            lang: model.lang,
            boosts: profile.boosts.clone(),
        };
        Ok(QueryPlan {
            needs_text,
            lang,
            user_terms,
            text,
            kpi_weights,
            q,
            gaps,
            evidence: Evidence::none(),
            sdgs,
            dense: None,
        })
    }
}

/// The goals a request focuses on: its `sdgs` (validated: at most 17, each 1–17) and those its
/// needs text names. When the text names goals, the words that did (`sdg`, `goal`, the
/// numbers) are taken out of its terms: they say which KPIs count, not what a solution says.
fn sdg_focus(asked: &[u8], vocabulary: &Vocabulary, needs_text: &str, terms: &mut Vec<String>) -> Result<Vec<u8>> {
    if asked.len() > usize::from(crate::kpi::SDG_GOALS) {
        return Err(Error::invalid(
            "sdgs",
            format!("has {} items; there are 17 goals", asked.len()),
        ));
    }
    if let Some(i) = asked.iter().position(|g| !(1..=crate::kpi::SDG_GOALS).contains(g)) {
        return Err(Error::invalid(
            format!("sdgs[{i}]"),
            format!("goal {} does not exist; the SDGs are numbered 1 to 17", asked[i]),
        ));
    }
    let named = vocabulary.goals_in(needs_text, terms);
    if !named.is_empty() {
        const MARKERS: [&str; 8] = ["sdg", "goal", "od", "odd", "objectif", "objetivo", "obiettivo", "ziel"];
        terms.retain(|t| {
            let number = t.parse::<u8>().is_ok_and(|n| (1..=crate::kpi::SDG_GOALS).contains(&n));
            let sdg_n = t.strip_prefix("sdg").is_some_and(|n| n.parse::<u8>().is_ok());
            !(number || sdg_n || MARKERS.contains(&t.as_str()))
        });
    }
    let mut goals: Vec<u8> = asked.iter().copied().chain(named).collect();
    goals.sort_unstable();
    goals.dedup();
    Ok(goals)
}

/// A city's stated needs as one needs text (valid one by one, joined they may exceed the bound,
/// so they are cut to it).
pub(crate) fn stated_needs(city: &City) -> String {
    city.needs.join(". ").chars().take(limits::MAX_QUERY_CHARS).collect()
}

/// Resolves the city of a request.
pub(crate) fn resolve_city<'a>(
    input: &'a Option<CityInput>,
    lookup: impl Fn(&str) -> Option<&'a City>,
    catalogue: &Catalogue,
) -> Result<Option<&'a City>> {
    match input {
        None => Ok(None),
        Some(CityInput::Id(id)) => lookup(id).map(Some).ok_or_else(|| Error::NotFound {
            entity: "city",
            id: id.chars().take(80).collect(),
        }),
        Some(CityInput::Inline(c)) => {
            if let Some(e) = c.problems(catalogue).into_iter().next() {
                return Err(match e {
                    Error::InvalidField { field, message } => Error::InvalidField {
                        field: format!("city.{field}"),
                        message,
                    },
                    Error::UnknownKpiAt { field, code } => Error::UnknownKpiAt {
                        field: format!("city.{field}"),
                        code,
                    },
                    other => other,
                });
            }
            Ok(Some(c))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use crate::bundle::Bundle;
    use crate::city::City;
    use crate::ranking::{CityInput, MatchRequest};
    use crate::{limits, Engine, Error};

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        Engine::from_bundle(&bundle).unwrap()
    });

    fn needs(text: &str) -> MatchRequest {
        MatchRequest::for_text(text)
    }

    fn invalid_field(r: crate::Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    /// A needs text's language is detected once and then read from the cache: the second plan
    /// of a text is the first one, and a declared `lang` never goes through the cache.
    #[test]
    fn a_needs_texts_language_is_detected_once() {
        let e = &*ENGINE;
        let text = "¿qué arregla nuestras fugas de agua potable en la red?";
        let first = e.plan(&needs(text)).unwrap();
        assert!(e.needs_langs.contains_key(text));
        let again = e.plan(&needs(text)).unwrap();
        assert_eq!(
            (again.lang, again.user_terms, again.q),
            (first.lang.clone(), first.user_terms, first.q)
        );
        assert_eq!(first.lang.lang, Some(crate::lang::Lang::Es));
        let declared = "what fixes our water losses?";
        let mut req = needs(declared);
        req.lang = Some("en".into());
        e.plan(&req).unwrap();
        assert!(!e.needs_langs.contains_key(declared));
    }

    /// Query syntax means nothing: deep nesting, operators, field prefixes and wildcards are
    /// analysed into plain terms (tantivy's query parser, which about 1,000 nested parentheses
    /// overflow, is never used), and matching such text ranks normally.
    #[test]
    fn query_syntax_is_plain_text() {
        let e = &*ENGINE;
        let nested = format!("{}water{}", "(".repeat(995), ")".repeat(995));
        assert_eq!(e.plan(&needs(&nested)).unwrap().user_terms, ["water"]);
        assert!(!e.match_solutions(&needs(&nested)).unwrap().results.is_empty());
        let ops = r#"title:leak AND -(pipes OR "water loss"~2)^3 NOT * [a TO z] {x} \\ ?"#;
        assert_eq!(
            e.plan(&needs(ops)).unwrap().user_terms,
            ["titl", "leak", "pipe", "water", "loss", "2", "3", "z", "x"]
        );
        e.match_solutions(&needs(ops)).unwrap();
        for hostile in ["\u{0}\u{1}\u{7f}", "\u{202e}\u{feff}", "🚰💧", "\u{10ffff}", ""] {
            e.plan(&needs(hostile)).unwrap();
        }
    }

    /// The needs text is bounded in characters (not bytes), and the terms taken from it too.
    #[test]
    fn needs_text_length_is_bounded() {
        let e = &*ENGINE;
        let at = "é".repeat(limits::MAX_QUERY_CHARS);
        e.plan(&needs(&at)).unwrap();
        let past = "é".repeat(limits::MAX_QUERY_CHARS + 1);
        assert_eq!(invalid_field(e.plan(&needs(&past))), "needs");
        assert_eq!(invalid_field(e.match_solutions(&needs(&"x".repeat(100_000)))), "needs");
        let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let plan = e.plan(&needs(&words.join(" "))).unwrap();
        assert_eq!(plan.user_terms.len(), limits::MAX_QUERY_TERMS);
    }

    /// A stored city's stated needs stand in for an omitted needs text; joined they may be
    /// longer than the bound, which cuts them instead of failing a request that sent no text.
    #[test]
    fn long_stated_needs_are_cut_not_rejected() {
        let mut city: City = ENGINE.cities().next().unwrap().clone();
        city.needs = vec!["water leaks ".repeat(limits::MAX_QUERY_CHARS / 12); limits::MAX_NEEDS];
        let req = MatchRequest {
            city: Some(CityInput::Inline(Box::new(city))),
            ..MatchRequest::for_text("")
        };
        let req = MatchRequest { needs: None, ..req };
        let plan = ENGINE.plan(&req).unwrap();
        assert_eq!(plan.needs_text.chars().count(), limits::MAX_QUERY_CHARS);
        assert_eq!(plan.user_terms.len(), limits::MAX_QUERY_TERMS);
    }

    #[test]
    fn focus_items_are_bounded() {
        let mut req = MatchRequest {
            focus: vec!["Water and Sanitation".into(); limits::MAX_FILTER_ITEMS],
            ..MatchRequest::for_text("")
        };
        ENGINE.plan(&req).unwrap();
        req.focus[3] = "x".repeat(limits::MAX_LIST_ITEM_CHARS + 1);
        assert_eq!(invalid_field(ENGINE.plan(&req)), "kpis[3]");
        req.focus = vec!["Water and Sanitation".into(); limits::MAX_FILTER_ITEMS + 1];
        assert_eq!(invalid_field(ENGINE.plan(&req)), "kpis");
    }

    #[test]
    fn needs_text_names_goals_by_number_or_name() {
        let v = ENGINE.vocabulary();
        let goals = |t: &str| {
            let terms = crate::index::analyse(&mut crate::index::english(), t);
            v.goals_in(t, &terms)
        };
        assert_eq!(goals("What moves SDG 6?"), [6]);
        assert_eq!(goals("our goals 6 and 11, and SDG13"), [6, 11, 13]);
        assert_eq!(goals("the clean water goal"), [6]);
        assert_eq!(goals("Que faire pour l'ODD 6 ?"), [6]);
        assert_eq!(goals("ODS 11 y 13"), [11, 13]);
        assert_eq!(goals("Что делать для ЦУР 6 и 11?"), [6, 11]);
        assert_eq!(goals("bærekraftsmål 13"), [13]);
        assert_eq!(goals("الهدف 6"), [6]);
        assert!(goals("clean water for 6 districts").is_empty(), "no goal word, no goal");
        assert!(goals("SDG 18 and goal 0").is_empty(), "there are 17 goals");
    }

    /// SDG focus weighs the KPIs serving the goal by the city's gap (fully without a city),
    /// says which goal each served, and takes the words that named the goal out of the text.
    #[test]
    fn sdg_focus_weighs_the_goals_kpis_by_gap() {
        let e = &*ENGINE;
        let water: Vec<usize> = e.catalogue().kpis_of_goal(6).to_vec();
        assert!(water.len() >= 10);
        let mut req = MatchRequest::for_text("");
        req.sdgs = vec![6];
        let plan = e.plan(&req).unwrap();
        for &k in &water {
            assert!(plan.q[k] > 0.0);
        }
        assert!(plan
            .kpi_weights
            .iter()
            .all(|w| w.source == crate::ranking::WeightSource::Sdg && w.sdgs == [6]));

        let by_text = e.plan(&MatchRequest::for_text("what fixes SDG 6?")).unwrap();
        assert_eq!(by_text.sdgs, [6]);
        assert!(
            by_text.user_terms.iter().all(|t| t != "sdg" && t != "6"),
            "{:?}",
            by_text.user_terms
        );

        let city = e.cities().find(|c| c.id == "qasr-alwan").unwrap();
        let gaps = e.gaps(&city.id).unwrap();
        let mut req = MatchRequest::for_city(&city.id).with_needs("");
        let base = e.plan(&req).unwrap();
        req.sdgs = vec![6];
        let focused = e.plan(&req).unwrap();
        for &k in &water {
            match gaps.get(k) {
                Some(g) if g.gap == 0.0 => assert_eq!(focused.q[k], base.q[k], "a met KPI gains nothing"),
                Some(_) => assert!(focused.q[k] > base.q[k]),
                None => {}
            }
        }
        let top = e.match_solutions(&req).unwrap();
        let first = &top.results[0].explanation.as_ref().unwrap().kpis[0];
        assert_eq!(first.sdgs, [6], "{first:?}");
        assert_eq!(top.sdgs, [6]);
    }

    #[test]
    fn sdgs_are_validated() {
        let mut req = MatchRequest::for_text("water");
        req.sdgs = vec![6, 18];
        assert_eq!(invalid_field(ENGINE.plan(&req)), "sdgs[1]");
        req.sdgs = vec![1; 18];
        assert_eq!(invalid_field(ENGINE.plan(&req)), "sdgs");
    }
}
