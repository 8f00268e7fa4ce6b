//! Every bound the engine enforces on input, in one place (documented in SECURITY.md and the API).

/// Longest id of a solution, city or topic.
pub const MAX_ID_CHARS: usize = 80;
/// Longest title or provider name.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest summary.
pub const MAX_SUMMARY_CHARS: usize = 2_000;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// Longest URL.
pub const MAX_URL_CHARS: usize = 2_000;
/// Most items in a list field (tags, categories, regions, reference cities).
pub const MAX_LIST_ITEMS: usize = 64;
/// Longest item of a list field, of a filter list and of a KPI focus list.
pub const MAX_LIST_ITEM_CHARS: usize = 200;
/// Most SDGs on one solution (there are 17).
pub const MAX_SDGS: usize = 17;
/// Longest needs or query text, in characters. A city's stated needs, joined, are cut to this
/// length when they stand in for the needs text.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// Longest language tag (`lang`, BCP 47; the longest registered tags are about 35 characters).
pub const MAX_LANG_TAG_CHARS: usize = 35;
/// Most analysed terms taken from a needs text (the rest are ignored, in order).
pub const MAX_QUERY_TERMS: usize = 64;
/// Most expansions (synonyms, lay terms) added per query term.
pub const MAX_EXPANSIONS_PER_TERM: usize = 6;
/// Most observations on one city.
pub const MAX_OBSERVATIONS: usize = 2_000;
/// Most stated needs on one city.
pub const MAX_NEEDS: usize = 20;
/// Most deployments (solutions piloted, deployed or discontinued) on one city.
pub const MAX_DEPLOYMENTS: usize = 500;
/// Most items in a filter list.
pub const MAX_FILTER_ITEMS: usize = 100;
/// Most results one match request may ask for.
pub const MAX_LIMIT: usize = 100;
/// Largest offset of a match request.
pub const MAX_OFFSET: usize = 10_000;
/// Most solutions one match request may ask "why not?" about (`explain_ids`).
pub const MAX_EXPLAIN_IDS: usize = 20;
