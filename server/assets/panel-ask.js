// Ask panel: a question in plain words, optional filters and diversity; POST /v1/match with
// explanations; result cards with the score's parts (words + KPIs + evidence − diversity), the
// city's gaps each solution addresses, the words that matched and the similar cities that
// adopted (or dropped) it; a solution's detail (GET /v1/solutions/{id}) with its KPI profile,
// declared or inferred. Adoption evidence is correlational and is worded so: "adopted by",
// "deployed by", never a cause.

import { h, fill, num, pct, withUnit, bandPill, bandClass, debounce, nextId } from './dom.js';
import { meter, scoreBar, grossScore, legendItem } from './charts.js';

const MATURITIES = ['concept', 'pilot', 'proven', 'scaled'];
const COSTS = ['low', 'medium', 'high'];
// The Smart City Wheel categories, offered until GET /v1/facets lists the catalogue's own (any
// other category can be typed).
const CATEGORIES = ['Economy', 'Environment', 'Government', 'Living', 'Mobility', 'People'];
// Serving `Global` matches every region filter, so it is not offered as a region to filter on.
const GLOBAL = 'global';
const EXAMPLES = ['What fixes our water KPIs?', 'Less traffic congestion downtown', 'Cleaner air near schools', 'Cheaper street lighting'];
const SOURCE = {
  gap: 'weak KPI',
  needs: 'asked for',
  gap_and_needs: 'weak and asked for',
  focus: 'in focus',
};
const FIELDS = { title: 'title', tags: 'tags', summary: 'summary', description: 'description', all: 'text' };
const STATUS = {
  deployed: 'deployed',
  piloting: 'piloting',
  discontinued: 'discontinued',
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
          h('div', { class: 'field' }, h('label', { for: 'f-region' }, 'Region served'), region),
          h('div', { class: 'field' }, h('label', { for: 'f-category' }, 'Category'), category,
            categoryList),
          h('div', { class: 'field span-2' },
            h('label', { for: 'diversity' }, 'Diversity ', diversityOut),
            diversity,
            h('p', { class: 'help', id: 'diversity-help' }, '0 ranks by score alone; higher values push down solutions that address the same KPIs as those above them.')))),
      h('div', { class: 'row' },
        submit,
        h('div', { class: 'field inline' }, h('label', { for: 'limit' }, 'Results'), limit)));

    host.append(form, results);

    let controller = null;
    let seq = 0;
    let asked = false;

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
      return f;
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
      const filters = activeFilters();
      if (Object.keys(filters).length) body.filters = filters;
      const d = Number(diversity.value);
      if (d > 0) body.diversity = d;
      body.limit = Number(limit.value);
      body.explain = true;
      return body;
    };

    async function run() {
      asked = true;
      ctx.param('q', needs.value.trim() || null);
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      const body = buildRequest();
      results.dataset.state = 'loading';
      results.setAttribute('aria-busy', 'true');
      submit.disabled = true;
      try {
        const answer = await ctx.api.post('/v1/match', body, { signal: controller.signal });
        if (mine !== seq) return;
        fill(results, renderResults(answer, body, ctx, dialog));
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
    const rerun = debounce(() => { if (asked) run(); }, 250);
    diversity.addEventListener('input', () => {
      diversityOut.textContent = num(Number(diversity.value));
      showFilterCount();
    });
    for (const el of form.querySelectorAll('.filters input, .filters select')) {
      el.addEventListener('change', () => { showFilterCount(); rerun(); });
    }

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
      ctx.api.get('/v1/facets'),
      ctx.cities().catch(() => []), // the city panel reports its own failure
    ]).then(([facets, cities]) => {
      fill(categoryList, facets.categories.map((c) => h('option', { value: c.value, label: `${c.value} (${c.count})` })));
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
      ctx.fail(err, 'ask', 'The filter values could not be listed');
    });
  },
};

function renderResults(answer, body, ctx, dialog) {
  const city = ctx.store.get('city');
  const gaps = ctx.store.get('gaps');
  const bandOf = new Map(gaps && city && body.city_id === gaps.city_id ? gaps.kpis.map((k) => [k.code, k.band]) : []);
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
      answer.needs_text ? [`“${answer.needs_text}”`, ' · '] : (body.needs === undefined && !city ? null : ['ranked by gaps only', ' · ']),
      `profile ${answer.profile} · ${num(answer.took_ms, 1)} ms${answer.cached ? ' (cached)' : ''}`),
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

  if (!list.length) {
    return [summary, h('p', { class: 'empty' }, 'Nothing passes these filters. Loosen a filter or ask differently.')];
  }
  const cards = h('ol', { class: 'cards', id: 'cards' }, list.map((r) => card(r, { maxScore, maxContribution, bandOf, dialog, withCity: Boolean(body.city_id) })));
  return [summary, cards];
}

function bandFromGap(gap) {
  const a = 1 - gap;
  return a < 0.33 ? '0-33' : a < 0.66 ? '33-66' : a < 0.95 ? '66-95' : '95-100';
}

function card(r, { maxScore, maxContribution, bandOf, dialog, withCity }) {
  const e = r.explanation;
  const titleId = nextId('card-title');
  const why = e ? explanation(e, maxContribution, bandOf, withCity) : h('p', { class: 'muted' }, 'No explanation was requested.');
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
  return h('li', { class: 'card', dataset: { id: r.solution_id, rank: String(r.rank) } },
    h('div', { class: 'card-top' },
      h('span', { class: 'rank', 'aria-label': `Rank ${r.rank}` }, String(r.rank)),
      h('div', { class: 'card-heading' },
        h('h4', { class: 'card-title', id: titleId, tabindex: '-1' }, r.title),
        r.provider ? h('p', { class: 'provider' }, r.provider) : null),
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
      h('span', { class: 'muted small' }, 'Words matched '),
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

/** A score part with its sign: "0.029", "−0.042". */
function signed(v) {
  return v < 0 ? `−${num(-v, 3)}` : num(v, 3);
}

/** The similar cities that adopted the solution (or dropped it), in the API's words. */
function adoptions(e) {
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
function explanation(e, maxContribution, bandOf, withCity) {
  const rows = e.kpis.map((k) => {
    const band = k.gap === null ? null : bandOf.get(k.code) || bandFromGap(k.gap);
    const standing = k.city_value === null || k.target === null
      ? 'no data for the city'
      : `${withUnit(k.city_value, k.unit)} now, target ${withUnit(k.target, k.unit)}`;
    return h('li', { class: 'contrib', dataset: { code: k.code, contribution: String(k.contribution), gap: k.gap === null ? '' : String(k.gap) } },
      h('div', { class: 'contrib-kpi' },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-meta' }, h('code', {}, k.code), ` · ${SOURCE[k.source] || k.source}`),
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

function kind(el, name) {
  el.dataset.kind = name;
  return el;
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
