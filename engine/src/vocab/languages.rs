use std::sync::Arc;

use tantivy::tokenizer::TextAnalyzer;

use super::{KpiMapper, Vocabulary};
use crate::index::analyse;
use crate::kpi::Catalogue;
use crate::lang::{self, Lang, LangChoice};
use crate::solution::{KpiProfile, Solution};

/// What kpimatch knows of one language: its analyzer, its KPI vocabulary and the text → KPI
/// mapper built from that vocabulary.
#[derive(Clone)]
pub struct LangModel {
    /// The language.
    pub lang: Lang,
    analyzer: TextAnalyzer,
    vocabulary: Arc<Vocabulary>,
    mapper: Arc<KpiMapper>,
    has_vocabulary: bool,
}

impl std::fmt::Debug for LangModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangModel")
            .field("lang", &self.lang)
            .field("has_vocabulary", &self.has_vocabulary)
            .finish()
    }
}

impl LangModel {
    /// The language's analyzer (clone it to use it: clones share its stop words and stemmer).
    pub fn analyzer(&self) -> &TextAnalyzer {
        &self.analyzer
    }

    /// The language's compiled vocabulary (empty when the bundle has none for it).
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The language's text → KPI mapper.
    pub fn mapper(&self) -> &KpiMapper {
        &self.mapper
    }

    /// Whether the bundle has a vocabulary for the language. Without one, solutions written in
    /// it are still indexed in its fields (and profiled with English's vocabulary), but a
    /// question is never read in it.
    pub fn has_vocabulary(&self) -> bool {
        self.has_vocabulary
    }

    /// The share of a text's analysed terms this language's vocabulary knows (as a KPI or
    /// category term, a synonym or a planner stop word), and the number of analysed terms.
    fn coverage(&self, text: &str) -> (f32, usize) {
        let terms = analyse(&mut self.analyzer.clone(), text);
        if terms.is_empty() {
            return (0.0, 0);
        }
        let known = terms
            .iter()
            .filter(|t| self.mapper.knows(t) || self.vocabulary.is_stop_word(t))
            .count();
        (known as f32 / terms.len() as f32, terms.len())
    }
}

/// Every supported language's model, English first; English always has the bundle's
/// `vocabulary.json`, the others the files under `vocabulary/`.
#[derive(Debug, Clone)]
pub struct Languages {
    models: Vec<LangModel>,
}

/// Bytes of a solution's text its language is detected from.
const SOLUTION_SAMPLE: usize = 300;

/// Detector confidence above which a detected language is taken without consulting the
/// vocabularies…
const SURE: f64 = 0.5;
/// …in a text of at least this many words (Chinese has no spaces: a Chinese question is one
/// or two "words", and the vocabularies decide it).
const MIN_WORDS_ALONE: usize = 6;
/// What the detector's (restricted) guess adds, times its confidence, to a language's
/// vocabulary coverage when the detector is unsure.
const GUESS_BONUS: f32 = 0.25;
/// What English, the catalogue's main language, adds: an English question with a few words
/// that look like another language's stays English.
const ENGLISH_PRIOR: f32 = 0.1;
/// Vocabulary coverage at which a text is read in a supported language even though the
/// detector took it for an unsupported one (a short Spanish question read as Galician).
const OVERRIDE_COVERAGE: f32 = 0.6;

impl Languages {
    /// The models of every supported language: English from `english`, the others from the
    /// compiled vocabularies given (a language without one gets an empty vocabulary).
    pub fn new(catalogue: &Catalogue, english: Arc<Vocabulary>, others: &[(Lang, Vocabulary)]) -> Languages {
        let models = Lang::ALL
            .iter()
            .map(|&lang| {
                let mut analyzer = lang.analyzer();
                if lang == Lang::En {
                    let mapper = KpiMapper::new(catalogue, &english);
                    return LangModel {
                        lang,
                        analyzer,
                        vocabulary: Arc::clone(&english),
                        mapper: Arc::new(mapper),
                        has_vocabulary: true,
                    };
                }
                let (vocabulary, has_vocabulary) = match others.iter().find(|(l, _)| *l == lang) {
                    Some((_, v)) => (v.clone(), true),
                    None => (Vocabulary::empty(catalogue), false),
                };
                let mapper = KpiMapper::for_language(catalogue, &vocabulary, &mut analyzer);
                LangModel {
                    lang,
                    analyzer,
                    vocabulary: Arc::new(vocabulary),
                    mapper: Arc::new(mapper),
                    has_vocabulary,
                }
            })
            .collect();
        Languages { models }
    }

    /// English only (the other languages are analysed but map to no KPI).
    pub fn english_only(catalogue: &Catalogue, english: Arc<Vocabulary>) -> Languages {
        Self::new(catalogue, english, &[])
    }

    /// A language's model.
    pub fn get(&self, lang: Lang) -> &LangModel {
        &self.models[lang.index()]
    }

    /// English's model.
    pub fn english(&self) -> &LangModel {
        self.get(Lang::En)
    }

    /// The model a solution's text is analysed and profiled with.
    pub fn for_solution(&self, lang: Lang) -> &LangModel {
        let m = self.get(lang);
        if m.has_vocabulary {
            m
        } else {
            self.english()
        }
    }

    /// The language of a solution: declared (`lang`), else the supported language the first
    /// 300 bytes of its title, summary and description are closest to ([`lang::closest_supported`]: a
    /// Dutch text reads as German, a Ukrainian one as Russian — their stemmers serve better
    /// than English's); English when nothing can be told or the tag names an unsupported
    /// language.
    pub fn of_solution(solution: &Solution) -> Lang {
        if let Some(tag) = &solution.lang {
            return Lang::parse_tag(tag).ok().flatten().unwrap_or_default();
        }
        // 300 bytes tell the supported languages apart as well as whole texts do (every
        // bundled solution detects the same), and the detector's cost grows with the length.
        let text = format!(
            "{}. {}. {}",
            solution.title,
            solution.summary,
            lang::sample(&solution.description, SOLUTION_SAMPLE)
        );
        lang::closest_supported(lang::sample(&text, SOLUTION_SAMPLE)).unwrap_or_default()
    }

    /// A solution's language and the KPI profile used for it: declared, or inferred from its
    /// text with its language's vocabulary (English's when its language has none).
    pub fn derive(&self, solution: &Solution) -> (Lang, KpiProfile) {
        let lang = Self::of_solution(solution);
        let m = self.for_solution(lang);
        let profile = super::profile_for(
            solution,
            m.mapper(),
            &mut m.analyzer().clone(),
            self.english().vocabulary().inference(),
        );
        (lang, profile)
    }

    /// The language of a needs text: declared, else told from the text. The detector decides
    /// when it is sure; when it is not (short questions), each language with a vocabulary is
    /// scored by the share of the text's terms its vocabulary knows, plus a bonus for the
    /// detector's best guess in proportion to its confidence, plus a small prior for English. A text the detector is sure is in an unsupported language (and
    /// that no vocabulary covers) is reported as such: its words then match nothing.
    /// `Err` is a malformed `lang` tag.
    pub fn of_needs(&self, declared: Option<&str>, text: &str) -> Result<LangChoice, String> {
        if let Some(tag) = declared {
            return Ok(LangChoice::declared(Lang::parse_tag(tag)?, tag));
        }
        if text.trim().is_empty() {
            return Ok(LangChoice::default_english());
        }
        let d = lang::detect(text);
        // A few words (a title, "Solar Smart Bench") fool the detector's trigrams even when it
        // reports confidence: it decides alone only on a sentence.
        let sentence = text.split_whitespace().count() >= MIN_WORDS_ALONE;
        if d.unsupported.is_none() && sentence {
            if let Some((l, c)) = d.supported {
                // Only languages with a vocabulary compete: an engine built for English alone
                // (eval-beir) reads everything as English, so a detector's slip on a long English
                // claim cannot send it to empty fields (it cost SciFact 0.003 nDCG@10).
                if c >= SURE && self.get(l).has_vocabulary {
                    return Ok(LangChoice::detected(l, c));
                }
            }
        }
        let guess = d.supported;
        let mut best: Option<(Lang, f32, f32)> = None;
        for m in self.models.iter().filter(|m| m.has_vocabulary) {
            let (coverage, n) = m.coverage(text);
            if n == 0 {
                continue;
            }
            let mut score = coverage;
            if let Some((_, confidence)) = guess.filter(|(g, _)| *g == m.lang) {
                score += GUESS_BONUS * confidence.clamp(0.0, 1.0) as f32;
            }
            if m.lang == Lang::En {
                score += ENGLISH_PRIOR;
            }
            if best.is_none_or(|(_, s, _)| score > s) {
                best = Some((m.lang, score, coverage));
            }
        }
        match (d.unsupported, best) {
            (Some(code), best) if best.is_none_or(|(_, _, c)| c < OVERRIDE_COVERAGE) => {
                Ok(LangChoice::unsupported(code))
            }
            // A few words no vocabulary knows (a product name, "LoRaWAN"): the detector's guess
            // on them is noise, and the catalogue's language is the safe reading.
            (_, Some((_, _, 0.0)) | None) => Ok(LangChoice::default_english()),
            (_, Some((l, score, _))) => Ok(LangChoice::detected(l, f64::from(score.min(1.0)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::lang::LangSource;
    use std::sync::LazyLock;

    static BUNDLE: LazyLock<Bundle> =
        LazyLock::new(|| Bundle::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../index-data")).unwrap());

    fn languages() -> Languages {
        BUNDLE.languages()
    }

    #[test]
    fn solutions_are_read_in_the_language_they_declare_even_without_the_tag() {
        let mut seen = std::collections::BTreeSet::new();
        for s in &BUNDLE.solutions {
            let lang = Languages::of_solution(s);
            seen.insert(lang);
            if let Some(tag) = &s.lang {
                let untagged = Solution {
                    lang: None,
                    ..s.clone()
                };
                assert_eq!(Lang::parse_tag(tag), Ok(Some(lang)), "{}", s.id);
                assert_eq!(
                    Languages::of_solution(&untagged),
                    lang,
                    "{} detected without its tag",
                    s.id
                );
            }
        }
        assert_eq!(seen.len(), Lang::ALL.len(), "every language has solutions: {seen:?}");
    }

    #[test]
    fn a_solution_in_an_unsupported_language_reads_as_the_closest_supported_one() {
        let solution = |title: &str, summary: &str| Solution {
            id: "x".into(),
            title: title.into(),
            summary: summary.into(),
            ..BUNDLE.solutions[0].clone()
        };
        let mut s = solution(
            "Датчики витоку води",
            "Мережа датчиків знаходить витоки у водопровідній мережі міста і повідомляє оператора.",
        );
        s.description.clear();
        s.lang = None;
        assert_eq!(Languages::of_solution(&s), Lang::Ru, "Ukrainian reads as Russian");
        let mut s = solution("水道の漏水検知", "センサーが水道管の漏水を見つけて、すぐに知らせます。");
        s.description.clear();
        s.lang = None;
        assert_eq!(
            Languages::of_solution(&s),
            Lang::En,
            "Japanese: nothing closer than the default"
        );
        s.lang = Some("ja".into());
        assert_eq!(Languages::of_solution(&s), Lang::En, "an unsupported tag");
    }

    #[test]
    fn short_questions_are_read_in_their_language() {
        let l = languages();
        let cases = [
            ("Que plus personne ne meure sur nos routes.", "fr"),
            ("Tirar as famílias da pobreza e diminuir a desigualdade de renda.", "pt"),
            ("fugas de agua en la red", "es"),
            ("perdite idriche", "it"),
            ("Funklöcher", "de"),
            ("vanntap", "no"),
            ("утечки воды", "ru"),
            ("تسرب المياه", "ar"),
            ("漏水", "zh"),
            ("what fixes our water KPIs?", "en"),
            ("quillwort", "en"),
            ("zq7x", "en"),
            ("LoRaWAN gateways", "en"),
            ("", "en"),
        ];
        for (text, code) in cases {
            assert_eq!(l.of_needs(None, text).unwrap().code, code, "{text}");
        }
    }

    #[test]
    fn an_engine_for_english_alone_reads_every_supported_language_as_english() {
        let english_only = Languages::english_only(&BUNDLE.catalogue, Arc::new(BUNDLE.vocabulary.clone()));
        let c = english_only
            .of_needs(
                None,
                "Perdemos casi la mitad del agua que bombeamos antes de que llegue a un grifo.",
            )
            .unwrap();
        assert_eq!(c.lang, Some(Lang::En));
        assert!(!english_only.get(Lang::Es).has_vocabulary());
    }

    #[test]
    fn an_unsupported_language_is_reported_and_a_bad_tag_refused() {
        let l = languages();
        let ja = l
            .of_needs(None, "どうすれば私たちの町の水道の漏れを減らせますか？")
            .unwrap();
        assert_eq!((ja.lang, ja.code.as_str()), (None, "jpn"));
        let declared = l.of_needs(Some("ko"), "물 누수").unwrap();
        assert_eq!((declared.lang, declared.source), (None, LangSource::Declared));
        assert_eq!(l.of_needs(Some("es-MX"), "agua").unwrap().lang, Some(Lang::Es));
        assert!(l.of_needs(Some("not a tag"), "agua").is_err());
    }

    #[test]
    fn each_vocabulary_maps_its_own_words_to_the_same_kpi() {
        let l = languages();
        let water_loss = BUNDLE.catalogue.resolve("EC:I:WS:3C").unwrap();
        for (lang, text) in [
            (Lang::En, "water leaks in the mains"),
            (Lang::Es, "las fugas de agua"),
            (Lang::Pt, "vazamentos e perdas de água"),
            (Lang::Fr, "fuites d'eau dans le réseau"),
            (Lang::De, "Wasserverluste im Rohrnetz"),
            (Lang::It, "perdite idriche della rete"),
            (Lang::Ru, "утечки воды в сетях"),
            (Lang::Ar, "تسرب المياه من الشبكة"),
            (Lang::Zh, "管网漏损严重"),
            (Lang::No, "vanntap og lekkasjer i ledningsnettet"),
        ] {
            let m = l.get(lang);
            let terms = analyse(&mut m.analyzer().clone(), text);
            let best = m.mapper().score_terms(terms.iter().map(|t| (t.as_str(), 1.0)), false);
            assert_eq!(
                best.first().map(|k| k.kpi),
                Some(water_loss),
                "{lang}: {text} → {best:?}"
            );
        }
    }
}
