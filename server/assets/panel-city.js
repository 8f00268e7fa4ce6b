// City panel: choose a stored city or enter KPI values for a new one, and see where it stands
// on the U4SSC KPIs (GET /v1/cities/{id}/gaps): dimensions, sub-dimensions, categories with
// their bands, its SDG picture (GET /v1/cities/{id}/sdgs, drawn by sdgs.js), the weakest KPIs
// first, and the KPIs without data.
// Publishes the chosen city ('city'), its gap analysis ('gaps') and its SDG standing ('sdgs')
// in the store; a weak KPI's "Find solutions" button publishes 'focus', a goal's 'focus-sdg'.
// Follows 'select-city' (a city chosen in another view, e.g. Peer cities).

import { h, fill, num, pct, withUnit, bandPill, bandClass, slug, toggleButton } from './dom.js';
import { bandBars, meter } from './charts.js';
import { parseKpiValues, observationIndex } from './kpivalues.js';
import { sdgSection, sdgUnavailable } from './sdgs.js';

const SHOWN = 10;

export const panel = {
  id: 'city',
  title: 'City',
  mount(host, ctx) {
    const select = h('select', { id: 'city-select', 'aria-describedby': 'city-select-help' },
      h('option', { value: '' }, 'Loading cities…'));
    const form = newCityForm(ctx);
    const newBtn = toggleButton('New city…', form, { className: 'btn', labels: ['New city…', 'Close the new city form'] });
    newBtn.id = 'new-city-toggle';
    newBtn.addEventListener('toggled', (e) => {
      if (e.detail.open) form.querySelector('input').focus();
    });
    const body = h('div', { class: 'city-body', id: 'city-body', 'aria-live': 'polite' }, emptyState());
    host.append(
      h('div', { class: 'picker' },
        h('div', { class: 'field grow' },
          h('label', { for: 'city-select' }, 'Stored city'),
          select,
          h('p', { class: 'help', id: 'city-select-help' }, 'Its gaps to the U4SSC targets weigh in every match.')),
        newBtn),
      form,
      body);

    let current = null;
    let cities = [];

    async function loadCities(selected) {
      try {
        cities = await ctx.cities();
        fill(select,
          h('option', { value: '' }, cities.length ? 'Choose a city…' : 'No cities stored yet'),
          cities.map((c) => h('option', { value: c.id }, c.country ? `${c.name} — ${c.country}` : c.name)));
        select.value = selected && cities.some((c) => c.id === selected) ? selected : '';
        form.cities = cities;
        ctx.ok('cities');
      } catch (e) {
        fill(select, h('option', { value: '' }, 'Cities could not be loaded'));
        ctx.fail(e, 'cities', 'Loading the stored cities failed');
      }
    }

    async function choose(id) {
      if (!id) {
        current = null;
        ctx.param('city', null);
        fill(body, emptyState());
        ctx.store.set('sdgs', null);
        ctx.store.set('city', null);
        ctx.store.set('gaps', null);
        return;
      }
      current = id;
      ctx.param('city', id);
      body.setAttribute('aria-busy', 'true');
      body.classList.add('loading');
      // The SDG standing loads alongside and fills its section when it arrives.
      const standing = ctx.api.get(`/v1/cities/${ctx.api.seg(id)}/sdgs`);
      standing.catch(() => {});
      try {
        const [gaps, catalogue] = await Promise.all([
          ctx.api.get(`/v1/cities/${ctx.api.seg(id)}/gaps`),
          ctx.catalogue(),
        ]);
        if (current !== id) return;
        let city = cities.find((c) => c.id === id);
        if (!city) city = await ctx.api.get(`/v1/cities/${ctx.api.seg(id)}`);
        if (current !== id) return;
        fill(body, renderGaps(city, gaps, catalogue, ctx));
        ctx.store.set('sdgs', null);
        ctx.store.set('gaps', gaps);
        ctx.store.set('city', city);
        ctx.ok('city');
        ctx.say(`${city.name}: ${gaps.kpis.length} KPIs with data, ${gaps.missing.length} without.`);
        showSdgs(id, city, standing);
      } catch (e) {
        if (current !== id) return;
        fill(body, emptyState());
        ctx.store.set('sdgs', null);
        ctx.store.set('city', null);
        ctx.store.set('gaps', null);
        ctx.fail(e, 'city', `Loading the gap analysis of “${id}” failed`);
      } finally {
        body.removeAttribute('aria-busy');
        body.classList.remove('loading');
      }
    }

    async function showSdgs(id, city, request) {
      try {
        const standing = await request;
        if (current !== id) return;
        const section = body.querySelector('#sdgs');
        if (section) section.replaceWith(sdgSection(city, standing, ctx));
        ctx.store.set('sdgs', standing);
        ctx.ok('sdgs');
      } catch (e) {
        if (current !== id) return;
        const section = body.querySelector('#sdgs');
        if (section) section.replaceWith(sdgUnavailable());
        ctx.fail(e, 'sdgs', `Loading the SDG picture of “${city.name}” failed`);
      }
    }

    select.addEventListener('change', () => choose(select.value));
    ctx.store.on('select-city', (id) => {
      if ((id || null) === current) return;
      select.value = id && cities.some((c) => c.id === id) ? id : '';
      choose(id || '');
    });
    form.onSaved = async (id) => {
      ctx.cities.reset();
      await loadCities(id);
      newBtn.click();
      select.focus();
      await choose(id);
    };

    const initial = ctx.param('city');
    loadCities(initial).then(() => {
      if (initial) choose(initial);
    });
  },
};

function emptyState() {
  return h('div', { class: 'empty' },
    h('p', { class: 'empty-title' }, 'Where does your city stand?'),
    h('p', { class: 'muted' }, 'Choose a stored city, or enter the KPI values of a new one, to see its U4SSC picture: which dimensions and categories are far from target and which KPIs are weakest.'));
}

function renderGaps(city, gaps, catalogue, ctx) {
  const byCode = new Map(catalogue.map((k) => [k.code, k]));
  const met = gaps.kpis.filter((k) => k.band === '95-100').length;
  const meta = [city.country, city.region, city.population ? `${num(city.population, 0)} inhabitants` : null].filter(Boolean).join(' · ');

  const head = h('div', { class: 'city-head' },
    h('div', {},
      h('h3', { class: 'city-name', id: 'city-name' }, city.name),
      meta ? h('p', { class: 'muted' }, meta) : null),
    h('div', { class: ['overall', bandClass(gaps.overall.band)], id: 'overall' },
      h('span', { class: 'overall-value' }, pct(gaps.overall.share)),
      h('span', { class: 'overall-label' }, 'of U4SSC target points', h('br'), `${gaps.overall.points} of ${gaps.overall.max_points}`)));
  const peersLink = h('p', { class: 'small peers-link' },
    h('a', { href: '#/peers', id: 'to-peers' }, `Compare ${city.name} with similar cities ›`));

  const counts = h('ul', { class: 'counts' },
    h('li', {}, h('strong', {}, String(gaps.kpis.length)), ' KPIs with data'),
    h('li', {}, h('strong', {}, String(gaps.missing.length)), ' without data'),
    h('li', {}, h('strong', {}, String(met)), ' at target'));

  const needs = city.needs && city.needs.length
    ? h('details', { class: 'needs' },
      h('summary', {}, `Stated needs (${city.needs.length})`),
      h('ul', {}, city.needs.map((n) => h('li', {}, n))))
    : null;

  return [head, counts, needs, peersLink, dimensions(gaps, catalogue), categories(gaps), sdgSection(city, null, ctx), weakest(gaps, ctx), missing(gaps, byCode)];
}

/** Dimensions with their sub-dimensions (hierarchy from the catalogue, roll-ups from the API). */
function dimensions(gaps, catalogue) {
  const tree = new Map();
  for (const k of catalogue) {
    if (!tree.has(k.dimension)) tree.set(k.dimension, new Set());
    tree.get(k.dimension).add(k.subdimension);
  }
  const line = (name, r, cls) => {
    const band = r && r.band;
    return h('li', { class: [cls, bandClass(band)], dataset: { level: cls === 'dim' ? 'dimensions' : 'subdimensions', name, band: band || '' } },
      h('span', { class: 'dim-name' }, name),
      meter(band ? r.share : 0, bandClass(band), `${name}: ${band ? pct(r.share) : 'no data'}`),
      band ? bandPill(band, pct(r.share)) : bandPill(null),
      h('span', { class: 'dim-note' }, r && r.scored ? `${r.scored} KPI${r.scored === 1 ? '' : 's'}` : ''));
  };
  const items = [...tree].map(([dim, subs]) => h('li', { class: 'dim-group', dataset: { dimension: dim } },
    h('ul', { class: 'dim-rows' },
      line(dim, gaps.dimensions[dim], 'dim'),
      [...subs].map((sub) => line(sub, gaps.subdimensions[sub], 'subdim')))));
  return h('section', { class: 'block', 'aria-labelledby': 'dims-h' },
    h('h3', { id: 'dims-h' }, 'Dimensions and sub-dimensions'),
    h('ul', { class: 'dims' }, items));
}

/** Bars per category, weakest first. */
function categories(gaps) {
  const rows = Object.entries(gaps.categories)
    .map(([name, r]) => ({
      name,
      share: r.band ? r.share : null,
      band: r.band,
      note: r.band ? `${r.points} of ${r.max_points} points, ${r.scored} KPIs` : '',
    }))
    .sort((a, b) => (a.share ?? 2) - (b.share ?? 2) || a.name.localeCompare(b.name));
  const chart = h('div', { class: 'chart-host', id: 'category-chart' });
  const table = h('table', { class: 'sr-only' },
    h('caption', {}, 'Share of target points per category'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Category'), h('th', { scope: 'col' }, 'Share'), h('th', { scope: 'col' }, 'Band'))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.name), h('td', {}, r.share === null ? 'no data' : pct(r.share)), h('td', {}, r.band || '–')))));
  const fig = h('figure', { class: 'block' },
    h('h3', { id: 'cats-h' }, 'Categories, weakest first'),
    chart,
    h('figcaption', { class: 'help' }, 'Share of the U4SSC target points each category reaches; the shaded zones are the four bands.'),
    table);
  requestAnimationFrame(() => bandBars(chart, rows, `Share of target points for ${rows.length} categories, weakest first`));
  return fig;
}

const TREND = {
  improving: ['↗', 'improving'],
  worsening: ['↘', 'worsening'],
  stable: ['→', 'stable'],
};

/** The weakest KPIs first, ten at a time. */
function weakest(gaps, ctx) {
  const rows = gaps.kpis.map((k, i) => {
    const trend = k.trend ? TREND[k.trend.direction] : null;
    return h('tr', { dataset: { code: k.code }, class: i >= SHOWN ? 'extra' : null, hidden: i >= SHOWN },
      h('td', { class: 'num pos', 'data-label': '#' }, String(i + 1)),
      h('th', { scope: 'row', class: 'kpi-cell', 'data-label': 'KPI' },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-unit', title: k.unit }, k.unit),
        h('span', { class: 'kpi-meta' }, h('code', {}, k.code), ` · ${k.category}${k.core ? '' : ' · advanced'}`),
        h('button', {
          type: 'button', class: 'link small find', 'aria-label': `Find solutions for ${k.name}`,
          onclick: () => ctx.store.set('focus', { code: k.code, name: k.name }),
        }, 'Find solutions ›')),
      h('td', { class: 'num', 'data-label': 'Value → target' },
        h('span', { class: 'value' }, withUnit(k.value, k.unit)),
        h('span', { class: 'arrow', 'aria-label': 'target' }, ' → '),
        h('span', { class: 'target' }, withUnit(k.target, k.unit)),
        h('span', { class: 'kpi-meta' }, `${k.year}${k.target_source === 'city' ? ' · city’s own target' : ''}`)),
      h('td', { 'data-label': 'Achieved' }, bandPill(k.band, pct(k.achievement))),
      h('td', { class: 'trend', 'data-label': 'Trend' },
        trend
          ? h('span', { title: `${trend[1]} since ${k.trend.from_year} (was ${num(k.trend.from_value)})`, class: `trend-${k.trend.direction}` },
            h('span', { 'aria-hidden': 'true' }, trend[0]), h('span', { class: 'trend-word' }, ` ${trend[1]}`))
          : h('span', { class: 'muted', title: 'one year reported' }, '–')));
  });
  const tbody = h('tbody', {}, rows);
  const table = h('table', { class: 'table weakest', id: 'weakest' },
    h('caption', { class: 'sr-only' }, 'Observed KPIs, weakest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'num' }, '#'),
      h('th', { scope: 'col' }, 'KPI'),
      h('th', { scope: 'col', class: 'num' }, 'Value → target'),
      h('th', { scope: 'col' }, 'Achieved'),
      h('th', { scope: 'col' }, 'Trend'))),
    tbody);
  let more = null;
  if (rows.length > SHOWN) {
    more = h('button', { type: 'button', class: 'btn btn-small more', 'aria-controls': 'weakest', 'aria-expanded': 'false' }, `Show all ${rows.length}`);
    more.addEventListener('click', () => {
      const open = more.getAttribute('aria-expanded') !== 'true';
      for (const r of tbody.querySelectorAll('tr.extra')) r.hidden = !open;
      more.setAttribute('aria-expanded', String(open));
      more.textContent = open ? `Show the weakest ${SHOWN}` : `Show all ${rows.length}`;
    });
  }
  return h('section', { class: 'block', 'aria-labelledby': 'weakest-h' },
    h('h3', { id: 'weakest-h' }, 'Weakest KPIs first'),
    rows.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted' }, 'No KPI values are stored for this city.'),
    more);
}

/** The KPIs without data, by category. */
function missing(gaps, byCode) {
  if (!gaps.missing.length) return h('p', { class: 'muted block' }, 'Every U4SSC KPI has data.');
  const groups = new Map();
  for (const code of gaps.missing) {
    const k = byCode.get(code);
    const cat = k ? k.category : 'Other';
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat).push({ code, name: k ? k.name : code });
  }
  const sorted = [...groups].sort((a, b) => a[0].localeCompare(b[0]));
  return h('details', { class: 'block missing', id: 'missing' },
    h('summary', {}, h('span', { class: 'h3-like' }, `${gaps.missing.length} KPIs without data`), h('span', { class: 'muted small' }, ' — missing data is not counted as met or failed')),
    h('dl', { class: 'missing-list' }, sorted.map(([cat, ks]) => [
      h('dt', {}, cat),
      h('dd', {}, h('ul', {}, ks.map((k) => h('li', { dataset: { code: k.code } }, k.name, ' ', h('code', {}, k.code))))),
    ])));
}

const EXAMPLE = `# code, value, year (optional target)
EC:I:WS:3C, 38, 2023
EC:ICT:WS:1C, 12, 2023
EN:EN:AQ:1C, 31, 2023
EC:I:T:1C, 14, 2022`;

/** The form for a new city: its details and pasted KPI values; saved with PUT /v1/cities/{id}. */
function newCityForm(ctx) {
  const name = h('input', { id: 'new-name', type: 'text', required: true, autocomplete: 'off', maxlength: 200 });
  const id = h('input', { id: 'new-id', type: 'text', required: true, autocomplete: 'off', pattern: '[a-z0-9][a-z0-9._-]*', 'aria-describedby': 'new-id-help', spellcheck: 'false' });
  const country = h('input', { id: 'new-country', type: 'text', autocomplete: 'country-name' });
  const region = h('input', { id: 'new-region', type: 'text', list: 'region-list', autocomplete: 'off' });
  const regions = h('datalist', { id: 'region-list' });
  const population = h('input', { id: 'new-population', type: 'number', min: 0, step: 1, inputmode: 'numeric' });
  const needs = h('textarea', { id: 'new-needs', rows: 2, 'aria-describedby': 'new-needs-help' });
  const values = h('textarea', { id: 'new-values', rows: 7, required: true, class: 'mono', spellcheck: 'false', 'aria-describedby': 'new-values-help new-values-errors', placeholder: EXAMPLE });
  const errors = h('ul', { class: 'field-errors', id: 'new-values-errors' });
  const warning = h('p', { class: 'warning', hidden: true, id: 'new-id-warning' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save and analyse');
  let idEdited = false;

  const form = h('form', { class: 'new-city stack', id: 'new-city', novalidate: true, 'aria-labelledby': 'new-city-h' },
    h('h3', { id: 'new-city-h' }, 'A new city from its KPI values'),
    h('div', { class: 'grid-2' },
      h('div', { class: 'field' }, h('label', { for: 'new-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'new-id' }, 'Id'), id, h('p', { class: 'help', id: 'new-id-help' }, 'Lower-case letters, digits and dashes.')),
      h('div', { class: 'field' }, h('label', { for: 'new-country' }, 'Country ', h('span', { class: 'optional' }, '(optional)')), country),
      h('div', { class: 'field' }, h('label', { for: 'new-region' }, 'World region ', h('span', { class: 'optional' }, '(optional)')), region, regions),
      h('div', { class: 'field' }, h('label', { for: 'new-population' }, 'Inhabitants ', h('span', { class: 'optional' }, '(optional)')), population)),
    warning,
    h('div', { class: 'field' },
      h('label', { for: 'new-needs' }, 'Stated needs ', h('span', { class: 'optional' }, '(optional, one per line)')),
      needs,
      h('p', { class: 'help', id: 'new-needs-help' }, 'Used when a question is left empty.')),
    h('div', { class: 'field' },
      h('label', { for: 'new-values' }, 'KPI values'),
      values,
      h('p', { class: 'help', id: 'new-values-help' },
        'One KPI per line: code, value, year and an optional city target — separated by commas, tabs (paste from a spreadsheet), semicolons or spaces. JSON observations work too. ',
        h('button', { type: 'button', class: 'link', onclick: () => { values.value = EXAMPLE; values.focus(); } }, 'Insert an example')),
      errors),
    h('div', { class: 'row' }, submit));

  const checkExisting = () => {
    const taken = (form.cities || []).find((c) => c.id === id.value.trim());
    warning.hidden = !taken;
    warning.textContent = taken ? `A city with the id “${taken.id}” (${taken.name}) is stored; saving replaces it.` : '';
    submit.textContent = taken ? 'Replace and analyse' : 'Save and analyse';
  };
  name.addEventListener('input', () => {
    if (!idEdited) id.value = slug(name.value);
    checkExisting();
  });
  id.addEventListener('input', () => { idEdited = id.value !== ''; checkExisting(); });
  form.addEventListener('focusin', () => {
    if (regions.childElementCount === 0 && form.cities) {
      const names = [...new Set(form.cities.map((c) => c.region).filter(Boolean))].sort();
      fill(regions, names.map((r) => h('option', { value: r })));
    }
  }, { once: false });

  const showErrors = (list) => {
    fill(errors, list.map((e) => h('li', {}, e.line ? `Line ${e.line}: ${e.message}` : cap(e.message))));
    values.setAttribute('aria-invalid', list.length ? 'true' : 'false');
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ctx.ok('new-city');
    const cityId = id.value.trim();
    const problems = [];
    if (!name.value.trim()) problems.push('the city needs a name');
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(cityId)) problems.push('the id must be lower-case letters, digits, dots, dashes or underscores');
    const parsed = parseKpiValues(values.value);
    showErrors(parsed.errors);
    if (problems.length || parsed.errors.length) {
      const detail = [
        ...problems.map(cap),
        ...parsed.errors.slice(0, 5).map((x) => (x.line ? `Line ${x.line}: ${x.message}` : cap(x.message))),
      ];
      if (parsed.errors.length > 5) detail.push(`…and ${parsed.errors.length - 5} more lines.`);
      ctx.fail({ title: parsed.errors.length ? 'The KPI values could not be read' : 'The new city is incomplete', detail: detail.join(' '), code: 'form' }, 'new-city');
      (problems.length ? (name.value.trim() ? id : name) : values).focus();
      return;
    }
    const body = {
      name: name.value.trim(),
      country: country.value.trim(),
      region: region.value.trim(),
      needs: needs.value.split('\n').map((n) => n.trim()).filter(Boolean),
      observations: parsed.observations,
    };
    if (population.value !== '') body.population = Number(population.value);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await ctx.api.put(`/v1/cities/${ctx.api.seg(cityId)}`, body);
      showErrors([]);
      ctx.say(`${body.name} saved with ${body.observations.length} KPI values.`);
      await form.onSaved(cityId);
    } catch (err) {
      const i = observationIndex(err.field);
      if (i !== null && parsed.lines[i]) {
        err.detail = `${err.detail} (line ${parsed.lines[i]} of the KPI values)`;
        showErrors([{ line: parsed.lines[i], message: err.detail }]);
        values.focus();
      }
      ctx.fail(err, 'new-city', 'The city was not saved');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

function cap(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
