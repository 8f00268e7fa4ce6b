use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BooleanWeight, BoostQuery, EnableScoring, Occur, Query, SumCombiner, TermQuery, Weight,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{
    DocAddress, DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, TantivyDocument, Term,
    TERMINATED,
};

use super::derived;
use crate::lang::Lang;
use crate::solution::{KpiProfile, Solution};
use crate::{Error, Result};

/// Field boosts of the text ranking: the BM25 score of each field is multiplied by its boost
/// and summed. `all` holds every text field together (a flat BM25); the others let a profile
/// favour matches in titles or tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextFieldBoosts {
    /// Title, summary, description, tags, categories and provider together.
    pub all: f32,
    /// Title.
    pub title: f32,
    /// Tags.
    pub tags: f32,
    /// Summary.
    pub summary: f32,
}

impl Default for TextFieldBoosts {
    fn default() -> Self {
        TextFieldBoosts {
            all: 1.0,
            title: 0.5,
            tags: 0.5,
            summary: 0.0,
        }
    }
}

/// An analysed query term and its weight (1 for the user's words, less for expansions).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedTerm {
    /// The analysed term.
    pub term: String,
    /// Its weight.
    pub weight: f32,
}

/// A text query: a weighted bag of analysed terms, the language they were analysed in (which
/// picks the fields searched) and the field boosts to score them with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuery {
    /// The terms, user's first.
    pub terms: Vec<WeightedTerm>,
    /// The language of the terms: only solutions written in it are searched by text.
    pub lang: Lang,
    /// Field boosts.
    pub boosts: TextFieldBoosts,
}

impl TextQuery {
    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The text fields of one language.
#[derive(Debug, Clone, Copy)]
struct LangFields {
    all: Field,
    title: Field,
    tags: Field,
    summary: Field,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    ord: Field,
    /// The solution's language and KPI profile as derived at write time ([`super::derived`]).
    derived: Field,
    /// Per language, in [`Lang::ALL`] order.
    text: [LangFields; Lang::ALL.len()],
}

/// A document of the index as stored: which solution, under which ordinal, and what was
/// derived from it when it was written.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// The solution's id.
    pub id: String,
    /// Its ordinal.
    pub ord: u32,
    /// Its language and KPI profile, when stored and readable.
    pub derived: Option<(Lang, KpiProfile)>,
}

/// Ordinal → document address for one searcher generation.
#[derive(Debug)]
struct AddressMap {
    generation: u64,
    addresses: Vec<u64>,
}

const NO_ADDRESS: u64 = u64::MAX;

/// A hit of [`TextIndex::top_prepared`]'s heap: ordered by score, then the smaller ordinal
/// first, so the heap's least is the hit to drop.
#[derive(Debug, Clone, Copy)]
struct Hit {
    score: Score,
    ord: u32,
}

impl PartialEq for Hit {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Hit {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.score.total_cmp(&o.score).then_with(|| o.ord.cmp(&self.ord))
    }
}

/// A text query made ready to run by [`TextIndex::prepare`].
pub struct PreparedQuery {
    searcher: Searcher,
    weight: Box<dyn Weight>,
    /// The weights of the query's clauses, shared with `weight`, for random access.
    clauses: Vec<Arc<dyn Weight>>,
}

/// A clause's weight shared by the boolean query's weight and random access, so its BM25
/// statistics are looked up once. Its scorers are the clause's own (a term scorer stays a term
/// scorer, so the boolean weight still runs block-WAND over them).
struct SharedWeight(Arc<dyn Weight>);

impl Weight for SharedWeight {
    fn scorer(
        &self,
        reader: &tantivy::SegmentReader,
        boost: tantivy::Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn explain(&self, reader: &tantivy::SegmentReader, doc: DocId) -> tantivy::Result<tantivy::query::Explanation> {
        self.0.explain(reader, doc)
    }
}

/// The tantivy full-text index over solutions.
///
/// Each document carries the solution's id and its dense ordinal (a fast field) so results map
/// straight to the [`SolutionTable`](super::SolutionTable). Writes are buffered until
/// [`TextIndex::commit`], which also makes them visible to searches.
///
/// Every language has its own four text fields (`all`, `title`, `tags`, `summary` for English,
/// `all_es`, `title_es`… for the others), analysed by its own analyzer; a solution is indexed in
/// the fields of its language only. Document frequencies are therefore per field and language:
/// a word common in the Spanish solutions does not lose weight because the catalogue is mostly
/// English, and a Spanish stem never matches an English look-alike. (tantivy's document count
/// and average field length count every document, so documents in other languages shift a
/// language's BM25 slightly.) A query searches the fields of its own language.
pub struct TextIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    addresses: RwLock<Option<Arc<AddressMap>>>,
    /// Whether the index was opened empty or cleared since: then every document it holds was
    /// added by this process, so the engine's table lists every id in it.
    started_empty: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex").field("docs", &self.num_docs()).finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let ord = b.add_u64_field("ord", FAST | INDEXED);
    let derived = b.add_bytes_field("derived", STORED);
    let text = Lang::ALL.map(|lang| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(lang.analyzer_name())
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let name = |field: &str| match lang {
            Lang::En => field.to_string(),
            other => format!("{field}_{}", other.code()),
        };
        LangFields {
            all: b.add_text_field(&name("all"), options.clone()),
            title: b.add_text_field(&name("title"), options.clone()),
            tags: b.add_text_field(&name("tags"), options.clone()),
            summary: b.add_text_field(&name("summary"), options),
        }
    });
    (b.build(), Fields { id, ord, derived, text })
}

/// Memory budget of the index writer.
const WRITER_MEMORY: usize = 100_000_000;

impl TextIndex {
    /// A new index in memory.
    pub fn create_in_ram() -> Result<TextIndex> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    /// Opens the index in a directory, creating it when absent. An index with another schema
    /// is an error (the caller rebuilds it).
    pub fn open_or_create(dir: &Path) -> Result<TextIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (schema, fields) = schema();
        let mmap = MmapDirectory::open(dir)
            .map_err(|e| Error::Internal(format!("cannot open index directory {}: {e}", dir.display())))?;
        let index = Index::open_or_create(mmap, schema)?;
        Self::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<TextIndex> {
        for lang in Lang::ALL {
            index.tokenizers().register(lang.analyzer_name(), lang.analyzer());
        }
        // One indexing thread: with several, documents land in segments in a nondeterministic
        // way, and the float sums of BM25 over segment-local orders then differ in the last bits
        // between two engines built from the same data (a property test caught it).
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let empty = reader.searcher().num_docs() == 0;
        Ok(TextIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            addresses: RwLock::new(None),
            started_empty: std::sync::atomic::AtomicBool::new(empty),
        })
    }

    /// Number of searchable documents (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a solution written in `lang` under an ordinal, with the KPI profile derived for it
    /// (stored, read back by [`TextIndex::stored_docs`]), replacing any document with the same
    /// id (buffered). `replace: false` skips the deletion of that id, for a caller that knows
    /// the index holds no document with it (a first build): tantivy applies each deletion to
    /// the new segments at commit, a term lookup per solution.
    pub fn upsert(&self, ord: u32, s: &Solution, lang: Lang, profile: &KpiProfile, replace: bool) -> Result<()> {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.fields.id, &s.id);
        doc.add_u64(self.fields.ord, u64::from(ord));
        doc.add_bytes(self.fields.derived, &derived::encode(lang, profile));
        let f = self.fields.text[lang.index()];
        doc.add_text(f.title, &s.title);
        doc.add_text(f.summary, &s.summary);
        for t in &s.tags {
            doc.add_text(f.tags, t);
        }
        for part in [&s.title, &s.summary, &s.description, &s.provider] {
            doc.add_text(f.all, part);
        }
        for t in s.tags.iter().chain(&s.categories) {
            doc.add_text(f.all, t);
        }
        let w = self.writer();
        if replace {
            w.delete_term(Term::from_field_text(self.fields.id, &s.id));
        }
        w.add_document(doc)?;
        Ok(())
    }

    /// Deletes a solution by id (buffered).
    pub fn delete(&self, id: &str) {
        self.writer().delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Deletes every document (buffered).
    pub fn clear(&self) -> Result<()> {
        self.writer().delete_all_documents()?;
        self.started_empty.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Whether the index was opened empty or has been cleared since: every document in it
    /// (committed or buffered) was added since, so a caller that mirrors the additions knows
    /// every id it holds. An index reopened with documents answers `false` until it is cleared.
    pub fn started_empty(&self) -> bool {
        self.started_empty.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Commits buffered writes with an optional payload (e.g. the last applied change) and
    /// makes them searchable.
    pub fn commit(&self, payload: Option<String>) -> Result<()> {
        {
            let mut w = self.writer();
            let mut prepared = w.prepare_commit()?;
            if let Some(p) = payload {
                prepared.set_payload(&p);
            }
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// How many segments the searchable index has (each is searched on its own).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The payload of the last commit.
    pub fn commit_payload(&self) -> Result<Option<String>> {
        Ok(self.index.load_metas()?.payload)
    }

    /// Every searchable document's id and ordinal, with the language and KPI profile stored
    /// with it when they decode for a catalogue of `kpis` KPIs.
    pub fn stored_docs(&self, kpis: usize) -> Result<Vec<StoredDoc>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            let ords = seg.fast_fields().u64("ord")?;
            for doc in 0..seg.max_doc() {
                if seg.is_deleted(doc) {
                    continue;
                }
                let d: TantivyDocument = searcher.doc(DocAddress::new(seg_ord as u32, doc))?;
                let id = d
                    .get_first(self.fields.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let derived = d
                    .get_first(self.fields.derived)
                    .and_then(|v| v.as_bytes())
                    .and_then(|b| derived::decode(b, kpis));
                out.push(StoredDoc {
                    id,
                    ord: ords.first(doc).unwrap_or(u64::MAX) as u32,
                    derived,
                });
            }
        }
        Ok(out)
    }

    fn build_query(&self, q: &TextQuery) -> BooleanQuery {
        BooleanQuery::new(self.clauses(q).into_iter().map(|c| (Occur::Should, c)).collect())
    }

    /// The query's clauses: one boosted term query per term and field of positive weight.
    fn clauses(&self, q: &TextQuery) -> Vec<Box<dyn Query>> {
        let f = self.fields.text[q.lang.index()];
        let b = &q.boosts;
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        for t in &q.terms {
            for (field, boost) in [
                (f.all, b.all),
                (f.title, b.title),
                (f.tags, b.tags),
                (f.summary, b.summary),
            ] {
                let w = boost * t.weight;
                if w > 0.0 {
                    let tq = TermQuery::new(Term::from_field_text(field, &t.term), IndexRecordOption::WithFreqs);
                    clauses.push(Box::new(BoostQuery::new(Box::new(tq), w)));
                }
            }
        }
        clauses
    }

    /// A query ready to run: one searcher (a snapshot of the index) and the query's BM25
    /// weights (document frequencies looked up, boosts applied), made once per request and
    /// shared by every deepening of its top-k and its random-access scoring. `None` for an
    /// empty query.
    pub fn prepare(&self, q: &TextQuery) -> Result<Option<PreparedQuery>> {
        if q.is_empty() {
            return Ok(None);
        }
        let searcher = self.reader.searcher();
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let clauses: Vec<Arc<dyn Weight>> = self
            .clauses(q)
            .iter()
            .map(|c| c.weight(scoring).map(Arc::from))
            .collect::<tantivy::Result<_>>()?;
        // As `BooleanQuery::new` over should-clauses: at least one must match, scores summed.
        let weight = Box::new(BooleanWeight::with_minimum_number_should_match(
            clauses
                .iter()
                .map(|w| (Occur::Should, Box::new(SharedWeight(Arc::clone(w))) as Box<dyn Weight>))
                .collect(),
            1,
            true,
            Box::new(SumCombiner::default),
        ));
        Ok(Some(PreparedQuery {
            searcher,
            weight,
            clauses,
        }))
    }

    /// The best `n` documents for a query as (ordinal, score), best first, ties by ordinal;
    /// with `allowed`, only ordinals whose bit is set.
    pub fn top(&self, q: &TextQuery, n: usize, allowed: Option<&[u64]>) -> Result<Vec<(u32, f32)>> {
        match self.prepare(q)? {
            Some(p) => self.top_prepared(&p, n, allowed),
            None => Ok(Vec::new()),
        }
    }

    /// [`TextIndex::top`] of a prepared query.
    ///
    /// One heap of the best `n` across segments, so a segment starts pruning (block-WAND) from
    /// the `n`-th best score of the segments before it, where tantivy's `TopDocs` starts each
    /// segment from nothing; the filter is checked on the documents block-WAND reports, so a
    /// filtered query prunes too (`FilterCollector` visits every matching document). Which of
    /// several documents tied at the cut is kept is unspecified: callers treat the cut's score as
    /// a bound that ties may reach.
    pub fn top_prepared(&self, p: &PreparedQuery, n: usize, allowed: Option<&[u64]>) -> Result<Vec<(u32, f32)>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut heap: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(n + 1);
        let floor = |heap: &BinaryHeap<Reverse<Hit>>| match heap.peek() {
            Some(Reverse(worst)) if heap.len() >= n => worst.score,
            _ => Score::MIN,
        };
        for reader in p.searcher.segment_readers() {
            let ords = reader.fast_fields().u64("ord")?;
            let alive = reader.alive_bitset();
            let mut threshold = floor(&heap);
            p.weight.for_each_pruning(threshold, reader, &mut |doc, score| {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    return threshold;
                }
                let Some(ord) = ords.first(doc).map(|o| o as u32) else {
                    return threshold;
                };
                if allowed.is_some_and(|bits| !bit_is_set(bits, ord)) {
                    return threshold;
                }
                heap.push(Reverse(Hit { score, ord }));
                if heap.len() > n {
                    heap.pop();
                }
                threshold = floor(&heap);
                threshold
            })?;
        }
        let mut out: Vec<(u32, f32)> = heap.into_iter().map(|Reverse(h)| (h.ord, h.score)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// A plain BM25 top-`n` over the English `all` field, with no boosts, expansions or
    /// filters: the reference the benches measure the engine against.
    pub fn bm25_reference(&self, terms: &[String], n: usize) -> Result<Vec<(u32, f32)>> {
        let q = TextQuery {
            terms: terms
                .iter()
                .map(|t| WeightedTerm {
                    term: t.clone(),
                    weight: 1.0,
                })
                .collect(),
            lang: Lang::En,
            boosts: TextFieldBoosts {
                all: 1.0,
                title: 0.0,
                tags: 0.0,
                summary: 0.0,
            },
        };
        let searcher = self.reader.searcher();
        let hits = searcher.search(&self.build_query(&q), &TopDocs::with_limit(n.max(1)).order_by_score())?;
        self.to_ords(&searcher, &hits)
    }

    fn to_ords(&self, searcher: &Searcher, hits: &[(f32, DocAddress)]) -> Result<Vec<(u32, f32)>> {
        let mut out = Vec::with_capacity(hits.len());
        // Each segment's column opened once (opening looks the field up by name).
        let mut columns: Vec<Option<tantivy::columnar::Column<u64>>> = vec![None; searcher.segment_readers().len()];
        for &(score, addr) in hits {
            let col = match &mut columns[addr.segment_ord as usize] {
                Some(c) => c,
                slot => slot.insert(searcher.segment_reader(addr.segment_ord).fast_fields().u64("ord")?),
            };
            let ord = col
                .first(addr.doc_id)
                .ok_or_else(|| Error::Internal("an indexed solution has no ordinal".into()))?;
            out.push((ord as u32, score));
        }
        Ok(out)
    }

    /// The text score of specific ordinals for a query (0 where the document does not match).
    pub fn score_ords(&self, q: &TextQuery, ords: &[u32]) -> Result<Vec<f32>> {
        match self.prepare(q)? {
            Some(p) => self.score_prepared(&p, ords),
            None => Ok(vec![0f32; ords.len()]),
        }
    }

    /// [`TextIndex::score_ords`] of a prepared query.
    pub fn score_prepared(&self, p: &PreparedQuery, ords: &[u32]) -> Result<Vec<f32>> {
        let mut scores = vec![0f32; ords.len()];
        if ords.is_empty() {
            return Ok(scores);
        }
        let searcher = &p.searcher;
        let map = self.address_map(searcher)?;
        // (segment, doc, position in `ords`), sorted so each segment's scorer only seeks forward.
        let mut wanted: Vec<(u32, DocId, usize)> = ords
            .iter()
            .enumerate()
            .filter_map(|(i, &o)| {
                let a = *map.addresses.get(o as usize)?;
                (a != NO_ADDRESS).then_some(((a >> 32) as u32, a as u32, i))
            })
            .collect();
        wanted.sort_unstable();
        // Each clause on its own, seeking forward to the wanted documents: a union scorer
        // would score every document of the windows it buffers on the way. A document's
        // clause scores are added in clause order.
        for segment in wanted.chunk_by(|a, b| a.0 == b.0) {
            let reader = searcher.segment_reader(segment[0].0);
            for w in &p.clauses {
                let mut scorer = w.scorer(reader, 1.0)?;
                for &(_, doc, pos) in segment {
                    if scorer.doc() == TERMINATED {
                        break;
                    }
                    if scorer.doc() < doc {
                        scorer.seek(doc);
                    }
                    if scorer.doc() == doc {
                        scores[pos] += scorer.score();
                    }
                }
            }
        }
        Ok(scores)
    }

    fn address_map(&self, searcher: &Searcher) -> Result<Arc<AddressMap>> {
        let generation = searcher.generation().generation_id();
        if let Some(m) = self.addresses.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if m.generation == generation {
                return Ok(Arc::clone(m));
            }
        }
        let mut addresses = Vec::new();
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            let col = seg.fast_fields().u64("ord")?;
            for doc in 0..seg.max_doc() {
                if seg.is_deleted(doc) {
                    continue;
                }
                if let Some(ord) = col.first(doc) {
                    let ord = ord as usize;
                    if addresses.len() <= ord {
                        addresses.resize(ord + 1, NO_ADDRESS);
                    }
                    addresses[ord] = ((seg_ord as u64) << 32) | u64::from(doc);
                }
            }
        }
        let map = Arc::new(AddressMap { generation, addresses });
        *self.addresses.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&map));
        Ok(map)
    }
}

/// Whether bit `i` is set in a bitset.
#[inline]
pub(crate) fn bit_is_set(bits: &[u64], i: u32) -> bool {
    bits.get((i / 64) as usize).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
}
