// Ask panel: a question in plain words, optional filters (provider type among them), SDG focus
// and diversity; POST /v1/match with explanations; result cards with the provider's type and the
// score's parts (words + KPIs + evidence − diversity), the city's gaps each solution addresses,
// the words that matched and the similar cities that adopted (or dropped) it; "why not X?" for
// solutions the planner names (`explain_ids` → the answer's `not_returned`, in words); a
// solution's detail (GET /v1/solutions/{id}) with its KPI profile, declared or inferred.
// Adoption evidence is correlational and is worded so: "adopted by", "deployed by", never a cause.
// The goals' names come from the chosen city's SDG standing ('sdgs' in the store, published by
// the City panel); without a city the goals are numbers.

import { h, fill, num, pct, bandPill, bandClass, bandFromGap, nextId } from './dom.js';
import { meter, scoreBar, grossScore, legendItem } from './charts.js';
import { SOURCE, FIELDS, STATUS, PROVIDER_TYPES, LANGUAGES, needsLangWords, signed, goalsWords, explanation } from './explain.js';

const MATURITIES = ['concept', 'pilot', 'proven', 'scaled'];
const COSTS = ['low', 'medium', 'high'];
// The Smart City Wheel categories, offered until GET /v1/facets lists the catalogue's own (any
// other category can be typed).
const CATEGORIES = ['Economy', 'Environment', 'Government', 'Living', 'Mobility', 'People'];
// Serving `Global` matches every region filter, so it is not offered as a region to filter on.
const GLOBAL = 'global';
const EXAMPLES = ['What fixes our water KPIs?', 'Less traffic congestion downtown', 'Cleaner air near schools', 'Cheaper street lighting'];
/** The Sustainable Development Goals are numbered 1 to 17 (names come from the API). */
const GOALS = Array.from({ length: 17 }, (_, i) => i + 1);
/** `explain_ids` takes at most this many solutions. */
const MAX_WHY_NOT = 20;
/** Why a named solution is not on the page, in words (the API's sentence follows). */
const REASON = {
  not_found: 'not in the catalogue',
  filtered: 'left out by a filter',
  no_score: 'scores nothing here',
  ranked_lower: 'ranked lower',
  earlier_page: 'on an earlier page',
  diversity: 'moved down by diversity',
  on_page: 'on this page',
};
/** A filter field of the request, in the words of the form. */
const FILTER_WORDS = {
  'filters.maturity': 'Maturity',
  'filters.cost_band': 'Cost band',
  'filters.provider_type': 'Provider type',
  'filters.regions': 'Region served',
  'filters.categories': 'Category',
  'filters.kpis': 'KPIs addressed',
  'filters.exclude_ids': 'Excluded solutions',
};

export const panel = {
  id: 'ask',
  title: 'Find solutions',
  mount(host, ctx) {
    const needs = h('textarea', { id: 'needs', rows: 2, maxlength: 2000, 'aria-describedby': 'needs-help', placeholder: 'e.g. what fixes our water KPIs?' });
    const context = h('p', { class: 'ask-context', id: 'ask-context' });
    const focusBox = h('div', { class: 'focus', id: 'focus', hidden: true });
    const checks = (name, values) => values.map((v) => {
      const id = `f-${name}-${v}`;
      return h('label', { class: 'check', for: id }, h('input', { type: 'checkbox', id, name, value: v }), ` ${v}`);
    });
    const region = h('select', { id: 'f-region', dataset: { state: 'loading' } }, h('option', { value: '' }, 'Any region'));
    const categoryList = h('datalist', { id: 'category-list', dataset: { state: 'loading' } }, CATEGORIES.map((c) => h('option', { value: c })));
    const category = h('input', { id: 'f-category', type: 'text', list: 'category-list', autocomplete: 'off', placeholder: 'Any category' });
    const diversity = h('input', { id: 'diversity', type: 'range', min: 0, max: 1, step: 0.05, value: 0, 'aria-describedby': 'diversity-help' });
    const diversityOut = h('output', { for: 'diversity', id: 'diversity-value' }, '0');
    const providerTypes = h('div', { class: 'checks', id: 'f-provider-type', dataset: { state: 'loading' } },
      h('span', { class: 'muted small' }, 'Loading…'));
    const goalChecks = h('div', { class: 'checks goal-checks', id: 'sdg-checks', dataset: { names: 'numbers' } },
      GOALS.map((g) => h('label', { class: 'check', for: `f-sdg-${g}` },
        h('input', { type: 'checkbox', id: `f-sdg-${g}`, name: 'sdg', value: g }), h('span', { class: 'goal-label' }, ` Goal ${g}`))));
    const goalCount = h('span', { class: 'filter-count', id: 'sdg-count' });
    const whyNot = h('input', {
      id: 'why-not-ids', type: 'text', list: 'why-not-list', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': 'why-not-help', placeholder: 'e.g. aquatrace-leak-detection',
    });
    const whyNotList = h('datalist', { id: 'why-not-list', dataset: { state: 'empty' } });
    const whyNotCount = h('span', { class: 'filter-count', id: 'why-not-count' });
    const limit = h('select', { id: 'limit' }, [5, 10, 20, 50].map((n) => h('option', { value: n, selected: n === 10 }, String(n))));
    const filterCount = h('span', { class: 'filter-count', id: 'filter-count' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ask-submit' }, 'Find solutions');
    const results = h('div', { class: 'results', id: 'results', 'aria-live': 'polite', dataset: { state: 'empty', seq: '0' } },
      h('p', { class: 'muted' }, 'Ask in plain words, or just press “Find solutions” to rank by the city’s weakest KPIs and stated needs.'));

    const form = h('form', { class: 'ask stack', id: 'ask-form', 'aria-label': 'Find solutions', novalidate: true },
      context,
      h('div', { class: 'field' },
        h('label', { for: 'needs' }, 'What does the city need?'),
        needs,
        h('p', { class: 'help', id: 'needs-help' }, 'Plain words are fine. Left empty, the city’s stated needs and its weakest KPIs decide.'),
        h('div', { class: 'examples' },
          h('span', { class: 'muted small' }, 'Try:'),
          EXAMPLES.map((ex) => h('button', {
            type: 'button', class: 'chip chip-button',
            onclick: () => { needs.value = ex; run(); },
          }, ex)))),
      focusBox,
      h('details', { class: 'filters', id: 'filters' },
        h('summary', {}, 'Filters and diversity ', filterCount),
        h('div', { class: 'filters-grid' },
          h('fieldset', {}, h('legend', {}, 'Maturity'), h('div', { class: 'checks' }, checks('maturity', MATURITIES))),
          h('fieldset', {}, h('legend', {}, 'Cost band'), h('div', { class: 'checks' }, checks('cost_band', COSTS))),
          h('fieldset', {}, h('legend', {}, 'Provider type'), providerTypes),
          h('div', { class: 'field' }, h('label', { for: 'f-region' }, 'Region served'), region),
          h('div', { class: 'field' }, h('label', { for: 'f-category' }, 'Category'), category,
            categoryList),
          h('div', { class: 'field span-2' },
            h('label', { for: 'diversity' }, 'Diversity ', diversityOut),
            diversity,
            h('p', { class: 'help', id: 'diversity-help' }, '0 ranks by score alone; higher values push down solutions that address the same KPIs as those above them.')))),
      h('details', { class: 'filters', id: 'sdg-focus' },
        h('summary', {}, 'SDG focus ', goalCount),
        h('fieldset', {},
          h('legend', { class: 'sr-only' }, 'Sustainable Development Goals to focus on'),
          goalChecks,
          h('p', { class: 'help', id: 'sdg-help' }, 'The KPIs serving the goals you check weigh by the city’s gap to target (fully without a city). Goal names come from the chosen city’s SDG picture.'))),
      h('details', { class: 'filters', id: 'why-not' },
        h('summary', {}, 'Why not …? ', whyNotCount),
        h('div', { class: 'field' },
          h('label', { for: 'why-not-ids' }, 'Solutions you expected to see'),
          whyNot,
          whyNotList,
          h('p', { class: 'help', id: 'why-not-help' }, `A solution’s id (suggested as you type) or exact title; several separated by commas, at most ${MAX_WHY_NOT}. The answer says why each is not among the results: a filter, its rank and score, or that it is not in the catalogue.`))),
      h('div', { class: 'row' },
        submit,
        h('div', { class: 'field inline' }, h('label', { for: 'limit' }, 'Results'), limit)));

    host.append(form, results);

    let controller = null;
    let seq = 0;
    let asked = false;
    let pendingRerun = null;
    // The catalogue, briefly (for "why not" suggestions and titles), once it was needed.
    let catalogue = null;

    const dialog = solutionDialog(ctx);

    const activeFilters = () => {
      const f = {};
      const pick = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
      const m = pick('maturity');
      const c = pick('cost_band');
      if (m.length) f.maturity = m;
      if (c.length) f.cost_band = c;
      if (region.value) f.regions = [region.value];
      if (category.value.trim()) f.categories = [category.value.trim()];
      const p = pick('provider_type');
      if (p.length) f.provider_type = p;
      return f;
    };

    const chosenGoals = () => [...form.querySelectorAll('input[name="sdg"]:checked')].map((i) => Number(i.value));

    /** The solutions named under "Why not …?": ids, or exact titles of the catalogue. */
    const namedSolutions = () => {
      const byTitle = new Map((catalogue || []).map((c) => [c.title.toLowerCase(), c.id]));
      const seen = new Set();
      return whyNot.value.split(/[,\n]/).map((t) => t.trim()).filter(Boolean)
        .map((t) => byTitle.get(t.toLowerCase()) || t)
        .filter((id) => !seen.has(id) && seen.add(id));
    };
    const showGoalCount = () => {
      const n = chosenGoals().length;
      goalCount.textContent = n ? `(${n} chosen)` : '';
    };
    const showWhyNotCount = () => {
      const n = namedSolutions().length;
      whyNotCount.textContent = n ? `(${n} named)` : '';
    };

    const showFilterCount = () => {
      const f = activeFilters();
      const n = Object.values(f).reduce((a, v) => a + v.length, 0) + (Number(diversity.value) > 0 ? 1 : 0);
      filterCount.textContent = n ? `(${n} active)` : '';
    };

    /** The match request the form describes. */
    const buildRequest = () => {
      const body = {};
      const city = ctx.store.get('city');
      if (city) body.city_id = city.id;
      const text = needs.value.trim();
      if (text) body.needs = text;
      const focus = ctx.store.get('focus');
      if (focus) body.kpis = [focus.code];
      const goals = chosenGoals();
      if (goals.length) body.sdgs = goals;
      const filters = activeFilters();
      if (Object.keys(filters).length) body.filters = filters;
      const d = Number(diversity.value);
      if (d > 0) body.diversity = d;
      body.limit = Number(limit.value);
      body.explain = true;
      const named = namedSolutions();
      if (named.length) body.explain_ids = named;
      return body;
    };

    async function run() {
      clearTimeout(pendingRerun);
      asked = true;
      ctx.param('q', needs.value.trim() || null);
      const named = namedSolutions();
      if (named.length > MAX_WHY_NOT) {
        // Caught before anything is sent, as the API would refuse it.
        whyNot.setAttribute('aria-invalid', 'true');
        ctx.fail({
          title: 'Too many solutions to ask about',
          detail: `“Why not …?” names ${named.length} solutions; at most ${MAX_WHY_NOT} can be explained at once. Remove ${named.length - MAX_WHY_NOT}.`,
          code: 'form',
        }, 'ask');
        whyNot.closest('details').open = true;
        whyNot.focus();
        return;
      }
      whyNot.removeAttribute('aria-invalid');
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      const body = buildRequest();
      results.dataset.state = 'loading';
      results.setAttribute('aria-busy', 'true');
      submit.disabled = true;
      try {
        // The solutions asked about are named by their titles: the catalogue comes along.
        const [answer, titles] = await Promise.all([
          ctx.api.post('/v1/match', body, { signal: controller.signal }),
          body.explain_ids ? ctx.solutions().catch(() => null) : null,
        ]);
        if (mine !== seq) return;
        if (titles) catalogue = titles;
        fill(results, renderResults(answer, body, ctx, dialog, catalogue));
        results.dataset.state = 'done';
        results.dataset.seq = String(mine);
        ctx.ok('ask');
        ctx.say(`${answer.results.length} solutions found.`);
      } catch (e) {
        if (e.name === 'AbortError' || mine !== seq) return;
        results.dataset.state = 'error';
        results.dataset.seq = String(mine);
        fill(results, h('p', { class: 'muted' }, 'No results: see the message at the top of the page.'));
        ctx.fail(e, 'ask', 'Finding solutions failed');
      } finally {
        if (mine === seq) {
          results.removeAttribute('aria-busy');
          submit.disabled = false;
        }
      }
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run();
    });
    needs.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        run();
      }
    });
    // A changed filter asks again shortly (once asked); asking first cancels that.
    const rerun = () => {
      clearTimeout(pendingRerun);
      pendingRerun = setTimeout(() => { if (asked) run(); }, 250);
    };
    diversity.addEventListener('input', () => {
      diversityOut.textContent = num(Number(diversity.value));
      showFilterCount();
    });
    for (const el of form.querySelectorAll('.filters input:not(#why-not-ids), .filters select')) {
      el.addEventListener('change', () => { showFilterCount(); showGoalCount(); rerun(); });
    }
    whyNot.addEventListener('input', () => {
      showWhyNotCount();
      whyNot.removeAttribute('aria-invalid');
    });
    // The catalogue's ids and titles are suggested once the field is used.
    whyNot.addEventListener('focus', () => {
      if (whyNotList.dataset.state !== 'empty') return;
      whyNotList.dataset.state = 'loading';
      ctx.solutions().then((list) => {
        catalogue = list;
        fill(whyNotList, list.map((c) => h('option', { value: c.id, label: c.title })));
        whyNotList.dataset.state = 'loaded';
      }).catch((err) => {
        whyNotList.dataset.state = 'empty';
        ctx.fail(err, 'catalogue', 'The catalogue could not be listed for suggestions');
      });
    });

    /** The goals' names from the chosen city's SDG standing; numbers without a city. */
    const nameGoals = (standing) => {
      const names = new Map(standing ? standing.goals.map((g) => [g.goal, g.name]) : []);
      for (const label of goalChecks.querySelectorAll('label')) {
        const g = Number(label.querySelector('input').value);
        label.querySelector('.goal-label').textContent = names.has(g) ? ` ${g} · ${names.get(g)}` : ` Goal ${g}`;
      }
      goalChecks.dataset.names = names.size ? 'named' : 'numbers';
      goalChecks.dataset.city = standing ? standing.city_id : '';
    };
    ctx.store.on('sdgs', nameGoals);

    const describeCity = (city) => {
      fill(context, city
        ? [h('span', { class: 'muted' }, 'Matching for '), h('strong', {}, city.name), h('span', { class: 'muted' }, ': its gaps to target weigh in.')]
        : h('span', { class: 'muted' }, 'No city chosen: solutions are ranked by your words alone. Choose a city to bring its weakest KPIs in.'));
    };

    ctx.store.on('city', (city) => {
      describeCity(city);
      if (ctx.store.get('focus')) ctx.store.set('focus', null);
      if (asked) run();
    });

    ctx.store.on('focus', (focus) => {
      if (!focus) {
        focusBox.hidden = true;
        focusBox.replaceChildren();
        return;
      }
      fill(focusBox,
        h('span', { class: 'muted' }, 'Focus on '),
        h('span', { class: 'chip chip-focus' }, focus.name, ' ', h('code', {}, focus.code)),
        h('button', {
          type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `Remove the focus on ${focus.name}`,
          onclick: () => { ctx.store.set('focus', null); run(); needs.focus(); },
        }, 'Remove'));
      focusBox.hidden = false;
      run().then(() => {
        host.scrollIntoView({ behavior: 'smooth', block: 'start' });
        const first = results.querySelector('.card-title');
        if (first) first.focus({ preventScroll: true });
      });
    });

    // A goal's "Find solutions" in the city's SDG picture focuses the ranking on that goal.
    ctx.store.on('focus-sdg', (focus) => {
      if (!focus) return;
      const box = goalChecks.querySelector(`input[value="${focus.goal}"]`);
      if (!box) return;
      box.checked = true;
      box.closest('details').open = true;
      showGoalCount();
      run().then(() => {
        host.scrollIntoView({ behavior: 'smooth', block: 'start' });
        const first = results.querySelector('.card-title');
        if (first) first.focus({ preventScroll: true });
      });
    });

    describeCity(ctx.store.get('city'));
    // A shared address (#/planner?city=…&q=…) asks again; with a city, once its gaps are in.
    const q = ctx.param('q');
    if (q) {
      needs.value = q;
      asked = true;
      if (!ctx.param('city')) run();
    }
    // The filter values the catalogue really has (GET /v1/facets), with counts; the cities'
    // own regions are offered too (a region no solution names still keeps the global ones).
    Promise.all([
      ctx.facets(),
      ctx.cities().catch(() => []), // the city panel reports its own failure
    ]).then(([facets, cities]) => {
      fill(categoryList, facets.categories.map((c) => h('option', { value: c.value, label: `${c.value} (${c.count})` })));
      fill(providerTypes, providerChecks((facets.provider_type || []).map((p) => ({ value: p.value, count: p.count })), () => { showFilterCount(); rerun(); }));
      providerTypes.dataset.state = 'loaded';
      categoryList.dataset.state = 'loaded';
      const regions = new Map(facets.regions.map((r) => [r.value.toLowerCase(), r]));
      for (const c of cities) {
        if (c.region && !regions.has(c.region.toLowerCase())) regions.set(c.region.toLowerCase(), { value: c.region });
      }
      regions.delete(GLOBAL);
      const options = [...regions.values()].sort((a, b) => a.value.localeCompare(b.value)).map((r) =>
        h('option', { value: r.value }, r.count === undefined ? r.value : `${r.value} (${r.count})`));
      region.append(...options);
      region.dataset.state = 'loaded';
    }).catch((err) => {
      region.dataset.state = 'error';
      // The types the API accepts, without counts.
      fill(providerTypes, providerChecks(Object.keys(PROVIDER_TYPES).map((value) => ({ value })), () => { showFilterCount(); rerun(); }));
      providerTypes.dataset.state = 'error';
      ctx.fail(err, 'ask', 'The filter values could not be listed');
    });
  },
};

/** Checkboxes for the provider types, with counts when known. */
function providerChecks(types, onChange) {
  return types.map((t) => {
    const id = `f-provider_type-${t.value}`;
    return h('label', { class: 'check', for: id },
      h('input', { type: 'checkbox', id, name: 'provider_type', value: t.value, onchange: onChange }),
      ` ${PROVIDER_TYPES[t.value] || t.value}`,
      t.count === undefined ? null : h('span', { class: 'count' }, ` (${t.count})`));
  });
}

function renderResults(answer, body, ctx, dialog, catalogue) {
  const city = ctx.store.get('city');
  const gaps = ctx.store.get('gaps');
  const bandOf = new Map(gaps && city && body.city_id === gaps.city_id ? gaps.kpis.map((k) => [k.code, k.band]) : []);
  const standing = ctx.store.get('sdgs');
  const goalNames = new Map(standing && city && standing.city_id === body.city_id ? standing.goals.map((g) => [g.goal, g.name]) : []);
  const list = answer.results;
  const maxScore = Math.max(...list.map((r) => (r.explanation ? grossScore(r.explanation) : r.score)), 1e-9);
  const anyEvidence = list.some((r) => r.explanation && r.explanation.evidence > 0);
  const anyAgainst = list.some((r) => r.explanation && r.explanation.evidence < 0);
  const maxContribution = Math.max(...list.flatMap((r) => (r.explanation ? r.explanation.kpis.map((k) => k.contribution) : [])), 1e-9);

  const summary = h('div', { class: 'results-head' },
    h('h3', { class: 'results-title', id: 'results-title', tabindex: '-1' },
      list.length ? `${list.length} solution${list.length === 1 ? '' : 's'}` : 'No solution matches',
      city ? ` for ${city.name}` : ''),
    h('p', { class: 'muted small' },
      answer.needs_text ? [`“${answer.needs_text}”`, ' · ',
        h('span', { id: 'needs-lang', dataset: { code: answer.needs_lang.code, supported: String(answer.needs_lang.supported) } }, needsLangWords(answer.needs_lang)),
        ' · '] : (body.needs === undefined && !city ? null : ['ranked by gaps only', ' · ']),
      `profile ${answer.profile} · ${num(answer.took_ms, 1)} ms${answer.cached ? ' (cached)' : ''}`),
    answer.sdgs && answer.sdgs.length
      ? h('p', { class: 'small goals-used', id: 'goals-used', dataset: { goals: answer.sdgs.join(',') } },
        h('span', { class: 'muted' }, 'Focused on '), goalsWords(answer.sdgs, goalNames))
      : null,
    answer.gaps_used.length
      ? h('div', { class: 'weighing' },
        h('span', { class: 'muted small' }, 'Weighing most: '),
        h('ul', { class: 'chips' }, answer.gaps_used.slice(0, 6).map((g) => h('li', {
          class: ['chip', g.gap === null ? 'band-none' : bandClass(bandOf.get(g.code) || bandFromGap(g.gap))],
          title: `${g.name} (${g.code}): weight ${num(g.weight, 3)} — ${SOURCE[g.source] || g.source}${g.gap === null ? '' : `, gap ${pct(g.gap)}`}`,
        }, g.name))))
      : null,
    list.length
      ? h('div', { class: 'legend', 'aria-hidden': 'true' },
        legendItem('part-text', 'words matched'), legendItem('part-kpi', 'KPI gaps addressed'),
        anyEvidence ? legendItem('part-evidence', 'adopted by similar cities') : null,
        anyAgainst ? legendItem('part-against', 'discontinued by similar cities') : null,
        legendItem('part-penalty', 'diversity penalty'))
      : null,
    h('details', { class: 'api-request' },
      h('summary', {}, 'The API request'),
      h('pre', { id: 'last-request' }, `POST /v1/match\n${JSON.stringify(body, null, 2)}`)));

  const named = body.explain_ids && body.explain_ids.length
    ? whyNotAnswers(answer, body.explain_ids, catalogue, { bandOf, withCity: Boolean(body.city_id), goalNames })
    : null;
  if (!list.length) {
    return [summary, named, h('p', { class: 'empty' }, 'Nothing passes these filters. Loosen a filter or ask differently.')];
  }
  const cards = h('ol', { class: 'cards', id: 'cards' }, list.map((r) => card(r, { maxScore, maxContribution, bandOf, dialog, withCity: Boolean(body.city_id), goalNames })));
  return [summary, named, cards];
}

/** "Why not X?": for each solution the planner named, the API's reason in words (or where it
 * is on this page), with its rank, score, the gap to the last result and the filter that left
 * it out; its score in parts when it was ranked. */
function whyNotAnswers(answer, asked, catalogue, { bandOf, withCity, goalNames }) {
  const titleOf = new Map((catalogue || []).map((c) => [c.id, c.title]));
  const missing = new Map(answer.not_returned.map((n) => [n.solution_id, n]));
  const maxContribution = Math.max(...answer.not_returned.flatMap((n) => (n.explanation ? n.explanation.kpis.map((k) => k.contribution) : [])), 1e-9);
  const items = asked.map((id) => {
    const shown = answer.results.find((r) => r.solution_id === id);
    const n = missing.get(id);
    const title = shown ? shown.title : titleOf.get(id);
    const reason = shown ? 'on_page' : n ? n.reason : 'unknown';
    const titleId = nextId('why-not-title');
    const facts = [];
    if (n && n.rank !== null && n.rank !== undefined) facts.push(['Rank', h('span', { class: 'why-not-rank' }, String(n.rank))]);
    if (n && n.score !== null && n.score !== undefined) facts.push(['Score', h('span', { class: 'why-not-score' }, num(n.score, 3))]);
    if (n && n.score_gap !== null && n.score_gap !== undefined) {
      facts.push(['Below the last result', h('span', { class: 'why-not-gap' }, signed(n.score_gap))]);
    }
    if (n && n.filter) {
      facts.push(['Filter', h('span', { class: 'why-not-filter', dataset: { field: n.filter.field, value: n.filter.value, accepted: n.filter.accepted } },
        `${FILTER_WORDS[n.filter.field] || n.filter.field}: it has `, h('strong', {}, n.filter.value), '; the filter accepts ', h('strong', {}, n.filter.accepted))]);
    }
    let why = null;
    let toggle = null;
    if (n && n.explanation) {
      why = explanation(n.explanation, maxContribution, bandOf, withCity, goalNames);
      why.id = nextId('why-not-why');
      why.hidden = true;
      toggle = h('button', { type: 'button', class: 'btn btn-small why-toggle', 'aria-expanded': 'false', 'aria-controls': why.id, 'aria-describedby': titleId }, 'Its score in parts');
      toggle.addEventListener('click', () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        why.hidden = !open;
        toggle.textContent = open ? 'Hide its score' : 'Its score in parts';
      });
    }
    const message = shown
      ? `It is on this page at rank ${shown.rank} with ${num(shown.score, 3)}.`
      : n ? n.message : 'The answer says nothing about it.';
    return h('li', { class: ['why-not-item', `reason-${reason}`], dataset: { id, reason } },
      h('div', { class: 'why-not-head' },
        h('span', { class: ['reason-pill', `reason-${reason}`] }, REASON[reason] || reason),
        h('h5', { class: 'why-not-title', id: titleId }, title || id, title ? [' ', h('code', { class: 'why-not-id' }, id)] : null)),
      h('p', { class: 'why-not-message' }, message),
      facts.length ? h('dl', { class: 'why-not-facts' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))) : null,
      toggle,
      why);
  });
  return h('section', { class: 'why-not-answers', id: 'why-not-answers', 'aria-labelledby': 'why-not-answers-h' },
    h('h4', { id: 'why-not-answers-h' }, asked.length === 1 ? 'Why not the solution you named?' : `Why not the ${asked.length} solutions you named?`),
    h('ul', { class: 'why-not-list' }, items));
}

function card(r, { maxScore, maxContribution, bandOf, dialog, withCity, goalNames }) {
  const e = r.explanation;
  const titleId = nextId('card-title');
  const why = e ? explanation(e, maxContribution, bandOf, withCity, goalNames) : h('p', { class: 'muted' }, 'No explanation was requested.');
  const whyBtn = h('button', { type: 'button', class: 'btn btn-small why-toggle', 'aria-expanded': 'false', 'aria-describedby': titleId }, 'Why this match');
  why.id = nextId('why');
  why.hidden = true;
  whyBtn.setAttribute('aria-controls', why.id);
  whyBtn.addEventListener('click', () => {
    const open = whyBtn.getAttribute('aria-expanded') !== 'true';
    whyBtn.setAttribute('aria-expanded', String(open));
    why.hidden = !open;
    whyBtn.textContent = open ? 'Hide the reasons' : 'Why this match';
  });
  const detailBtn = h('button', { type: 'button', class: 'btn btn-small', 'aria-describedby': titleId, onclick: () => dialog.open(r.solution_id, r.title) }, 'Details');

  const addressed = e ? e.kpis.slice(0, 3) : [];
  return h('li', { class: 'card', dataset: { id: r.solution_id, rank: String(r.rank), providerType: r.provider_type || '' } },
    h('div', { class: 'card-top' },
      h('span', { class: 'rank', 'aria-label': `Rank ${r.rank}` }, String(r.rank)),
      h('div', { class: 'card-heading' },
        h('h4', { class: 'card-title', id: titleId, tabindex: '-1' }, r.title),
        r.provider ? h('p', { class: 'provider' }, r.provider) : null,
        r.provider_type ? h('p', { class: 'provider-type' },
          h('span', { class: ['tag', 'ptype', `ptype-${r.provider_type}`], title: 'Who offers it' }, PROVIDER_TYPES[r.provider_type] || r.provider_type),
          r.lang && r.lang !== 'en' ? h('span', { class: ['tag', 'lang'], title: 'Written in', dataset: { lang: r.lang } }, LANGUAGES[r.lang] || r.lang) : null) : null),
      h('div', { class: 'score', title: 'Score: words + KPIs + evidence from similar cities − diversity penalty' },
        h('span', { class: 'score-value' }, num(r.score, 3)),
        h('span', { class: 'score-label' }, 'score'))),
    r.summary ? h('p', { class: 'summary' }, r.summary) : null,
    e ? h('div', { class: 'score-parts' },
      scoreBar(e, maxScore),
      h('p', { class: 'small muted breakdown' },
        `words ${num(e.text, 3)} + KPIs ${num(e.kpi, 3)} + evidence ${signed(e.evidence)}`,
        e.diversity_penalty > 0 ? ` − diversity ${num(e.diversity_penalty, 3)}` : '')) : null,
    addressed.length ? h('div', { class: 'addresses' },
      h('span', { class: 'muted small' }, 'Addresses '),
      h('ul', { class: 'chips' }, addressed.map((k) => h('li', {
        class: ['chip', k.gap === null ? 'band-none' : bandClass(bandOf.get(k.code) || bandFromGap(k.gap))],
      }, k.name, k.gap === null ? '' : h('span', { class: 'chip-note' }, ` gap ${pct(k.gap)}`))))) : null,
    e && e.matched_terms.length ? h('div', { class: 'terms' },
      h('span', { class: 'muted small words-matched', dataset: { lang: r.lang } }, `Words matched (${LANGUAGES[r.lang] || r.lang}) `),
      h('ul', { class: 'chips' }, e.matched_terms.map((t) => h('li', {
        class: ['chip', 'chip-term', t.from_synonym ? 'synonym' : null],
        title: `${t.from_synonym ? 'a synonym kpimatch added; ' : ''}found in ${t.fields.map((f) => FIELDS[f] || f).join(', ')}`,
      }, t.from_synonym ? `≈ ${t.term}` : t.term)))) : null,
    e && e.adoptions.length ? h('div', { class: 'adopted' },
      h('span', { class: 'muted small' }, 'Similar cities '),
      h('ul', { class: 'chips' }, e.adoptions.map((a) => h('li', {
        class: ['chip', 'chip-adoption', `status-${a.status}`],
        title: a.summary,
      }, `${STATUS[a.status] || a.status} by ${a.city_name} (${a.year})`)))) : null,
    h('div', { class: 'card-actions' }, whyBtn, detailBtn),
    why);
}

/** The solution detail dialog (one for the panel). */
function solutionDialog(ctx) {
  const body = h('div', { class: 'dialog-body', id: 'solution-body' });
  const title = h('h2', { id: 'solution-title' });
  const close = h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': 'Close the details' }, 'Close');
  const dialog = h('dialog', { class: 'dialog', id: 'solution-dialog', 'aria-labelledby': 'solution-title' },
    h('div', { class: 'dialog-head' }, title, close),
    body);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  document.body.append(dialog);
  let opener = null;
  dialog.addEventListener('close', () => { if (opener) opener.focus(); });

  return {
    async open(id, name) {
      opener = document.activeElement;
      title.textContent = name;
      fill(body, h('p', { class: 'muted' }, 'Loading…'));
      dialog.dataset.id = id;
      dialog.showModal();
      try {
        const s = await ctx.api.get(`/v1/solutions/${ctx.api.seg(id)}`);
        if (dialog.dataset.id !== id) return;
        fill(body, solutionDetail(s, ctx.store.get('gaps')));
        dialog.dataset.state = 'done';
        ctx.ok('solution');
      } catch (e) {
        fill(body, h('p', { class: 'muted' }, 'The details could not be loaded: see the message at the top of the page.'));
        dialog.close();
        ctx.fail(e, 'solution', `Loading “${name}” failed`);
      }
    },
  };
}

const PROFILE_SOURCE = {
  declared: 'Declared by the provider: the KPIs it says the solution moves, and how strongly.',
  inferred: 'Inferred by kpimatch from the solution’s text (no KPIs were declared); confidence shown per KPI.',
  none: 'No KPI declared or recognised in the text: this solution matches on words only.',
};

function solutionDetail(s, gaps) {
  const gapOf = new Map(gaps ? gaps.kpis.map((k) => [k.code, k]) : []);
  const facts = [
    ['Maturity', s.maturity],
    ['Cost band', s.cost_band],
    ['Categories', s.categories.join(', ')],
    ['Regions served', s.regions.join(', ')],
    ['Reference cities', s.reference_cities.join(', ')],
    ['Tags', s.tags.join(', ')],
    ['SDGs', s.sdgs.join(', ')],
  ].filter(([, v]) => v);
  const profile = s.profile.map((p) => {
    const g = gapOf.get(p.code);
    return h('tr', { dataset: { code: p.code, provenance: p.provenance } },
      h('th', { scope: 'row', class: 'kpi-cell' }, h('span', { class: 'kpi-name' }, p.name), h('span', { class: 'kpi-meta' }, h('code', {}, p.code), ` · ${p.category}`)),
      h('td', { class: 'impact' }, meter(p.impact, 'part-kpi', `impact ${num(p.impact, 2)}`), h('span', { class: 'bar-value' }, num(p.impact, 2))),
      h('td', {}, h('span', { class: ['prov', `prov-${p.provenance}`] }, p.provenance), p.provenance === 'inferred' ? h('span', { class: 'kpi-meta' }, `confidence ${num(p.confidence, 2)}`) : null),
      gaps ? h('td', {}, g ? bandPill(g.band, pct(g.achievement)) : h('span', { class: 'muted small' }, 'no data')) : null);
  });
  return [
    s.provider ? h('p', { class: 'provider' }, s.provider) : null,
    s.summary ? h('p', { class: 'lead' }, s.summary) : null,
    s.description ? h('p', {}, s.description) : null,
    h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
    s.url ? h('p', { class: 'small' }, 'Provider’s page: ', h('a', { href: s.url, rel: 'noopener noreferrer external', target: '_blank' }, s.url)) : null,
    h('h3', {}, 'KPI profile'),
    h('p', { class: ['profile-source', `prov-${s.profile_source}`], id: 'profile-source', dataset: { source: s.profile_source } }, PROFILE_SOURCE[s.profile_source] || s.profile_source),
    profile.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'table profile', id: 'profile-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'KPI'), h('th', { scope: 'col' }, 'Impact'), h('th', { scope: 'col' }, 'Source'),
          gaps ? h('th', { scope: 'col' }, 'City achieves') : null)),
        h('tbody', {}, profile)))
      : null,
  ];
}
