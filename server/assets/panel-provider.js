// Provider panel: the marketplace's other side. Pick a stored solution (suggested from the
// catalogue as you type, or browsed page by page from GET /v1/solutions) and see the cities to
// approach (GET /v1/solutions/{id}/cities): each with the solution's score in that city's own
// match and the reasons in words — the city's gaps it addresses (value and target), the words of
// the city's stated needs it matched, and what similar cities that adopted it report — with
// optional region and population filters, and the cities that already use it listed apart.
// The address (#/provider?solution=…&region=…&min=…&max=…&adopters=1) opens the same answer.

import { h, fill, num, pct, withUnit, bandClass, bandFromGap } from './dom.js';
import { meter, scoreBar, grossScore, legendItem } from './charts.js';
import { FIELDS, STATUS, PROVIDER_TYPES, signed, adoptions, kind } from './explain.js';

const BROWSE_PAGE = 10;
const LIMITS = [10, 20, 50];

export const panel = {
  id: 'provider',
  title: 'For providers: the cities to approach',
  mount(host, ctx) {
    const solution = h('input', {
      id: 'provider-solution', type: 'text', list: 'provider-solution-list', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': 'provider-solution-help', placeholder: 'Type a title or an id',
    });
    const suggestions = h('datalist', { id: 'provider-solution-list', dataset: { state: 'loading' } });
    const region = h('select', { id: 'lead-region' }, h('option', { value: '' }, 'Any region'));
    const popMin = h('input', { id: 'lead-pop-min', type: 'number', min: 0, step: 1, inputmode: 'numeric', placeholder: 'any' });
    const popMax = h('input', { id: 'lead-pop-max', type: 'number', min: 0, step: 1, inputmode: 'numeric', placeholder: 'any' });
    const adopters = h('input', { id: 'lead-adopters', type: 'checkbox' });
    const limit = h('select', { id: 'lead-limit' }, LIMITS.map((n) => h('option', { value: n, selected: n === 10 }, String(n))));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'provider-submit' }, 'Find cities');
    const out = h('div', { class: 'leads-out', id: 'leads', 'aria-live': 'polite', dataset: { state: 'empty', seq: '0' } },
      h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, 'Which cities need your solution?'),
        h('p', { class: 'muted' }, 'Choose one of the catalogue’s solutions: the cities whose gaps to target and stated needs it addresses best come first, with the reasons, and what similar cities that adopted it report.')));

    const browse = browser(ctx, (item) => {
      solution.value = item.id;
      run();
      solution.focus();
    });

    const form = h('form', { class: 'provider-form stack', id: 'provider-form', novalidate: true, 'aria-label': 'Find the cities to approach' },
      h('div', { class: 'field' },
        h('label', { for: 'provider-solution' }, 'Solution'),
        solution,
        suggestions,
        h('p', { class: 'help', id: 'provider-solution-help' }, 'A stored solution’s id or exact title; suggestions appear as you type. Or browse the catalogue below.')),
      browse.element,
      h('div', { class: 'lead-filters' },
        h('div', { class: 'field' }, h('label', { for: 'lead-region' }, 'Region'), region),
        h('div', { class: 'field' }, h('label', { for: 'lead-pop-min' }, 'Inhabitants at least'), popMin),
        h('div', { class: 'field' }, h('label', { for: 'lead-pop-max' }, 'Inhabitants at most'), popMax),
        h('div', { class: 'field inline' }, h('label', { for: 'lead-limit' }, 'Cities'), limit)),
      h('label', { class: 'check', for: 'lead-adopters' }, adopters, ' Show the cities that already use it'),
      h('p', { class: 'help' }, 'Cities without a known population are left out when a population bound is set. Cities that pilot, deploy or dropped the solution are never ranked.'),
      h('div', { class: 'row' }, submit));
    host.append(form, out);

    let catalogue = [];
    let seq = 0;
    let controller = null;

    /** The id typed: an id of the catalogue, or the id of an exact title. */
    const chosenId = () => {
      const text = solution.value.trim();
      const byTitle = catalogue.find((c) => c.title.toLowerCase() === text.toLowerCase());
      return byTitle ? byTitle.id : text;
    };

    /** A whole number ≥ 0 from a number field, '' when empty, null when not one. */
    const whole = (input) => {
      if (input.validity.badInput) return null;
      const t = input.value.trim();
      if (t === '') return '';
      const n = Number(t);
      return Number.isInteger(n) && n >= 0 ? n : null;
    };

    async function run() {
      for (const el of [solution, popMin, popMax]) el.removeAttribute('aria-invalid');
      const id = chosenId();
      const min = whole(popMin);
      const max = whole(popMax);
      const problems = [];
      if (!id) problems.push([solution, 'Choose a solution: type its title or id, or browse the catalogue.']);
      if (min === null) problems.push([popMin, '“Inhabitants at least” must be a whole number of 0 or more.']);
      if (max === null) problems.push([popMax, '“Inhabitants at most” must be a whole number of 0 or more.']);
      if (problems.length) {
        for (const [el] of problems) el.setAttribute('aria-invalid', 'true');
        ctx.fail({ title: 'The cities could not be looked up', detail: problems.map(([, m]) => m).join(' '), code: 'form' }, 'provider');
        problems[0][0].focus();
        return;
      }
      const query = new URLSearchParams({ limit: limit.value });
      if (region.value) query.set('region', region.value);
      if (min !== '') query.set('population_min', String(min));
      if (max !== '') query.set('population_max', String(max));
      if (adopters.checked) query.set('include_adopters', 'true');
      ctx.param('solution', id);
      ctx.param('region', region.value || null);
      ctx.param('min', min === '' ? null : String(min));
      ctx.param('max', max === '' ? null : String(max));
      ctx.param('adopters', adopters.checked ? '1' : null);

      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      const path = `/v1/solutions/${ctx.api.seg(id)}/cities?${query}`;
      out.dataset.state = 'loading';
      out.setAttribute('aria-busy', 'true');
      submit.disabled = true;
      try {
        const [leads, detail] = await Promise.all([
          ctx.api.get(path, { signal: controller.signal }),
          ctx.api.get(`/v1/solutions/${ctx.api.seg(id)}`, { signal: controller.signal }),
        ]);
        if (mine !== seq) return;
        fill(out, renderLeads(leads, detail, path, adopters.checked));
        out.dataset.state = 'done';
        out.dataset.seq = String(mine);
        out.dataset.solution = id;
        ctx.ok('provider');
        ctx.say(`${leads.results.length} cities to approach with ${detail.title}.`);
      } catch (e) {
        if (e.name === 'AbortError' || mine !== seq) return;
        out.dataset.state = 'error';
        out.dataset.seq = String(mine);
        fill(out, h('p', { class: 'muted' }, 'No cities: see the message at the top of the page.'));
        if (e.field === 'population_min' || e.field === 'population_max') {
          (e.field === 'population_min' ? popMin : popMax).setAttribute('aria-invalid', 'true');
        } else if (e.status === 404) {
          solution.setAttribute('aria-invalid', 'true');
        }
        ctx.fail(e, 'provider', `Finding the cities for “${id}” failed`);
      } finally {
        if (mine === seq) {
          out.removeAttribute('aria-busy');
          submit.disabled = false;
        }
      }
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run();
    });
    // A suggestion picked from the list asks at once (typing waits for Enter).
    solution.addEventListener('input', (e) => {
      solution.removeAttribute('aria-invalid');
      if (e.inputType === 'insertReplacementText' && catalogue.some((c) => c.id === solution.value)) run();
    });

    // The catalogue for suggestions, the cities' regions (with how many cities) for the filter.
    ctx.solutions().then((list) => {
      catalogue = list;
      fill(suggestions, list.map((c) => h('option', { value: c.id, label: `${c.title} — ${c.provider}` })));
      suggestions.dataset.state = 'loaded';
    }).catch((err) => {
      suggestions.dataset.state = 'error';
      ctx.fail(err, 'catalogue', 'The catalogue could not be listed for suggestions');
    });
    const regionsLoaded = ctx.cities().then((cities) => {
      const counts = new Map();
      for (const c of cities) if (c.region) counts.set(c.region, (counts.get(c.region) || 0) + 1);
      region.append(...[...counts].sort((a, b) => a[0].localeCompare(b[0])).map(([r, n]) => h('option', { value: r }, `${r} (${n} cit${n === 1 ? 'y' : 'ies'})`)));
      region.dataset.state = 'loaded';
    }).catch((err) => {
      region.dataset.state = 'error';
      ctx.fail(err, 'cities', 'Loading the stored cities failed');
    });

    // A shared address asks at once.
    const shared = ctx.param('solution');
    if (shared) {
      solution.value = shared;
      popMin.value = ctx.param('min') || '';
      popMax.value = ctx.param('max') || '';
      adopters.checked = ctx.param('adopters') === '1';
      const r = ctx.param('region');
      regionsLoaded.then(() => {
        if (r) {
          if (![...region.options].some((o) => o.value === r)) region.append(h('option', { value: r }, r));
          region.value = r;
        }
        run();
      });
    }
  },
};

/** "Browse the catalogue": GET /v1/solutions a page at a time, optionally by category. */
function browser(ctx, onChoose) {
  const category = h('select', { id: 'browse-category' }, h('option', { value: '' }, 'Every category'));
  const list = h('ol', { class: 'browse-list', id: 'browse-list', dataset: { state: 'empty', offset: '0' } });
  const status = h('p', { class: 'small muted', id: 'browse-status', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn btn-small', id: 'browse-prev', disabled: true }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'btn btn-small', id: 'browse-next', disabled: true }, 'Next ›');
  const element = h('details', { class: 'filters browse', id: 'provider-browse' },
    h('summary', {}, 'Browse the catalogue'),
    h('div', { class: 'stack' },
      h('div', { class: 'field inline' }, h('label', { for: 'browse-category' }, 'Category'), category),
      list,
      h('div', { class: 'row pager' }, prev, status, next)));
  let offset = 0;
  let loaded = false;

  async function load(to) {
    const q = new URLSearchParams({ limit: String(BROWSE_PAGE), offset: String(to) });
    if (category.value) q.set('category', category.value);
    list.dataset.state = 'loading';
    try {
      const page = await ctx.api.get(`/v1/solutions?${q}`);
      offset = to;
      fill(list, page.items.map((s) => h('li', { class: 'browse-item', dataset: { id: s.id } },
        h('div', { class: 'browse-text' },
          h('span', { class: 'browse-title' }, s.title),
          h('span', { class: 'kpi-meta' }, [s.provider, PROVIDER_TYPES[s.provider_type] || s.provider_type, s.categories.join(', ')].filter(Boolean).join(' · '))),
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Find the cities for ${s.title}`, onclick: () => onChoose(s) }, 'Choose'))));
      status.textContent = page.total
        ? `${num(offset + 1, 0)}–${num(offset + page.items.length, 0)} of ${num(page.total, 0)}`
        : 'No solution in this category.';
      prev.disabled = offset === 0;
      next.disabled = offset + page.items.length >= page.total;
      list.dataset.state = 'done';
      list.dataset.offset = String(offset);
      ctx.ok('browse');
    } catch (e) {
      list.dataset.state = 'error';
      ctx.fail(e, 'browse', 'Browsing the catalogue failed');
    }
  }

  element.addEventListener('toggle', () => {
    if (!element.open || loaded) return;
    loaded = true;
    load(0);
    ctx.facets().then((facets) => {
      category.append(...facets.categories.map((c) => h('option', { value: c.value }, `${c.value} (${c.count})`)));
    }).catch((err) => ctx.fail(err, 'browse', 'The categories could not be listed'));
  });
  prev.addEventListener('click', () => load(Math.max(0, offset - BROWSE_PAGE)));
  next.addEventListener('click', () => load(offset + BROWSE_PAGE));
  category.addEventListener('change', () => load(0));
  return { element };
}

function renderLeads(answer, s, path, withAdopters) {
  const list = answer.results;
  const maxScore = Math.max(...list.map((r) => (r.explanation ? grossScore(r.explanation) : r.score)), 1e-9);
  const anyEvidence = list.some((r) => r.explanation && r.explanation.evidence > 0);
  const anyAgainst = list.some((r) => r.explanation && r.explanation.evidence < 0);
  const head = h('div', { class: 'results-head' },
    h('h3', { class: 'results-title', id: 'leads-title', tabindex: '-1' },
      list.length ? `${list.length} cit${list.length === 1 ? 'y' : 'ies'} to approach with ${s.title}` : `No city to approach with ${s.title}`),
    h('p', { class: 'provider-line' },
      s.provider ? h('span', { class: 'provider' }, s.provider) : null,
      h('span', { class: ['tag', 'ptype', `ptype-${s.provider_type}`], title: 'Who offers it' }, PROVIDER_TYPES[s.provider_type] || s.provider_type)),
    h('p', { class: 'muted small' },
      `${answer.candidates} cit${answer.candidates === 1 ? 'y' : 'ies'} ranked · scores are the solution’s score in each city’s own match (its gaps to target and stated needs) · profile ${answer.profile} · ${num(answer.took_ms, 1)} ms`),
    list.length
      ? h('div', { class: 'legend', 'aria-hidden': 'true' },
        legendItem('part-text', 'words of its needs matched'), legendItem('part-kpi', 'its KPI gaps addressed'),
        anyEvidence ? legendItem('part-evidence', 'adopted by similar cities') : null,
        anyAgainst ? legendItem('part-against', 'discontinued by similar cities') : null)
      : null,
    h('details', { class: 'api-request' },
      h('summary', {}, 'The API request'),
      h('pre', { id: 'leads-request' }, `GET ${path}`)));
  const body = list.length
    ? h('ol', { class: 'cards lead-list', id: 'lead-list' }, list.map((r) => leadCard(r, maxScore)))
    : h('p', { class: 'empty' }, 'No stored city passes these filters (or none is weak where the solution helps). Loosen a filter.');
  return [head, body, withAdopters ? adoptersSection(answer.adopters) : null];
}

function leadCard(r, maxScore) {
  const e = r.explanation;
  const meta = [r.region, r.population ? `${num(r.population, 0)} inhabitants` : 'population unknown'].filter(Boolean).join(' · ');
  const gaps = e ? e.kpis.map((k) => {
    const band = k.gap === null ? null : bandFromGap(k.gap);
    const standing = k.city_value === null || k.target === null
      ? 'the city reports no value'
      : `${withUnit(k.city_value, k.unit)} now, target ${withUnit(k.target, k.unit)}`;
    return h('li', { class: 'lead-gap', dataset: { code: k.code, gap: k.gap === null ? '' : String(k.gap), contribution: String(k.contribution) } },
      h('div', { class: 'lead-gap-kpi' },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-meta' }, h('span', { class: 'standing' }, standing), ` · ${k.unit}`)),
      k.gap === null
        ? h('span', { class: 'muted small no-data' }, 'no data')
        : kind(meter(k.gap, bandClass(band), `gap to target ${pct(k.gap)}`), 'gap'),
      h('span', { class: 'bar-value' }, k.gap === null ? '–' : `gap ${pct(k.gap)}`),
      h('span', { class: 'lead-gap-share small muted' }, `${num(k.contribution, 3)} of the score`));
  }) : [];
  return h('li', { class: 'card lead-card', dataset: { city: r.city_id, rank: String(r.rank), score: String(r.score) } },
    h('div', { class: 'card-top' },
      h('span', { class: 'rank', 'aria-label': `Rank ${r.rank}` }, String(r.rank)),
      h('div', { class: 'card-heading' },
        h('h4', { class: 'card-title lead-name' }, r.city_name),
        h('p', { class: 'muted small' }, meta)),
      h('div', { class: 'score', title: 'The solution’s score in this city’s own match: words + KPIs + evidence' },
        h('span', { class: 'score-value' }, num(r.score, 3)),
        h('span', { class: 'score-label' }, 'score'))),
    e ? h('div', { class: 'score-parts' },
      scoreBar(e, maxScore),
      h('p', { class: 'small muted breakdown' }, `words ${num(e.text, 3)} + KPIs ${num(e.kpi, 3)} + evidence ${signed(e.evidence)}`)) : null,
    e ? h('section', { class: 'lead-reasons', 'aria-label': `Why ${r.city_name}` },
      h('h5', { class: 'evidence-title' }, 'The city’s KPIs it addresses'),
      gaps.length ? h('ul', { class: 'lead-gaps' }, gaps) : h('p', { class: 'muted small' }, 'None of its weighed KPIs: it matched on the words of its needs only.'),
      h('h5', { class: 'evidence-title' }, 'Words of its stated needs matched'),
      e.matched_terms.length
        ? h('ul', { class: 'chips lead-terms' }, e.matched_terms.map((t) => h('li', {
          class: ['chip', 'chip-term', t.from_synonym ? 'synonym' : null],
          title: `${t.from_synonym ? 'a synonym kpimatch added; ' : ''}found in the solution’s ${t.fields.map((f) => FIELDS[f] || f).join(', ')}`,
        }, t.from_synonym ? `≈ ${t.term}` : t.term)))
        : h('p', { class: 'muted small' }, 'None: its stated needs share no word with the solution.'),
      e.adoptions.length ? adoptions(e) : h('p', { class: 'muted small' }, 'No city similar to it records adopting the solution.')) : null);
}

function adoptersSection(list) {
  return h('section', { class: 'block', id: 'adopters', 'aria-labelledby': 'adopters-h' },
    h('h3', { id: 'adopters-h' }, 'Cities that already use it'),
    list.length
      ? h('ul', { class: 'adopters' }, list.map((a) => h('li', { class: 'adopter', dataset: { city: a.city_id, status: a.status } },
        h('span', { class: ['status-pill', `status-${a.status}`] }, STATUS[a.status] || a.status),
        h('span', { class: 'adopter-name' }, a.city_name),
        h('span', { class: 'muted small' }, a.status === 'discontinued' ? ` in ${a.year}` : ` since ${a.year}`))))
      : h('p', { class: 'muted' }, 'No stored city records piloting, deploying or dropping it.'),
    h('p', { class: 'help' }, 'They are not ranked above: a city that already pilots, deploys or dropped the solution is not a lead.'));
}
