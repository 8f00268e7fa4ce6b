use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::bundle::Bundle;
use crate::city::{City, GapAnalysis};
use crate::index::{KpiLists, SolutionTable, StoredSolution, TextIndex};
use crate::kpi::Catalogue;
use crate::lang::Lang;
use crate::limits;
use crate::peers::{self, Adopters, Benchmark, CityProfile, Peers};
use crate::ranking::{
    plan, MatchRequest, MatchResponse, MatchResult, ProfileSet, QueryPlan, Ranker, Stage, StageTimings,
};
use crate::semantic::Semantic;
use crate::solution::{KpiProfile, Solution};
use crate::vocab::{self, KpiMapper, LangModel, Languages, Vocabulary};
use crate::{Error, Result};

mod leads;
mod parallel;
mod persistence;
mod portfolio;

pub use persistence::{rankings_agree, Changes, IndexOpened, RestoreStats};

/// Sizes of what the engine holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    /// KPIs in the catalogue.
    pub kpis: usize,
    /// Solutions.
    pub solutions: usize,
    /// Solutions with declared KPI impacts.
    pub solutions_declared: usize,
    /// Cities.
    pub cities: usize,
}

/// The matching engine: catalogue, vocabulary, ranking profiles, the solutions with their
/// derived indexes, and the cities.
///
/// Writes go through `&mut self` (the caller serialises them, e.g. behind a `RwLock`); reads
/// and matches take `&self` and can run in parallel.
pub struct Engine {
    catalogue: Arc<Catalogue>,
    /// Per language: analyzer, vocabulary and text → KPI mapper.
    languages: Languages,
    profiles: ProfileSet,
    pub(crate) table: SolutionTable,
    lists: KpiLists,
    text: TextIndex,
    cities: BTreeMap<String, Arc<City>>,
    /// Gap analyses of the stored cities, computed once per city write.
    city_gaps: BTreeMap<String, Arc<GapAnalysis>>,
    /// The cities that record deployments (the sources of adoption evidence).
    adopters: Adopters,
    /// Every stored city's KPI weights for the default profile (for leads).
    lead_basis: leads::LeadBasis,
    /// The source of truth the derived data comes from, and the last change applied from it
    /// (stored in each text-index commit).
    origin: Option<String>,
    applied: u64,
    /// Fingerprint of the bundle files a solution's language and KPI profile are derived with
    /// (recorded in each commit: profiles stored in an index committed under another are
    /// inferred again); `None` for an engine not built from a bundle.
    derivation: Option<String>,
    /// The sentence-embedding model and its store (the dense part); `None` runs lexically.
    semantic: Option<Arc<Semantic>>,
    /// The analysed fields of recently explained solutions.
    field_terms: crate::index::FieldTermsCache,
    /// The language of recent needs texts (see [`plan::NeedsLangs`]).
    pub(crate) needs_langs: plan::NeedsLangs,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("stats", &self.stats()).finish()
    }
}

impl Engine {
    /// An empty engine with an in-memory text index.
    pub fn new(catalogue: Catalogue, vocabulary: Vocabulary, profiles: ProfileSet) -> Result<Engine> {
        let languages = Languages::english_only(&catalogue, Arc::new(vocabulary));
        Self::with_text_index(catalogue, languages, profiles, TextIndex::create_in_ram()?)
    }

    /// An empty engine with an in-memory text index that understands the given languages.
    pub fn with_languages(catalogue: Catalogue, languages: Languages, profiles: ProfileSet) -> Result<Engine> {
        Self::with_text_index(catalogue, languages, profiles, TextIndex::create_in_ram()?)
    }

    /// An empty engine whose text index lives in a directory (its content is cleared; the
    /// caller loads solutions from the source of truth).
    pub fn with_index_dir(
        catalogue: Catalogue,
        vocabulary: Vocabulary,
        profiles: ProfileSet,
        dir: &Path,
    ) -> Result<Engine> {
        let text = TextIndex::open_or_create(dir)?;
        text.clear()?;
        text.commit(None)?;
        let languages = Languages::english_only(&catalogue, Arc::new(vocabulary));
        Self::with_text_index(catalogue, languages, profiles, text)
    }

    fn with_text_index(
        catalogue: Catalogue,
        languages: Languages,
        profiles: ProfileSet,
        text: TextIndex,
    ) -> Result<Engine> {
        let lists = KpiLists::new(catalogue.len());
        Ok(Engine {
            catalogue: Arc::new(catalogue),
            languages,
            profiles,
            table: SolutionTable::default(),
            lists,
            text,
            cities: BTreeMap::new(),
            city_gaps: BTreeMap::new(),
            adopters: Adopters::default(),
            lead_basis: leads::LeadBasis::default(),
            origin: None,
            applied: 0,
            derivation: None,
            semantic: None,
            field_terms: Default::default(),
            needs_langs: plan::NeedsLangs::new(plan::NEEDS_LANGS_CAPACITY),
        })
    }

    /// An engine with a bundle's catalogue, vocabulary and ranking profiles (the built-in
    /// default profile when the bundle has none named `default`), and no solutions or cities.
    pub fn empty_for(bundle: &Bundle) -> Result<Engine> {
        let mut profiles = bundle.profiles.clone();
        if !profiles.iter().any(|p| p.name == "default") {
            profiles.push(crate::ranking::RankingProfile::default());
        }
        let profiles = ProfileSet::new(profiles, "default")?;
        let mut engine = Engine::with_languages(bundle.catalogue.clone(), bundle.languages(), profiles)?;
        engine.derivation = Some(bundle.manifest.derivation_fingerprint());
        Ok(engine)
    }

    /// An engine loaded with a bundle's solutions, cities and profiles (default profile:
    /// `default` when the bundle has it).
    pub fn from_bundle(bundle: &Bundle) -> Result<Engine> {
        let mut engine = Engine::empty_for(bundle)?;
        engine.upsert_solutions(bundle.solutions.clone())?;
        for c in &bundle.cities {
            engine.upsert_city(c.clone())?;
        }
        Ok(engine)
    }

    /// The KPI catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The catalogue, shared.
    pub fn shared_catalogue(&self) -> Arc<Catalogue> {
        Arc::clone(&self.catalogue)
    }

    /// Solutions addressing a KPI: (declared, inferred).
    pub fn kpi_solution_counts(&self, kpi: crate::kpi::KpiId) -> (usize, usize) {
        self.lists.count(kpi)
    }

    /// The compiled English vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        self.languages.english().vocabulary()
    }

    /// What the engine knows of each language.
    pub fn languages(&self) -> &Languages {
        &self.languages
    }

    /// The ranking profiles.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// The ranking profiles, for adding or replacing one.
    pub fn profiles_mut(&mut self) -> &mut ProfileSet {
        &mut self.profiles
    }

    /// The English text → KPI mapper.
    pub fn mapper(&self) -> &KpiMapper {
        self.languages.english().mapper()
    }

    /// A solution's language and the model its text is profiled with.
    fn model_of(&self, solution: &Solution) -> (Lang, &LangModel) {
        let lang = Languages::of_solution(solution);
        (lang, self.languages.for_solution(lang))
    }

    /// A solution's language and the KPI profile used for it ([`Languages::derive`]).
    pub(crate) fn language_and_profile(&self, solution: &Solution) -> (Lang, KpiProfile) {
        self.languages.derive(solution)
    }

    /// [`Engine::language_and_profile`] of many solutions, on every core (in order).
    pub(crate) fn languages_and_profiles(&self, solutions: &[&Solution]) -> Vec<(Lang, KpiProfile)> {
        parallel::map(solutions, |s| self.languages.derive(s))
    }

    /// What building a plan reads from the engine.
    pub(crate) fn plan_context(&self) -> plan::PlanContext<'_> {
        plan::PlanContext {
            catalogue: &self.catalogue,
            languages: &self.languages,
            needs_langs: &self.needs_langs,
        }
    }

    /// The text index (for reference queries in benches).
    pub fn text_index(&self) -> &TextIndex {
        &self.text
    }

    /// Sizes.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            kpis: self.catalogue.len(),
            solutions: self.table.len(),
            solutions_declared: self.table.iter().filter(|(_, s)| !s.solution.kpis.is_empty()).count(),
            cities: self.cities.len(),
        }
    }

    /// The KPI profile kpimatch would use for a solution (declared, or inferred from its text).
    pub fn profile_for(&self, solution: &Solution) -> KpiProfile {
        self.language_and_profile(solution).1
    }

    /// The profile inferred from a solution's text alone, ignoring declared impacts.
    pub fn infer_profile(&self, solution: &Solution) -> KpiProfile {
        let (_, m) = self.model_of(solution);
        vocab::infer(
            solution,
            m.mapper(),
            &mut m.analyzer().clone(),
            self.vocabulary().inference(),
        )
    }

    /// Validates, indexes and stores solutions (insert or replace), committing once.
    /// Nothing is written when any solution is invalid.
    pub fn upsert_solutions(&mut self, solutions: Vec<Solution>) -> Result<()> {
        for (i, s) in solutions.iter().enumerate() {
            s.validate(&self.catalogue).map_err(|e| match e {
                Error::InvalidField { field, message } if solutions.len() > 1 => Error::InvalidField {
                    field: format!("[{i}].{field}"),
                    message,
                },
                Error::UnknownKpiAt { field, code } if solutions.len() > 1 => Error::UnknownKpiAt {
                    field: format!("[{i}].{field}"),
                    code,
                },
                other => other,
            })?;
        }
        let fresh = self.table.is_empty();
        let first_build = fresh && self.text.started_empty();
        // Embeddings first, the model running on every core (a no-op without the stage).
        let mut embeddings = match &self.semantic {
            Some(sem) => {
                let langs: Vec<(Lang, &Solution)> = solutions.iter().map(|s| (Languages::of_solution(s), s)).collect();
                sem.solution_embeddings(&langs)
            }
            None => Vec::new(),
        }
        .into_iter();
        // Languages and profiles derived on every core while this thread hands each solution,
        // in batch order (the document order stays fixed), to tantivy's indexing thread: the
        // three overlap instead of tantivy waiting on one thread's inference.
        let solutions: Vec<Arc<Solution>> = solutions.into_iter().map(Arc::new).collect();
        let (languages, text, table, lists) = (&self.languages, &self.text, &mut self.table, &mut self.lists);
        parallel::map_in_order(
            &solutions,
            |s| languages.derive(s),
            |i, (lang, profile)| {
                let s = &solutions[i];
                let known = table.ord_of(&s.id);
                let ord = table.ord_for_insert(&s.id);
                // A first build into an index that started empty (no document the table does
                // not list) deletes only ids repeated within the batch.
                text.upsert(ord, s, lang, &profile, !first_build || known.is_some())?;
                let embedding = embeddings.next().flatten();
                let (ord, old) = table.upsert(Arc::clone(s), profile, lang);
                table.set_embedding(ord, embedding);
                if !fresh {
                    if let Some(old) = old {
                        lists.remove(ord, &old.profile);
                    }
                    if let Some(new) = table.get(ord) {
                        lists.insert(ord, &new.profile);
                    }
                }
                Ok::<_, Error>(())
            },
        )?;
        if fresh {
            self.lists = KpiLists::build(self.catalogue.len(), self.table.iter().map(|(o, s)| (o, &s.profile)));
        }
        self.commit_text()?;
        Ok(())
    }

    /// The semantic stage, when a model is loaded.
    pub fn semantic(&self) -> Option<&Arc<Semantic>> {
        self.semantic.as_ref()
    }

    /// Sets (or removes) the semantic stage; the stored solutions' embeddings are looked up or
    /// computed at once, so every solution has one from the model in use.
    pub fn set_semantic(&mut self, semantic: Option<Arc<Semantic>>) -> Result<()> {
        self.semantic = semantic;
        let stored: Vec<(u32, Lang, Arc<Solution>)> = self
            .table
            .iter()
            .map(|(o, s)| (o, s.lang, s.solution.clone()))
            .collect();
        let embeddings = match &self.semantic {
            Some(sem) => sem.solution_embeddings(&stored.iter().map(|(_, l, s)| (*l, &**s)).collect::<Vec<_>>()),
            None => vec![None; stored.len()],
        };
        for ((ord, _, _), e) in stored.iter().zip(embeddings) {
            self.table.set_embedding(*ord, e);
        }
        if let Some(s) = &self.semantic {
            s.sync()?;
        }
        Ok(())
    }

    /// A solution's embedding from the semantic stage (stored or computed), if any.
    pub(crate) fn embedding_of(&self, lang: Lang, solution: &Solution) -> Option<crate::semantic::Embedding> {
        self.semantic
            .as_ref()
            .and_then(|sem| sem.solution_embedding(lang, solution))
    }

    /// Inserts or replaces one solution; returns the stored entry.
    pub fn upsert_solution(&mut self, solution: Solution) -> Result<&StoredSolution> {
        let id = solution.id.clone();
        self.upsert_solutions(vec![solution])?;
        self.solution(&id)
            .ok_or_else(|| Error::Internal("a stored solution vanished".into()))
    }

    /// Deletes a solution; `false` when it did not exist.
    pub fn delete_solution(&mut self, id: &str) -> Result<bool> {
        let Some((ord, old)) = self.table.remove(id) else {
            return Ok(false);
        };
        self.lists.remove(ord, &old.profile);
        self.text.delete(id);
        self.commit_text()?;
        Ok(true)
    }

    /// A solution by id.
    pub fn solution(&self, id: &str) -> Option<&StoredSolution> {
        self.table.ord_of(id).and_then(|o| self.table.get(o))
    }

    /// All solutions in insertion order.
    pub fn solutions(&self) -> impl Iterator<Item = &StoredSolution> {
        self.table.iter().map(|(_, s)| s)
    }

    /// How many solutions carry each category, region, maturity and cost band (what the
    /// filters of a match can ask for).
    pub fn facets(&self) -> crate::solution::Facets {
        crate::solution::Facets::count(self.solutions().map(|s| s.solution.as_ref()))
    }

    /// Validates and stores a city (insert or replace).
    ///
    /// Deployments are not checked against the stored solutions here: this is also how stored
    /// cities are loaded and replicated, in any order relative to their solutions, and a city
    /// may keep a deployment of a solution deleted since (evidence ignores it). Writes check
    /// them first with [`Engine::check_city`].
    pub fn upsert_city(&mut self, city: City) -> Result<()> {
        city.validate(&self.catalogue)?;
        let gaps = Arc::new(GapAnalysis::compute(&city, &self.catalogue));
        self.update_lead_basis(&city.id, Some((&city, &gaps)))?;
        self.adopters
            .update(self.cities.get(&city.id).map(|c| c.as_ref()), Some(&city));
        self.city_gaps.insert(city.id.clone(), gaps);
        self.cities.insert(city.id.clone(), Arc::new(city));
        Ok(())
    }

    /// Deletes a city; `false` when it did not exist.
    pub fn delete_city(&mut self, id: &str) -> bool {
        self.city_gaps.remove(id);
        self.lead_basis.q.remove(id);
        let old = self.cities.remove(id);
        self.adopters.update(old.as_deref(), None);
        old.is_some()
    }

    /// A city by id.
    pub fn city(&self, id: &str) -> Option<&City> {
        self.cities.get(id).map(|c| c.as_ref())
    }

    /// All cities by id.
    pub fn cities(&self) -> impl Iterator<Item = &City> {
        self.cities.values().map(|c| c.as_ref())
    }

    /// The gap analysis of a stored city.
    pub fn gaps(&self, city_id: &str) -> Result<Arc<GapAnalysis>> {
        self.city_gaps.get(city_id).cloned().ok_or_else(|| Error::NotFound {
            entity: "city",
            id: city_id.chars().take(80).collect(),
        })
    }

    /// A stored city's standing per Sustainable Development Goal (see [`crate::city::SdgStanding`]).
    pub fn sdgs(&self, city_id: &str) -> Result<crate::city::SdgStanding> {
        let gaps = self.gaps(city_id)?;
        Ok(crate::city::SdgStanding::compute(
            &gaps,
            &self.catalogue,
            self.vocabulary(),
        ))
    }

    /// Turns a request into the plan the ranker executes (for inspection and explanations).
    pub fn plan(&self, req: &MatchRequest) -> Result<QueryPlan> {
        self.plan_with_adopters(req, None)
    }

    /// [`Engine::plan`], with adoption evidence read from the given adopting cities only
    /// (`None`: every city that records deployments). Evidence for a solution depends only on
    /// the cities that record it, so a caller that needs one solution's evidence passes those.
    pub(crate) fn plan_with_adopters(&self, req: &MatchRequest, only: Option<&[&str]>) -> Result<QueryPlan> {
        self.plan_timed(req, only, &mut StageTimings::default())
    }

    /// [`Engine::plan_with_adopters`], adding each stage's time to `timings`.
    fn plan_timed(&self, req: &MatchRequest, only: Option<&[&str]>, timings: &mut StageTimings) -> Result<QueryPlan> {
        let profile = self.profiles.get(req.profile.as_deref())?;
        let (city, gaps) = timings.time(Stage::Gaps, || -> Result<_> {
            let city = plan::resolve_city(&req.city, |id| self.city(id), &self.catalogue)?;
            let gaps = match (&req.city, city) {
                (Some(crate::ranking::CityInput::Id(id)), Some(_)) => self.city_gaps.get(id).cloned(),
                (_, Some(c)) => Some(Arc::new(GapAnalysis::compute(c, &self.catalogue))),
                (_, None) => None,
            };
            if let (Some(crate::ranking::CityInput::Inline(_)), Some(c)) = (&req.city, city) {
                self.check_deployed_solutions(c).map_err(|e| match e {
                    Error::InvalidField { field, message } => Error::InvalidField {
                        field: format!("city.{field}"),
                        message,
                    },
                    other => other,
                })?;
            }
            Ok((city, gaps))
        })?;
        let ctx = self.plan_context();
        let mut plan = timings.time(Stage::Needs, || QueryPlan::build(req, city, gaps, profile, &ctx))?;
        if let (Some(sem), Some(lang), true) = (&self.semantic, plan.lang.lang, profile.dense_weight > 0.0) {
            plan.dense = timings.time(Stage::Meaning, || sem.query_embedding(lang, &plan.needs_text));
        }
        if let (Some(c), Some(g)) = (city, plan.gaps.clone()) {
            if profile.evidence_weight > 0.0 && !self.adopters.is_empty() {
                plan.evidence = timings.time(Stage::Evidence, || {
                    let me = CityProfile::new(c, &g, self.catalogue.len());
                    let ids: Vec<&str> = match only {
                        Some(ids) => ids.to_vec(),
                        None => self.adopters.ids().collect(),
                    };
                    let adopters = ids.into_iter().filter_map(|id| self.stored_profile(id));
                    peers::evidence(
                        &me,
                        &plan.q,
                        adopters,
                        &self.table,
                        &self.catalogue,
                        profile.evidence_weight,
                    )
                });
            }
        }
        Ok(plan)
    }

    /// Validates a city for a write: everything [`City::validate`] checks, and that every
    /// deployment names a stored solution (else an invalid `deployments[i].solution_id`).
    /// Call it before the write is made durable; [`Engine::upsert_city`] does not check
    /// deployments against the solutions.
    pub fn check_city(&self, city: &City) -> Result<()> {
        city.validate(&self.catalogue)?;
        self.check_deployed_solutions(city)
    }

    fn check_deployed_solutions(&self, city: &City) -> Result<()> {
        for (i, d) in city.deployments.iter().enumerate() {
            if self.table.ord_of(&d.solution_id).is_none() {
                return Err(Error::invalid(
                    format!("deployments[{i}].solution_id"),
                    format!(
                        "solution '{}' is not in the catalogue; deployments must name stored solutions",
                        d.solution_id.chars().take(80).collect::<String>()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A stored city with its gap analysis, indexed for comparisons.
    fn stored_profile(&self, id: &str) -> Option<CityProfile<'_>> {
        Some(CityProfile::new(
            self.cities.get(id)?,
            self.city_gaps.get(id)?,
            self.catalogue.len(),
        ))
    }

    fn peer_request(&self, city_id: &str, field: &str, n: usize) -> Result<CityProfile<'_>> {
        if !(1..=peers::MAX_PEERS).contains(&n) {
            return Err(Error::invalid(field, format!("{n} is outside 1–{}", peers::MAX_PEERS)));
        }
        self.stored_profile(city_id).ok_or_else(|| Error::NotFound {
            entity: "city",
            id: city_id.chars().take(80).collect(),
        })
    }

    /// A stored city's `limit` (1–50) most similar comparable cities, with their similarity,
    /// the KPIs compared and those where each is clearly ahead; or why there are none (see
    /// [`crate::peers`]).
    pub fn peers(&self, city_id: &str, limit: usize) -> Result<Peers> {
        let me = self.peer_request(city_id, "limit", limit)?;
        let others = self.cities.keys().filter_map(|id| self.stored_profile(id));
        Ok(peers::peers(&me, others, limit, &self.catalogue))
    }

    /// A stored city's standing on every KPI and category among its `peers` (1–50) most
    /// similar comparable cities, with its own trends; or why there is none.
    pub fn benchmark(&self, city_id: &str, peers: usize) -> Result<Benchmark> {
        let me = self.peer_request(city_id, "peers", peers)?;
        let others = self.cities.keys().filter_map(|id| self.stored_profile(id));
        Ok(peers::benchmark(&me, others, peers, &self.catalogue))
    }

    /// Changes whenever a city that records deployments is written or deleted: rankings with
    /// adoption evidence depend on those cities as well as on the requesting one (a cache key
    /// part). Never repeats within a process.
    pub fn evidence_version(&self) -> u64 {
        self.adopters.version()
    }

    /// Ranks solutions for a request.
    pub fn match_solutions(&self, req: &MatchRequest) -> Result<MatchResponse> {
        self.match_solutions_timed(req).map(|(response, _)| response)
    }

    /// [`Engine::match_solutions`], with the time each stage took.
    pub fn match_solutions_timed(&self, req: &MatchRequest) -> Result<(MatchResponse, StageTimings)> {
        if req.limit > limits::MAX_LIMIT {
            return Err(Error::invalid(
                "limit",
                format!("{} is above the maximum of {}", req.limit, limits::MAX_LIMIT),
            ));
        }
        if req.offset > limits::MAX_OFFSET {
            return Err(Error::invalid(
                "offset",
                format!("{} is above the maximum of {}", req.offset, limits::MAX_OFFSET),
            ));
        }
        if !(req.diversity.is_finite() && (0.0..=1.0).contains(&req.diversity)) {
            return Err(Error::invalid(
                "diversity",
                format!("{} is outside 0..1", req.diversity),
            ));
        }
        crate::ranking::check_explain_ids(&req.explain_ids)?;
        let profile = self.profiles.get(req.profile.as_deref())?;
        let filters = req.filters.compile(&self.catalogue, &self.table)?;
        let mut timings = StageTimings::default();
        let plan = self.plan_timed(req, None, &mut timings)?;
        let ranker = self.ranker(profile, &plan, &filters);
        let need = req.offset + req.limit;
        // Diversity re-ranks a pool that does not depend on the page (the top 300, or three
        // times the page's end when deeper), so pages are windows of one diversified ranking.
        let pool = if req.diversity > 0.0 {
            need.max(limits::MAX_LIMIT) * 3
        } else {
            need
        };
        let ranked = timings.time(Stage::Candidates, || -> Result<_> {
            let top = ranker.top(pool)?;
            Ok(ranker.diversify(top, req.diversity, need))
        })?;
        let results: Vec<MatchResult> = timings.time(Stage::Explain, || {
            ranked
                .into_iter()
                .enumerate()
                .skip(req.offset)
                .filter_map(|(i, (scored, penalty))| {
                    let s = self.table.get(scored.ord)?;
                    Some(MatchResult {
                        rank: i + 1,
                        solution_id: s.solution.id.clone(),
                        title: s.solution.title.clone(),
                        provider: s.solution.provider.clone(),
                        provider_type: s.solution.provider_type,
                        lang: s.lang,
                        summary: s.solution.summary.clone(),
                        score: scored.score - penalty,
                        explanation: req.explain.then(|| ranker.explain(s, &scored, penalty)),
                    })
                })
                .collect()
        });
        let page = crate::ranking::Page {
            offset: req.offset,
            limit: req.limit,
            diversity: req.diversity,
            results: &results,
        };
        let not_returned = timings.time(Stage::WhyNot, || {
            ranker.why_not(&req.explain_ids, &req.filters, &filters, &page)
        })?;
        let response = MatchResponse {
            results,
            gaps_used: plan.kpi_weights.clone(),
            needs_text: plan.needs_text.clone(),
            lang: plan.lang.clone(),
            query_terms: plan.user_terms.clone(),
            sdgs: plan.sdgs.clone(),
            profile: profile.name.clone(),
            not_returned,
        };
        Ok((response, timings))
    }

    /// The ranker of one request over this engine's solutions.
    pub(crate) fn ranker<'a>(
        &'a self,
        profile: &'a crate::ranking::RankingProfile,
        plan: &'a QueryPlan,
        filters: &'a crate::ranking::CompiledFilters,
    ) -> Ranker<'a> {
        Ranker {
            catalogue: &self.catalogue,
            table: &self.table,
            lists: &self.lists,
            text: &self.text,
            profile,
            plan,
            filters,
            analyzer: self.languages.get(plan.text.lang).analyzer(),
            field_terms: &self.field_terms,
        }
    }

    /// Every solution scored exactly (no candidate lists, no bounds), best first with ties by
    /// id: the reference the exact top-k is tested against.
    #[cfg(test)]
    pub(crate) fn exhaustive_ranking(&self, req: &MatchRequest) -> Vec<(String, f32)> {
        let profile = self.profiles.get(req.profile.as_deref()).unwrap();
        let filters = req.filters.compile(&self.catalogue, &self.table).unwrap();
        let plan = self.plan(req).unwrap();
        let ranker = self.ranker(profile, &plan, &filters);
        let ords: Vec<u32> = self.table.iter().map(|(o, _)| o).collect();
        let text = self.text.score_ords(&plan.text, &ords).unwrap();
        let text_on = profile.text_weight > 0.0 && !plan.text.is_empty();
        let kpi_on = profile.kpi_weight > 0.0 && !plan.kpi_weights.is_empty();
        // The text part is normalised by the best BM25 among the solutions the filters accept.
        let tmax = ords
            .iter()
            .zip(&text)
            .filter(|(&o, _)| self.table.get(o).is_some_and(|s| filters.accepts(o, s)))
            .map(|(_, &t)| t)
            .fold(0f32, f32::max)
            .max(f32::MIN_POSITIVE);
        let mut out: Vec<(String, f32)> = ords
            .iter()
            .zip(&text)
            .filter_map(|(&o, &t)| {
                let s = self.table.get(o)?;
                if !filters.accepts(o, s) {
                    return None;
                }
                let text = if text_on { profile.text_weight * t / tmax } else { 0.0 };
                let kpi = if kpi_on {
                    ranker.kpi_part(ranker.kpi_raw(&s.profile))
                } else {
                    0.0
                };
                let mut score = crate::ranking::combine(text, kpi, plan.evidence.score(o));
                let dense = ranker.dense_part(s);
                if dense > 0.0 {
                    score += dense;
                }
                (score > 0.0).then(|| (s.solution.id.clone(), score))
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(id: &str, title: &str) -> Solution {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": title, "provider": "P", "summary": "A solution.", "categories": ["Environment"]
        }))
        .unwrap()
    }

    /// A first build skips tantivy's per-id deletions; an id repeated within that batch must
    /// still leave one document, the later one.
    #[test]
    fn a_first_build_keeps_only_the_last_of_a_repeated_id() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let mut engine = Engine::empty_for(&bundle).unwrap();
        engine
            .upsert_solutions(vec![
                solution("rep", "Aquifer recharge"),
                solution("other", "Aquifer mapping"),
                solution("rep", "Glacier monitoring"),
            ])
            .unwrap();
        assert_eq!(engine.text.num_docs(), 2);
        let ids = |engine: &Engine, needs: &str| -> Vec<String> {
            let req = MatchRequest::for_text(needs).with_profile("text-only");
            let res = engine.match_solutions(&req).unwrap();
            res.results.into_iter().map(|r| r.solution_id).collect()
        };
        assert_eq!(ids(&engine, "aquifer"), ["other"]);
        assert_eq!(ids(&engine, "glacier"), ["rep"]);
        // A later batch replaces as before.
        engine
            .upsert_solutions(vec![solution("other", "Glacier mapping")])
            .unwrap();
        assert_eq!(engine.text.num_docs(), 2);
        assert!(ids(&engine, "aquifer").is_empty());
    }

    /// An engine on a reopened index has an empty table but documents: its first batch must
    /// still replace them, whoever calls it.
    #[test]
    fn a_batch_into_a_reopened_index_replaces_its_documents() {
        let bundle = Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut engine, _) = Engine::open_index(&bundle, dir.path()).unwrap();
            assert!(engine.text.started_empty());
            engine
                .rebuild(vec![solution("rep", "Aquifer recharge")], Vec::new(), "test", 1)
                .unwrap();
        }
        let (mut engine, opened) = Engine::open_index(&bundle, dir.path()).unwrap();
        assert!(
            matches!(opened, persistence::IndexOpened::Reopened { .. }),
            "{opened:?}"
        );
        assert!(!engine.text.started_empty());
        engine
            .upsert_solutions(vec![solution("rep", "Glacier monitoring")])
            .unwrap();
        assert_eq!(engine.text.num_docs(), 1);
    }
}
