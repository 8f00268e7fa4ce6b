// A result's reasons drawn, shared by the panels that show scores: the match cards (Ask), the
// solutions a planner asked about ("why not X?") and the cities a provider should approach.
// The parts add up to the score: words + KPI gaps + evidence from similar cities + meaning
// (the semantic stage, when it compared the texts) − diversity.
// Adoption evidence is correlational and is worded so: "adopted by", never a cause.

import { h, num, pct, withUnit, bandClass, bandFromGap } from './dom.js';
import { meter } from './charts.js';

/** Why a KPI weighs, in words. */
export const SOURCE = {
  gap: 'weak KPI',
  needs: 'asked for',
  gap_and_needs: 'weak and asked for',
  focus: 'in focus',
  sdg: 'SDG focus',
};
/** The solution fields a word was found in, in words. */
export const FIELDS = { title: 'title', tags: 'tags', summary: 'summary', description: 'description', all: 'text' };
/** A deployment's status, in words. */
export const STATUS = {
  deployed: 'deployed',
  piloting: 'piloting',
  discontinued: 'discontinued',
};

/** Who offers a solution, in words: every provider type the API knows (the filter offers the
 * catalogue's own, with counts, from GET /v1/facets). */
export const PROVIDER_TYPES = {
  company: 'company',
  startup: 'start-up',
  expert: 'expert',
  city: 'city',
  research: 'research',
  ngo: 'NGO',
};

/** The languages kpimatch reads, by code, in words. */
export const LANGUAGES = {
  en: 'English',
  es: 'Spanish',
  pt: 'Portuguese',
  fr: 'French',
  de: 'German',
  it: 'Italian',
  ru: 'Russian',
  ar: 'Arabic',
  zh: 'Chinese',
  no: 'Norwegian',
};

/** How the language of a question was read, in words: "read as Spanish (detected)", or that
 * its language is not one kpimatch reads and its words were left out. */
export function needsLangWords(l) {
  if (!l.supported) return `written in a language kpimatch does not read (${l.code}): its words were left out`;
  const how = { declared: 'as declared', detected: 'detected', default: 'assumed' }[l.source] || l.source;
  return `read as ${l.name || LANGUAGES[l.code] || l.code} (${how})`;
}

/** A score part with its sign: "0.029", "−0.042". */
export function signed(v) {
  return v < 0 ? `−${num(-v, 3)}` : num(v, 3);
}

/** "SDG 6" or "SDGs 6 and 11", with the goals' names when known. */
export function goalsWords(goals, names) {
  if (!goals || !goals.length) return '';
  const named = goals.map((g) => (names && names.get(g) ? `${g} ${names.get(g)}` : String(g)));
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
  return `${goals.length === 1 ? 'SDG' : 'SDGs'} ${list}`;
}

/** The similar cities that adopted the solution (or dropped it), in the API's words. */
export function adoptions(e) {
  const items = e.adoptions.map((a) => {
    const against = a.status === 'discontinued' || a.contribution < 0;
    return h('li', { class: ['adoption', `status-${a.status}`, against ? 'against' : 'for'], dataset: { city: a.city_id, status: a.status, contribution: String(a.contribution) } },
      h('span', { class: ['status-pill', `status-${a.status}`] }, STATUS[a.status] || a.status),
      h('span', { class: 'adoption-summary' }, a.summary),
      h('span', { class: 'adoption-effect' },
        against
          ? [h('strong', {}, signed(a.contribution)), ' counts against it']
          : Math.abs(a.contribution) < 0.0005
            ? 'adds nothing to the score'
            : [h('strong', {}, `+${num(a.contribution, 3)}`), ' for it']));
  });
  return h('section', { class: 'evidence', 'aria-label': 'Adopted by similar cities' },
    h('h5', { class: 'evidence-title' }, 'Adopted by similar cities'),
    h('ul', { class: 'adoptions' }, items),
    h('p', { class: 'small muted' }, 'Who adopted it and how they do now: a correlation, not proof that the solution made the difference. A city that discontinued it counts against it.'));
}

/** The explanation drawn: the score's parts, one row per contributing KPI with the city's gap
 * and the KPI's share of the score, and the similar cities that adopted or dropped it. */
export function explanation(e, maxContribution, bandOf, withCity, goalNames) {
  const rows = e.kpis.map((k) => {
    const band = k.gap === null ? null : bandOf.get(k.code) || bandFromGap(k.gap);
    const standing = k.city_value === null || k.target === null
      ? 'no data for the city'
      : `${withUnit(k.city_value, k.unit)} now, target ${withUnit(k.target, k.unit)}`;
    return h('li', { class: 'contrib', dataset: { code: k.code, contribution: String(k.contribution), gap: k.gap === null ? '' : String(k.gap) } },
      h('div', { class: 'contrib-kpi' },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-meta' }, h('code', {}, k.code), ` · ${SOURCE[k.source] || k.source}`,
          k.sdgs && k.sdgs.length ? h('span', { class: 'kpi-goals' }, ` · serves ${goalsWords(k.sdgs, goalNames)}`) : null),
        h('span', { class: 'kpi-meta' }, `${k.provenance} impact ${num(k.impact, 2)}${k.provenance === 'inferred' ? `, confidence ${num(k.confidence, 2)}` : ''}`)),
      h('div', { class: 'contrib-bars' },
        h('span', { class: 'bar-label' }, 'City’s gap'),
        k.gap === null
          ? h('span', { class: 'muted small no-data' }, 'no data')
          : kind(meter(k.gap, bandClass(band), `gap to target ${pct(k.gap)}`), 'gap'),
        h('span', { class: 'bar-value' }, k.gap === null ? '–' : pct(k.gap)),
        h('span', { class: 'bar-label' }, 'Share of score'),
        kind(meter(k.contribution / maxContribution, 'part-kpi', `${num(k.contribution, 3)} points of the score`), 'contribution'),
        h('span', { class: 'bar-value' }, num(k.contribution, 3)),
        h('span', { class: 'contrib-standing small muted' }, standing)));
  });
  const terms = e.matched_terms.length
    ? e.matched_terms.map((t) => `${t.term}${t.from_synonym ? ' (synonym)' : ''} in ${t.fields.map((f) => FIELDS[f] || f).join(', ')}`).join('; ')
    : 'none of the words';
  return h('div', { class: 'why' },
    h('dl', { class: 'parts' },
      h('div', {}, h('dt', {}, 'Words'), h('dd', {}, num(e.text, 3), h('span', { class: 'small muted' }, ` — ${terms}`))),
      h('div', {}, h('dt', {}, 'KPI gaps'), h('dd', {}, num(e.kpi, 3), h('span', { class: 'small muted' }, ` — from ${e.kpis.length} KPI${e.kpis.length === 1 ? '' : 's'} below`))),
      h('div', {}, h('dt', {}, 'Evidence'), h('dd', {}, signed(e.evidence), h('span', { class: 'small muted' }, ` — ${evidenceWords(e, withCity)}`))),
      e.dense_cosine !== null && e.dense_cosine !== undefined
        ? h('div', {}, h('dt', {}, 'Meaning'), h('dd', {}, num(e.dense, 3), h('span', { class: 'small muted' }, ` — the question and its text are ${num(e.dense_cosine, 2)} alike in meaning (sentence embeddings)`)))
        : null,
      e.diversity_penalty > 0 ? h('div', {}, h('dt', {}, 'Diversity'), h('dd', {}, `− ${num(e.diversity_penalty, 3)}`, h('span', { class: 'small muted' }, ' — repeats KPIs of results above'))) : null,
      h('div', { class: 'total' }, h('dt', {}, 'Score'), h('dd', {}, num(e.score, 3)))),
    rows.length ? h('ul', { class: 'contribs' }, rows) : h('p', { class: 'muted small' }, 'No KPI of the city weighs on this solution; it matched on words.'),
    e.adoptions.length ? adoptions(e) : null);
}

function evidenceWords(e, withCity) {
  const n = e.adoptions.length;
  if (!withCity) return 'choose a city to weigh what similar cities adopted';
  if (!n) return 'no similar city recorded adopting it';
  const dropped = e.adoptions.filter((a) => a.status === 'discontinued').length;
  const adopted = n - dropped;
  const parts = [];
  if (adopted) parts.push(`adopted by ${adopted} similar cit${adopted === 1 ? 'y' : 'ies'}`);
  if (dropped) parts.push(`discontinued by ${dropped}`);
  return `${parts.join(', ')} (below)`;
}

/** Marks a drawn bar with what it shows (`data-kind`), so tests and styles can find it. */
export function kind(el, name) {
  el.dataset.kind = name;
  return el;
}
