//! Languages: which ones kpimatch understands, how text in each is analysed, and how the
//! language of a text is told when nobody declared it.
//!
//! Every supported language has its own analyzer (Snowball stemmer and stop words; Chinese is
//! segmented by jieba) and its own text fields in the index, so BM25 statistics stay per field
//! and language, and a word of one language never matches a look-alike of another.

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// Longest token kept, in bytes (tantivy counts bytes): 40 characters of Latin script, 20 of
/// Cyrillic or Arabic ("достопримечательности" is 42 bytes), 13 of Chinese.
const MAX_TOKEN_BYTES: usize = 80;

/// A language kpimatch analyses, matches and maps to KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// French.
    Fr,
    /// German.
    De,
    /// Italian.
    It,
    /// Russian.
    Ru,
    /// Arabic.
    Ar,
    /// Chinese (segmented with jieba).
    Zh,
    /// Norwegian (Bokmål and Nynorsk share the stemmer).
    No,
}

impl Lang {
    /// Every supported language, English first.
    pub const ALL: [Lang; 10] = [
        Lang::En,
        Lang::Es,
        Lang::Pt,
        Lang::Fr,
        Lang::De,
        Lang::It,
        Lang::Ru,
        Lang::Ar,
        Lang::Zh,
        Lang::No,
    ];

    /// The primary BCP 47 subtag ("es").
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::It => "it",
            Lang::Ru => "ru",
            Lang::Ar => "ar",
            Lang::Zh => "zh",
            Lang::No => "no",
        }
    }

    /// The language's English name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Spanish",
            Lang::Pt => "Portuguese",
            Lang::Fr => "French",
            Lang::De => "German",
            Lang::It => "Italian",
            Lang::Ru => "Russian",
            Lang::Ar => "Arabic",
            Lang::Zh => "Chinese",
            Lang::No => "Norwegian",
        }
    }

    /// Position in [`Lang::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Reads a BCP 47 tag ("es", "es-MX", "pt-BR", "zh-Hans-CN", "nb", "nn-NO"); the primary
    /// subtag decides, case-insensitively. `Err` carries a message for an invalid tag,
    /// `Ok(None)` is a well-formed tag of a language kpimatch does not support.
    pub fn parse_tag(tag: &str) -> Result<Option<Lang>, String> {
        let well_formed = !tag.is_empty()
            && tag.len() <= crate::limits::MAX_LANG_TAG_CHARS
            && tag
                .split('-')
                .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        let primary = tag.split('-').next().unwrap_or_default().to_ascii_lowercase();
        if !well_formed || !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "'{}' is not a BCP 47 language tag (such as 'es', 'pt-BR' or 'zh-Hans')",
                tag.chars().take(40).collect::<String>()
            ));
        }
        Ok(match primary.as_str() {
            "en" | "eng" => Some(Lang::En),
            "es" | "spa" => Some(Lang::Es),
            "pt" | "por" => Some(Lang::Pt),
            "fr" | "fra" | "fre" => Some(Lang::Fr),
            "de" | "deu" | "ger" => Some(Lang::De),
            "it" | "ita" => Some(Lang::It),
            "ru" | "rus" => Some(Lang::Ru),
            "ar" | "ara" => Some(Lang::Ar),
            "zh" | "zho" | "chi" | "cmn" => Some(Lang::Zh),
            "no" | "nb" | "nn" | "nor" | "nob" | "nno" => Some(Lang::No),
            _ => None,
        })
    }

    /// The analyzer's name in a tantivy index.
    pub fn analyzer_name(self) -> &'static str {
        match self {
            Lang::En => "kpimatch_en",
            Lang::Es => "kpimatch_es",
            Lang::Pt => "kpimatch_pt",
            Lang::Fr => "kpimatch_fr",
            Lang::De => "kpimatch_de",
            Lang::It => "kpimatch_it",
            Lang::Ru => "kpimatch_ru",
            Lang::Ar => "kpimatch_ar",
            Lang::Zh => "kpimatch_zh",
            Lang::No => "kpimatch_no",
        }
    }

    fn stemmer(self) -> Option<Language> {
        Some(match self {
            Lang::En => Language::English,
            Lang::Es => Language::Spanish,
            Lang::Pt => Language::Portuguese,
            Lang::Fr => Language::French,
            Lang::De => Language::German,
            Lang::It => Language::Italian,
            Lang::Ru => Language::Russian,
            Lang::Ar => Language::Arabic,
            Lang::No => Language::Norwegian,
            Lang::Zh => return None,
        })
    }

    /// The analyzer of this language, used alike for solution text, needs text and the
    /// vocabulary so they meet on the same terms. Alphabetic languages: split on
    /// non-alphanumerics, drop tokens over 80 bytes, lower-case, drop the language's stop words
    /// (tantivy's Snowball lists; Arabic has none, its planner stop words come from the
    /// vocabulary), fold accents to ASCII (a question typed without accents finds the accented
    /// word), Snowball-stem. Chinese: jieba's segmentation (default mode, so
    /// a phrase of the vocabulary is a run of consecutive words), punctuation dropped,
    /// lower-cased.
    pub fn analyzer(self) -> TextAnalyzer {
        match self {
            Lang::En => crate::index::english(),
            Lang::Zh => TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::with_search_mode(false))
                .filter(WordsOnly)
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                .filter(LowerCaser)
                .build(),
            other => {
                let language = other.stemmer().expect("every alphabetic language has a stemmer");
                let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
                    .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                    .filter(LowerCaser)
                    .dynamic();
                if let Some(stop) = StopWordFilter::new(language) {
                    builder = builder.filter_dynamic(stop);
                }
                builder
                    .filter_dynamic(AsciiFoldingFilter)
                    .filter_dynamic(crate::index::CachedStemmer::new(language))
                    .build()
            }
        }
    }
}

/// Drops tokens without a letter or digit (the punctuation and spaces jieba emits as tokens);
/// unlike tantivy's `AlphaNumOnlyFilter`, letters are any script's.
#[derive(Clone)]
struct WordsOnly;

#[derive(Clone)]
struct WordsOnlyTokenizer<T>(T);

struct WordsOnlyStream<T>(T);

impl TokenFilter for WordsOnly {
    type Tokenizer<T: Tokenizer> = WordsOnlyTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> WordsOnlyTokenizer<T> {
        WordsOnlyTokenizer(tokenizer)
    }
}

impl<T: Tokenizer> Tokenizer for WordsOnlyTokenizer<T> {
    type TokenStream<'a> = WordsOnlyStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        WordsOnlyStream(self.0.token_stream(text))
    }
}

impl<T: TokenStream> TokenStream for WordsOnlyStream<T> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            if self.0.token().text.chars().any(char::is_alphanumeric) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How the language of a text was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LangSource {
    /// Given with the text (`lang`).
    Declared,
    /// Told from the text.
    Detected,
    /// Too little text to tell; English assumed (an empty text, a code or a number).
    Default,
}

/// The language of a text: a supported one, or a language kpimatch recognised but does not
/// support (its ISO 639-3 code), whose words are then not matched at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LangChoice {
    /// The language the text is analysed in; `None` when it is not supported.
    pub lang: Option<Lang>,
    /// The language's code: BCP 47 for supported ones, ISO 639-3 from the detector otherwise.
    pub code: String,
    /// Declared, detected or assumed.
    pub source: LangSource,
    /// The detector's confidence in [0, 1] (1 when declared).
    pub confidence: f32,
}

impl LangChoice {
    /// A declared language.
    pub fn declared(lang: Option<Lang>, tag: &str) -> LangChoice {
        LangChoice {
            lang,
            code: lang.map_or_else(|| tag.to_ascii_lowercase(), |l| l.code().to_string()),
            source: LangSource::Declared,
            confidence: 1.0,
        }
    }

    /// English, assumed.
    pub fn default_english() -> LangChoice {
        LangChoice {
            lang: Some(Lang::En),
            code: "en".into(),
            source: LangSource::Default,
            confidence: 0.0,
        }
    }

    /// A language the detector is sure of that kpimatch does not read (ISO 639-3 code).
    pub(crate) fn unsupported(code: &str) -> LangChoice {
        LangChoice {
            lang: None,
            code: code.to_string(),
            source: LangSource::Detected,
            confidence: 1.0,
        }
    }

    pub(crate) fn detected(lang: Lang, confidence: f64) -> LangChoice {
        LangChoice {
            lang: Some(lang),
            code: lang.code().into(),
            source: LangSource::Detected,
            confidence: confidence as f32,
        }
    }
}

fn from_whatlang(l: whatlang::Lang) -> Option<Lang> {
    use whatlang::Lang as W;
    Some(match l {
        W::Eng => Lang::En,
        W::Spa => Lang::Es,
        W::Por => Lang::Pt,
        W::Fra => Lang::Fr,
        W::Deu => Lang::De,
        W::Ita => Lang::It,
        W::Rus => Lang::Ru,
        W::Ara => Lang::Ar,
        W::Cmn => Lang::Zh,
        W::Nob => Lang::No,
        _ => return None,
    })
}

fn to_whatlang(l: Lang) -> whatlang::Lang {
    use whatlang::Lang as W;
    match l {
        Lang::En => W::Eng,
        Lang::Es => W::Spa,
        Lang::Pt => W::Por,
        Lang::Fr => W::Fra,
        Lang::De => W::Deu,
        Lang::It => W::Ita,
        Lang::Ru => W::Rus,
        Lang::Ar => W::Ara,
        Lang::Zh => W::Cmn,
        Lang::No => W::Nob,
    }
}

/// The detector's view of a text: the best supported language with its confidence, and
/// whether the text is reliably in a language kpimatch does not support.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The most likely supported language and the detector's confidence.
    pub supported: Option<(Lang, f64)>,
    /// A language the detector is sure of that kpimatch does not support (ISO 639-3).
    pub unsupported: Option<&'static str>,
}

/// Runs the detector (whatlang: trigram models and script) over a text.
///
/// A text reliably in an unsupported language is reported as such; otherwise the detector is
/// asked again restricted to the supported languages, so a short or mixed text still gets its
/// most likely supported language (the caller weighs that guess against the vocabulary).
pub fn detect(text: &str) -> Detection {
    let Some(info) = whatlang::detect(text) else {
        return Detection {
            supported: None,
            unsupported: None,
        };
    };
    if let Some(l) = from_whatlang(info.lang()) {
        return Detection {
            supported: Some((l, info.confidence())),
            unsupported: None,
        };
    }
    let unsupported = info.is_reliable().then(|| info.lang().code());
    let supported = restricted()
        .detect(text)
        .and_then(|i| from_whatlang(i.lang()).map(|l| (l, i.confidence())));
    Detection { supported, unsupported }
}

/// whatlang's detector restricted to the supported languages (built once).
fn restricted() -> &'static whatlang::Detector {
    static RESTRICTED: std::sync::LazyLock<whatlang::Detector> = std::sync::LazyLock::new(|| {
        whatlang::Detector::with_allowlist(Lang::ALL.iter().map(|&l| to_whatlang(l)).collect())
    });
    &RESTRICTED
}

/// The supported language a solution's text is closest to, by the restricted detector alone
/// (half the cost of [`detect`], which also tells unsupported languages apart: this runs on
/// every solution written). `None` when nothing can be told — no letters, or a script only
/// unsupported languages use (Japanese kana, Hangul).
pub fn closest_supported(text: &str) -> Option<Lang> {
    restricted().detect(text).and_then(|i| from_whatlang(i.lang()))
}

/// The language of a solution's or city's text from the detector alone (long texts detect
/// well): the declared tag when there is one, English when nothing can be told.
pub fn of_text(declared: Option<&str>, text: &str) -> LangChoice {
    if let Some(tag) = declared {
        return LangChoice::declared(Lang::parse_tag(tag).ok().flatten(), tag);
    }
    let d = detect(text);
    match (d.unsupported, d.supported) {
        (Some(code), _) => LangChoice::unsupported(code),
        (None, Some((l, c))) => LangChoice::detected(l, c),
        (None, None) => LangChoice::default_english(),
    }
}

/// The first `max` bytes of a text cut at a character boundary: language detection needs a
/// few hundred characters, not a whole description.
pub fn sample(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::analyse;

    #[test]
    fn tags_are_read_by_their_primary_subtag() {
        assert_eq!(Lang::parse_tag("es-MX"), Ok(Some(Lang::Es)));
        assert_eq!(Lang::parse_tag("pt-BR"), Ok(Some(Lang::Pt)));
        assert_eq!(Lang::parse_tag("zh-Hans-CN"), Ok(Some(Lang::Zh)));
        assert_eq!(Lang::parse_tag("nb"), Ok(Some(Lang::No)));
        assert_eq!(Lang::parse_tag("EN"), Ok(Some(Lang::En)));
        assert_eq!(Lang::parse_tag("ja"), Ok(None));
        for bad in [
            "",
            "e",
            "español",
            "es_ES",
            "es--MX",
            "12",
            "x-private-tag-that-is-way-too-long-to-be",
        ] {
            assert!(Lang::parse_tag(bad).is_err(), "{bad}");
        }
        for l in Lang::ALL {
            assert_eq!(Lang::parse_tag(l.code()), Ok(Some(l)));
            assert_eq!(Lang::ALL[l.index()], l);
        }
    }

    #[test]
    fn each_language_stems_folds_and_drops_its_stop_words() {
        let cases: [(Lang, &str, &[&str]); 9] = [
            (Lang::Es, "Las fugas de agua en las tuberías", &["fug", "agu", "tuberi"]),
            (
                Lang::Pt,
                "As perdas de água nas tubulações",
                &["perd", "agu", "tubulaco"],
            ),
            (
                Lang::Fr,
                "Les fuites d'eau des canalisations",
                &["fuit", "eau", "canalis"],
            ),
            (
                Lang::De,
                "Die Wasserverluste in den Leitungen",
                &["wasserverlust", "leitung"],
            ),
            (
                Lang::It,
                "Le perdite d'acqua delle tubature",
                &["perd", "d", "acqua", "tubatur"],
            ),
            (Lang::Ru, "Утечки воды в трубах", &["утечк", "вод", "труб"]),
            (Lang::Ar, "تسرب المياه في الأنابيب", &["تسرب", "مياه", "في", "انابيب"]),
            (Lang::No, "Vanntap i rørene", &["vanntap", "ror"]),
            (Lang::Zh, "管道漏水严重，", &["管道", "漏水", "严重"]),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|(lang, text, expected)| {
                let got = analyse(&mut lang.analyzer(), text);
                (got != *expected).then(|| format!("{lang}: {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Typed without accents, the same stems.
        assert_eq!(
            analyse(&mut Lang::Es.analyzer(), "tuberias"),
            analyse(&mut Lang::Es.analyzer(), "tuberías")
        );
    }

    #[test]
    fn detects_supported_and_unsupported_languages() {
        let d = |t: &str| detect(t).supported.map(|(l, _)| l);
        assert_eq!(
            d("Perdemos casi la mitad del agua que bombeamos antes de que llegue a un grifo."),
            Some(Lang::Es)
        );
        assert_eq!(d("Que plus personne ne meure sur nos routes."), Some(Lang::Fr));
        assert_eq!(
            d("Tirar as famílias da pobreza e diminuir a desigualdade de renda."),
            Some(Lang::Pt)
        );
        assert_eq!(
            d("Wie senken wir den Energieverbrauch unserer Schulen?"),
            Some(Lang::De)
        );
        assert_eq!(d("Как сократить потери воды в городской сети?"), Some(Lang::Ru));
        assert_eq!(d("كيف نقلل تلوث الهواء في المدينة؟"), Some(Lang::Ar));
        assert_eq!(d("如何减少城市道路交通死亡？"), Some(Lang::Zh));
        let ja = detect("どうすれば私たちの町の水道の漏れを減らせますか？");
        assert_eq!(ja.unsupported, Some("jpn"));
        assert_eq!(of_text(Some("pt-BR"), "anything").lang, Some(Lang::Pt));
        assert_eq!(of_text(None, "").source, LangSource::Default);
    }

    #[test]
    fn samples_cut_at_character_boundaries() {
        assert_eq!(sample("agua", 10), "agua");
        assert_eq!(sample("ééé", 3), "é");
    }
}
