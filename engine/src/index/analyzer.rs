use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
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
        .filter(Stemmer::new(Language::English))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
