//! The engine as a replica of a source of truth: a text index on disk whose every commit
//! records the source's identity and the last change applied, so a restart re-indexes only
//! what changed since; batches of changes applied in order.
//!
//! The text index is the expensive part to rebuild (tantivy indexing). Each document also
//! stores its solution's language and KPI profile as derived when it was written, so a restart
//! infers profiles only for what changed (or for everything when the bundle's catalogue or
//! vocabularies changed: the commit records their fingerprint); the inverted KPI lists and the
//! cities are rebuilt from those and the source at every start. Solution
//! embeddings (the semantic stage) are read from its own persisted store, keyed by text, so
//! neither a restore nor a rebuild runs the model on a text it embedded before.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Engine;
use crate::bundle::Bundle;
use crate::city::City;
use crate::index::{KpiLists, StoredDoc, TextIndex};
use crate::lang::Lang;
use crate::solution::{KpiProfile, Solution};
use crate::{Error, Result};

/// Version of what a commit payload promises about the index; bump it when the schema, the
/// analyzer, what is indexed or how a language or KPI profile is derived changes, so old
/// indexes are rebuilt instead of replayed.
const INDEX_FORMAT: u32 = 4;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    format: u32,
    origin: String,
    applied: u64,
    /// The bundle fingerprint the stored profiles were derived with.
    #[serde(default)]
    derivation: Option<String>,
}

/// Changes from a source of truth, with the records' current state, covering the change
/// sequence numbers `from + 1 ..= to`.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    /// Sequence the batch starts after.
    pub from: u64,
    /// Last sequence the batch covers.
    pub to: u64,
    /// Solutions written (inserted or replaced).
    pub solutions: Vec<Solution>,
    /// Ids of solutions deleted.
    pub deleted_solutions: Vec<String>,
    /// Cities written.
    pub cities: Vec<City>,
    /// Ids of cities deleted.
    pub deleted_cities: Vec<String>,
}

impl Changes {
    /// True when the batch covers no change.
    pub fn is_empty(&self) -> bool {
        self.to == self.from
    }
}

/// What was found in an index directory.
#[derive(Debug)]
pub enum IndexOpened {
    /// An index whose commit says which source it reflects and up to which change.
    Reopened {
        /// The source's identity.
        origin: String,
        /// The last change it contains.
        applied: u64,
        /// Its documents, by solution id.
        docs: HashMap<String, IndexedDoc>,
    },
    /// An empty index (none existed, or the one there was unusable: the reason).
    Fresh {
        /// Why the index is new.
        reason: String,
    },
}

/// A document of a reopened index.
#[derive(Debug, Clone)]
pub struct IndexedDoc {
    /// The solution's ordinal.
    pub ord: u32,
    /// The language and KPI profile stored with it, when readable.
    pub derived: Option<(Lang, KpiProfile)>,
    /// True when they were derived with this engine's bundle (its catalogue and vocabularies).
    pub current: bool,
}

/// What a restore did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Solutions whose indexed documents were kept.
    pub kept: usize,
    /// Solutions (re-)indexed because they changed after the index's last commit or were new.
    pub reindexed: usize,
    /// Documents removed because their solutions were deleted.
    pub removed: usize,
    /// Kept solutions whose language and KPI profile were read from the index rather than
    /// derived again.
    pub profiles_read: usize,
}

impl Engine {
    /// An engine with a bundle's catalogue, vocabulary and profiles whose text index lives in
    /// `dir`: reopened when it is usable (see [`IndexOpened`]), else recreated empty. The table
    /// is empty either way; follow with [`Engine::restore`] or [`Engine::rebuild`].
    pub fn open_index(bundle: &Bundle, dir: &Path) -> Result<(Engine, IndexOpened)> {
        let mut engine = Engine::empty_for(bundle)?;
        let (text, opened) = match TextIndex::open_or_create(dir) {
            Ok(text) => {
                let opened = engine.inspect(&text);
                if let IndexOpened::Fresh { .. } = opened {
                    text.clear()?;
                    text.commit(None)?;
                }
                (text, opened)
            }
            Err(e) => {
                std::fs::remove_dir_all(dir).map_err(|io| Error::io(dir, io))?;
                let text = TextIndex::open_or_create(dir)?;
                (
                    text,
                    IndexOpened::Fresh {
                        reason: format!("the index could not be opened ({e}); rebuilt"),
                    },
                )
            }
        };
        engine.text = text;
        Ok((engine, opened))
    }

    fn inspect(&self, text: &TextIndex) -> IndexOpened {
        let payload = match text.commit_payload() {
            Ok(Some(p)) => p,
            Ok(None) => {
                return IndexOpened::Fresh {
                    reason: "no index yet".into(),
                }
            }
            Err(e) => {
                return IndexOpened::Fresh {
                    reason: format!("unreadable commit ({e})"),
                }
            }
        };
        let payload: Payload = match serde_json::from_str(&payload) {
            Ok(p) => p,
            Err(e) => {
                return IndexOpened::Fresh {
                    reason: format!("unreadable commit payload ({e})"),
                }
            }
        };
        if payload.format != INDEX_FORMAT {
            return IndexOpened::Fresh {
                reason: format!("index format {} (this build writes {INDEX_FORMAT})", payload.format),
            };
        }
        let stored = match text.stored_docs(self.catalogue.len()) {
            Ok(docs) => docs,
            Err(e) => {
                return IndexOpened::Fresh {
                    reason: format!("unreadable documents ({e})"),
                }
            }
        };
        let current = payload.derivation.is_some() && payload.derivation == self.derivation;
        let n = stored.len();
        let mut by_id = HashMap::with_capacity(n);
        let mut ords = HashSet::with_capacity(n);
        for StoredDoc { id, ord, derived } in stored {
            let doc = IndexedDoc { ord, derived, current };
            if ord == u32::MAX || !ords.insert(ord) || by_id.insert(id, doc).is_some() {
                return IndexOpened::Fresh {
                    reason: "duplicate ids or ordinals in the index".into(),
                };
            }
        }
        IndexOpened::Reopened {
            origin: payload.origin,
            applied: payload.applied,
            docs: by_id,
        }
    }

    /// The source this engine's derived data comes from, and the last change applied.
    pub fn applied(&self) -> (Option<&str>, u64) {
        (self.origin.as_deref(), self.applied)
    }

    /// Loads solutions and cities into an engine opened on a reusable index: documents of
    /// solutions not in `changed` are kept as indexed (their ordinals restored, their stored
    /// language and KPI profile used when current), changed and new solutions are re-indexed,
    /// documents of deleted solutions removed; then the commit records `origin` and `head`. A
    /// kept document whose stored profile is not current is re-indexed when the profile derived
    /// again differs, so every stored profile is current after the commit. An index that does
    /// not agree with the result (a document count that differs) is an error: the caller
    /// rebuilds.
    pub fn restore(
        &mut self,
        mut docs: HashMap<String, IndexedDoc>,
        solutions: Vec<Solution>,
        cities: Vec<City>,
        changed: &HashSet<&str>,
        origin: &str,
        head: u64,
    ) -> Result<RestoreStats> {
        if !self.table.is_empty() {
            return Err(Error::Internal("restore needs an empty engine".into()));
        }
        for s in &solutions {
            s.validate(&self.catalogue)?;
        }
        let mut stats = RestoreStats::default();
        let present: HashSet<&str> = solutions.iter().map(|s| s.id.as_str()).collect();
        for id in docs.keys() {
            if !present.contains(id.as_str()) {
                self.text.delete(id);
                stats.removed += 1;
            }
        }
        let mut fresh = Vec::new();
        // Stored profiles of kept documents; the others derived on every core (that was most
        // of a restart's time when every profile was inferred again).
        let stored: Vec<Option<(Lang, KpiProfile)>> = solutions
            .iter()
            .map(|s| match docs.get_mut(&s.id) {
                Some(d) if d.current && !changed.contains(s.id.as_str()) => d.derived.take(),
                _ => None,
            })
            .collect();
        let missing: Vec<&Solution> = solutions
            .iter()
            .zip(&stored)
            .filter(|(_, d)| d.is_none())
            .map(|(s, _)| s)
            .collect();
        let mut derived = self.languages_and_profiles(&missing).into_iter();
        for (s, read) in solutions.into_iter().zip(stored) {
            let was_read = read.is_some();
            let Some((lang, profile)) = read.or_else(|| derived.next()) else {
                return Err(Error::Internal("a solution's profile was not derived".into()));
            };
            match docs.get(&s.id) {
                Some(doc) => {
                    let ord = doc.ord;
                    let stale = !was_read && doc.derived.as_ref().is_none_or(|(l, p)| *l != lang || *p != profile);
                    if changed.contains(s.id.as_str()) || stale {
                        self.text.upsert(ord, &s, lang, &profile, true)?;
                        stats.reindexed += 1;
                    } else {
                        stats.kept += 1;
                        stats.profiles_read += usize::from(was_read);
                    }
                    let embedding = self.embedding_of(lang, &s);
                    if !self.table.insert_at(ord, Arc::new(s), profile, lang) {
                        return Err(Error::Internal("the index holds an ordinal twice".into()));
                    }
                    self.table.set_embedding(ord, embedding);
                }
                None => fresh.push((s, profile, lang)),
            }
        }
        for (s, profile, lang) in fresh {
            let ord = self.table.ord_for_insert(&s.id);
            self.text.upsert(ord, &s, lang, &profile, true)?;
            let embedding = self.embedding_of(lang, &s);
            self.table.upsert(Arc::new(s), profile, lang);
            self.table.set_embedding(ord, embedding);
            stats.reindexed += 1;
        }
        self.lists = KpiLists::build(self.catalogue.len(), self.table.iter().map(|(o, s)| (o, &s.profile)));
        for c in cities {
            self.upsert_city(c)?;
        }
        self.origin = Some(origin.to_string());
        self.applied = head;
        self.commit_text()?;
        let docs = self.text.num_docs();
        if docs != self.table.len() as u64 {
            return Err(Error::Internal(format!(
                "the reopened index has {docs} documents for {} solutions",
                self.table.len()
            )));
        }
        Ok(stats)
    }

    /// Loads solutions and cities into an engine with an empty table, indexing everything,
    /// and records `origin` and `head` in the commit.
    pub fn rebuild(&mut self, solutions: Vec<Solution>, cities: Vec<City>, origin: &str, head: u64) -> Result<()> {
        self.text.clear()?;
        self.origin = Some(origin.to_string());
        self.applied = head;
        self.upsert_solutions(solutions)?;
        for c in cities {
            self.upsert_city(c)?;
        }
        Ok(())
    }

    /// Applies a batch of changes and commits once, recording its last sequence. A batch that
    /// does not start at the last applied change is refused (a gap would lose changes).
    pub fn apply(&mut self, changes: Changes) -> Result<()> {
        if changes.from > self.applied {
            return Err(Error::Internal(format!(
                "changes after {} cannot apply to an engine at {}",
                changes.from, self.applied
            )));
        }
        if changes.to <= self.applied {
            return Ok(());
        }
        for s in &changes.solutions {
            s.validate(&self.catalogue)?;
        }
        for id in &changes.deleted_solutions {
            if let Some((ord, old)) = self.table.remove(id) {
                self.lists.remove(ord, &old.profile);
                self.text.delete(id);
            }
        }
        for c in &changes.deleted_cities {
            self.delete_city(c);
        }
        for c in changes.cities {
            self.upsert_city(c)?;
        }
        self.applied = changes.to;
        // upsert_solutions commits (with the new sequence); otherwise commit here.
        if changes.solutions.is_empty() {
            self.commit_text()
        } else {
            self.upsert_solutions(changes.solutions)
        }
    }

    /// Commits the text index with the payload naming the source and the last applied change.
    pub(super) fn commit_text(&self) -> Result<()> {
        // Embeddings computed for this batch become durable with it (a crash before only
        // costs recomputing them).
        if let Some(sem) = &self.semantic {
            sem.sync()?;
        }
        let payload = self.origin.as_ref().map(|origin| {
            serde_json::to_string(&Payload {
                format: INDEX_FORMAT,
                origin: origin.clone(),
                applied: self.applied,
                derivation: self.derivation.clone(),
            })
            .unwrap_or_default()
        });
        self.text.commit(payload)
    }
}

/// Checks that two rankings (id, score; best first) agree up to `tolerance` on scores: every id
/// both hold scores within it, and an id only one holds sits at the cut within it. Orders can
/// then differ only between near-ties. This is how a replica that applied updates compares
/// with a fresh rebuild: tantivy's BM25 statistics count replaced and deleted documents until
/// segments merge, which moves text scores in the fifth decimal.
pub fn rankings_agree(a: &[(String, f32)], b: &[(String, f32)], tolerance: f32) -> std::result::Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} results vs {}", a.len(), b.len()));
    }
    let cut = |r: &[(String, f32)]| r.last().map_or(f32::NEG_INFINITY, |x| x.1);
    let (cut_a, cut_b) = (cut(a), cut(b));
    let scores_b: HashMap<&str, f32> = b.iter().map(|(id, s)| (id.as_str(), *s)).collect();
    let scores_a: HashMap<&str, f32> = a.iter().map(|(id, s)| (id.as_str(), *s)).collect();
    for (id, sa) in a {
        match scores_b.get(id.as_str()) {
            Some(sb) if (sa - sb).abs() <= tolerance => {}
            Some(sb) => return Err(format!("{id}: score {sa} vs {sb}")),
            None if (sa - cut_b).abs() <= tolerance => {}
            None => return Err(format!("{id} (score {sa}) is missing from the other ranking")),
        }
    }
    for (id, sb) in b {
        if !scores_a.contains_key(id.as_str()) && (sb - cut_a).abs() > tolerance {
            return Err(format!("{id} (score {sb}) is missing from the first ranking"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        Bundle::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data"))).unwrap()
    }

    fn ranking(engine: &Engine, city: &str) -> Vec<(String, f32)> {
        let req = crate::MatchRequest {
            city: Some(crate::ranking::CityInput::Id(city.into())),
            limit: 20,
            ..crate::MatchRequest::default()
        };
        engine
            .match_solutions(&req)
            .unwrap()
            .results
            .into_iter()
            .map(|r| (r.solution_id, r.score))
            .collect()
    }

    #[test]
    fn a_reopened_index_replays_only_the_tail_and_ranks_like_a_rebuild() {
        let b = bundle();
        let dir = tempfile::tempdir().unwrap();
        let (mut first, opened) = Engine::open_index(&b, dir.path()).unwrap();
        assert!(matches!(opened, IndexOpened::Fresh { .. }));
        let (head, tail) = b.solutions.split_at(250);
        first.rebuild(head.to_vec(), b.cities.clone(), "db-1", 250).unwrap();
        drop(first);

        // Changes after the commit: the tail added, one solution edited, one deleted.
        let mut now: Vec<Solution> = b.solutions.clone();
        now[3].summary.push_str(" Now with leak detection for water mains.");
        let deleted = now.remove(7).id;
        let mut changed: HashSet<&str> = tail.iter().map(|s| s.id.as_str()).collect();
        changed.insert(&now[3].id);
        changed.insert(&deleted);

        let (mut second, opened) = Engine::open_index(&b, dir.path()).unwrap();
        let IndexOpened::Reopened { origin, applied, docs } = opened else {
            panic!("the index should reopen");
        };
        assert_eq!((origin.as_str(), applied), ("db-1", 250));
        let stats = second
            .restore(docs, now.clone(), b.cities.clone(), &changed, "db-1", 400)
            .unwrap();
        assert_eq!(
            stats,
            RestoreStats {
                kept: 248,
                reindexed: tail.len() + 1,
                removed: 1,
                profiles_read: 248,
            }
        );
        assert_eq!(second.applied(), (Some("db-1"), 400));

        let mut fresh = Engine::empty_for(&b).unwrap();
        fresh.rebuild(now, b.cities.clone(), "db-1", 400).unwrap();
        // BM25 statistics count replaced and deleted documents until tantivy merges segments,
        // so text scores differ from a fresh rebuild in the fifth decimal; rankings agree.
        for c in fresh.cities().map(|c| c.id.clone()).collect::<Vec<_>>() {
            let (a, b) = (ranking(&second, &c), ranking(&fresh, &c));
            if let Err(e) = rankings_agree(&a, &b, 1e-3) {
                panic!("city {c}: {e}");
            }
        }
    }

    fn derived(engine: &Engine) -> Vec<(String, Lang, KpiProfile)> {
        let mut out: Vec<_> = engine
            .table
            .iter()
            .map(|(_, s)| (s.solution.id.clone(), s.lang, s.profile.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn reopen(b: &Bundle, dir: &Path, head: u64) -> (Engine, RestoreStats) {
        let (mut e, opened) = Engine::open_index(b, dir).unwrap();
        let IndexOpened::Reopened { docs, .. } = opened else {
            panic!("the index should reopen");
        };
        let stats = e
            .restore(docs, b.solutions.clone(), Vec::new(), &HashSet::new(), "db", head)
            .unwrap();
        (e, stats)
    }

    #[test]
    fn profiles_are_read_from_the_index_and_derived_again_when_the_vocabularies_change() {
        let b = bundle();
        let n = b.solutions.len();
        let mut reference = Engine::empty_for(&b).unwrap();
        reference.rebuild(b.solutions.clone(), Vec::new(), "db", 1).unwrap();

        // An index written with other vocabularies: no translations, so the Spanish, French…
        // solutions were profiled without their language's vocabulary.
        let mut other = b.clone();
        other.translations.clear();
        other
            .manifest
            .files
            .insert("vocabulary/es.json".into(), "another".into());
        assert_ne!(
            other.manifest.derivation_fingerprint(),
            b.manifest.derivation_fingerprint()
        );
        let dir = tempfile::tempdir().unwrap();
        let (mut first, _) = Engine::open_index(&other, dir.path()).unwrap();
        first.rebuild(b.solutions.clone(), Vec::new(), "db", 1).unwrap();
        assert_ne!(
            derived(&first),
            derived(&reference),
            "the bundle has solutions in other languages"
        );
        drop(first);

        // Reopened with the real bundle: nothing is trusted, what differs is re-indexed.
        let (second, stats) = reopen(&b, dir.path(), 2);
        assert_eq!(stats.profiles_read, 0);
        assert!(stats.reindexed > 0 && stats.reindexed < n, "{stats:?}");
        assert_eq!(stats.kept + stats.reindexed, n);
        assert_eq!(derived(&second), derived(&reference));
        drop(second);

        // And the next restart reads every profile, each equal to the one inference gives.
        let (third, stats) = reopen(&b, dir.path(), 3);
        assert_eq!((stats.profiles_read, stats.kept, stats.reindexed), (n, n, 0));
        assert_eq!(derived(&third), derived(&reference));
    }

    #[test]
    fn rankings_agree_up_to_near_ties_only() {
        let r = |v: &[(&str, f32)]| v.iter().map(|(i, s)| (i.to_string(), *s)).collect::<Vec<_>>();
        let a = r(&[("x", 0.9), ("y", 0.50001), ("z", 0.5)]);
        assert!(rankings_agree(&a, &r(&[("x", 0.9), ("z", 0.50002), ("y", 0.50001)]), 1e-3).is_ok());
        assert!(rankings_agree(&a, &r(&[("x", 0.9), ("y", 0.50001), ("w", 0.49995)]), 1e-3).is_ok());
        assert!(rankings_agree(&a, &r(&[("y", 0.9), ("x", 0.5), ("z", 0.5)]), 1e-3).is_err());
        assert!(rankings_agree(&a, &r(&[("x", 0.9), ("y", 0.5), ("w", 0.3)]), 1e-3).is_err());
        assert!(rankings_agree(&a, &r(&[("x", 0.9)]), 1e-3).is_err());
    }

    #[test]
    fn a_damaged_index_is_rebuilt() {
        let b = bundle();
        let dir = tempfile::tempdir().unwrap();
        let (mut e, _) = Engine::open_index(&b, dir.path()).unwrap();
        e.rebuild(b.solutions.clone(), Vec::new(), "db", 10).unwrap();
        drop(e);
        std::fs::write(dir.path().join("meta.json"), b"{ not json").unwrap();
        let (_, opened) = Engine::open_index(&b, dir.path()).unwrap();
        assert!(matches!(opened, IndexOpened::Fresh { .. }), "{opened:?}");
    }

    #[test]
    fn batches_apply_in_order_and_gaps_are_refused() {
        let b = bundle();
        let mut e = Engine::empty_for(&b).unwrap();
        e.rebuild(b.solutions[..10].to_vec(), Vec::new(), "db", 10).unwrap();
        let gap = Changes {
            from: 12,
            to: 13,
            ..Changes::default()
        };
        assert!(e.apply(gap).is_err());
        let next = Changes {
            from: 10,
            to: 12,
            solutions: vec![b.solutions[10].clone()],
            deleted_solutions: vec![b.solutions[0].id.clone()],
            ..Changes::default()
        };
        e.apply(next).unwrap();
        assert_eq!(e.applied().1, 12);
        assert!(e.solution(&b.solutions[0].id).is_none());
        assert!(e.solution(&b.solutions[10].id).is_some());
        assert_eq!(e.text_index().num_docs(), 10);
    }
}
