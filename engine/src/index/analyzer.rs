use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// The English analyzer used for solution text, queries, KPI descriptions and the vocabulary,
/// so that all of them meet on the same terms: split on non-alphanumerics, drop tokens longer
/// than 40 bytes, lower-case, fold accents to ASCII, remove English stop words, Snowball-stem.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
        .filter(CachedStemmer::new(Language::English))
        .build()
}

/// Analyses a text into its terms, in order (duplicates kept).
pub fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Words remembered per language and thread before the memo starts over. The words that
/// repeat in a catalogue are a few thousand per language, so the memo rarely fills; when it
/// does, clearing it keeps memory bounded (about 1.3 MB per language a thread has analysed,
/// and the ranking threads are bounded by the server's permits) at the cost of re-stemming.
const STEM_MEMO_WORDS: usize = 1 << 14;

thread_local! {
    /// Each thread's memo of Snowball stems, one map per stemmer language (indexed by
    /// [`Language`]'s discriminant), from the word as it reaches the stemmer to its stem.
    static STEMS: RefCell<Vec<FxHashMap<Box<str>, Box<str>>>> = const { RefCell::new(Vec::new()) };
}

/// Snowball stemming, as tantivy's `Stemmer` filter does it (the same algorithms, from the
/// same crate, so the terms are identical), remembering each word's stem per thread.
///
/// Stemming was the largest single cost of indexing (about a sixth of a build's CPU); the
/// words of a catalogue repeat, so nearly every token is a lookup that writes the stem into
/// the token's own buffer, with no allocation. Clones are cheap and share the memo, which
/// matters because analyzers are cloned per solution and per request.
#[derive(Clone, Copy)]
pub struct CachedStemmer {
    language: Language,
}

impl CachedStemmer {
    /// A stemming filter for `language`.
    pub fn new(language: Language) -> CachedStemmer {
        CachedStemmer { language }
    }
}

/// Snowball's algorithm for a tantivy language (tantivy keeps its own mapping private).
fn algorithm(language: Language) -> frostem::Algorithm {
    use frostem::Algorithm as A;
    match language {
        Language::Arabic => A::Arabic,
        Language::Danish => A::Danish,
        Language::Dutch => A::Dutch,
        Language::English => A::English,
        Language::Finnish => A::Finnish,
        Language::French => A::French,
        Language::German => A::German,
        Language::Greek => A::Greek,
        Language::Hungarian => A::Hungarian,
        Language::Italian => A::Italian,
        Language::Norwegian => A::Norwegian,
        Language::Portuguese => A::Portuguese,
        Language::Romanian => A::Romanian,
        Language::Russian => A::Russian,
        Language::Spanish => A::Spanish,
        Language::Swedish => A::Swedish,
        Language::Tamil => A::Tamil,
        Language::Turkish => A::Turkish,
    }
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            slot: self.language as usize,
            stemmer: frostem::Stemmer::new(algorithm(self.language)),
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    slot: usize,
    stemmer: frostem::Stemmer,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            slot: self.slot,
            stemmer: self.stemmer,
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct CachedStemmerStream<T> {
    slot: usize,
    stemmer: frostem::Stemmer,
    tail: T,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        STEMS.with_borrow_mut(|memo| {
            if memo.len() <= self.slot {
                memo.resize_with(self.slot + 1, FxHashMap::default);
            }
            let memo = &mut memo[self.slot];
            if let Some(stem) = memo.get(token.text.as_str()) {
                token.text.clear();
                token.text.push_str(stem);
                return;
            }
            let stem: Box<str> = self.stemmer.stem(&token.text).into();
            if memo.len() >= STEM_MEMO_WORDS {
                memo.clear();
            }
            let word = std::mem::replace(&mut token.text, stem.to_string());
            memo.insert(word.into_boxed_str(), stem);
        });
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::Stemmer;

    #[test]
    fn stems_and_drops_stop_words() {
        let mut a = english();
        assert_eq!(
            analyse(&mut a, "The leaks of the Water pipes"),
            ["leak", "water", "pipe"]
        );
        assert_eq!(analyse(&mut a, "leaks leaking leakage"), ["leak", "leak", "leakag"]);
        assert_eq!(analyse(&mut a, "Café  e-Bikes"), ["cafe", "e", "bike"]);
    }

    /// The memo changes nothing: every language's stems equal tantivy's own filter's, on a
    /// first sight (a miss), a repeat (a hit), and after the memo has been cleared for being
    /// full.
    #[test]
    fn memoised_stems_equal_tantivys() {
        let words = [
            "leaks",
            "leaking",
            "running",
            "tuberías",
            "ciudades",
            "générations",
            "städtische",
            "abitazioni",
            "водоснабжения",
            "المياه",
            "kommunene",
            "sustentabilidade",
            "a",
            "",
        ];
        for language in [
            Language::English,
            Language::Spanish,
            Language::French,
            Language::German,
            Language::Italian,
            Language::Russian,
            Language::Arabic,
            Language::Norwegian,
            Language::Portuguese,
        ] {
            let text = words.join(" ");
            let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(Stemmer::new(language))
                .build();
            let mut cached = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(CachedStemmer::new(language))
                .build();
            let want = analyse(&mut plain, &text);
            assert_eq!(analyse(&mut cached, &text), want, "{language:?}, first sight");
            assert_eq!(analyse(&mut cached.clone(), &text), want, "{language:?}, remembered");
            // Fill the memo past its bound with made-up words, then stem again.
            let filler: String = (0..STEM_MEMO_WORDS + 10).map(|i| format!("w{i}ing ")).collect();
            analyse(&mut cached, &filler);
            assert!(STEMS.with_borrow(|m| m[language as usize].len()) <= STEM_MEMO_WORDS);
            assert_eq!(analyse(&mut cached, &text), want, "{language:?}, after the memo filled");
        }
    }
}
