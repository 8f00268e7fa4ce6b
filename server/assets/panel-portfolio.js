// Portfolio panel: for the chosen city, a set of solutions that together cover the most of its
// weighted gaps (POST /v1/portfolio), within a size and a budget (the most expensive cost band,
// how many high-cost solutions) and optionally one per category. Shows the solutions in pick
// order with what each adds, the total coverage, each weighed KPI's coverage drawn as a bar split
// by the solutions that cover it, and the weak KPIs left uncovered.
// It follows the city chosen in the City panel (the store's 'city' and the address's `city`);
// its own picker changes that same selection ('select-city'), as the Peer cities panel does.
// The settings are kept in the address (size, cost, high, per_category) so it can be shared.

import { h, s, fill, num, pct, withUnit, bandPill, bandFromGap, nextId } from './dom.js';
import { meter } from './charts.js';
import { kind } from './explain.js';

const COSTS = ['low', 'medium', 'high'];
/** Weighed KPIs shown before "Show all". */
const SHOWN_KPIS = 12;
/** Pick colours (pick-1 … pick-10 in the stylesheet); the names are always written too. */
const PICK_COLOURS = 10;

export const panel = {
  id: 'portfolio',
  title: 'Portfolio: solutions that cover the most together',
  mount(host, ctx) {
    const select = h('select', { id: 'portfolio-city-select', 'aria-describedby': 'portfolio-city-help' },
      h('option', { value: '' }, 'Loading cities…'));
    const size = h('input', { id: 'portfolio-size', type: 'number', min: 1, max: 10, step: 1, value: ctx.param('size') || '5', inputmode: 'numeric', 'aria-describedby': 'portfolio-size-help' });
    const cost = h('select', { id: 'portfolio-cost' },
      h('option', { value: '' }, 'Any cost'),
      COSTS.map((c) => h('option', { value: c }, c === 'high' ? 'up to high' : `up to ${c}`)));
    const high = h('input', { id: 'portfolio-high', type: 'number', min: 0, max: 10, step: 1, inputmode: 'numeric', placeholder: 'no limit', 'aria-describedby': 'portfolio-high-help' });
    const perCategory = h('input', { id: 'portfolio-one-per-category', type: 'checkbox' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'portfolio-submit' }, 'Build the portfolio');
    const out = h('div', { class: 'portfolio-out', id: 'portfolio-out', 'aria-live': 'polite', dataset: { state: 'empty', seq: '0', city: '' } }, emptyState());
    cost.value = COSTS.includes(ctx.param('cost')) ? ctx.param('cost') : '';
    high.value = ctx.param('high') || '';
    perCategory.checked = ctx.param('per_category') === '1';

    const form = h('form', { class: 'portfolio-form', id: 'portfolio-form', novalidate: true, 'aria-label': 'Portfolio settings' },
      h('div', { class: 'field grow' },
        h('label', { for: 'portfolio-city-select' }, 'City'),
        select,
        h('p', { class: 'help', id: 'portfolio-city-help' }, 'The same city as in the other views; choosing one here chooses it there too.')),
      h('div', { class: 'field' },
        h('label', { for: 'portfolio-size' }, 'Solutions'),
        size,
        h('p', { class: 'help', id: 'portfolio-size-help' }, '1 to 10.')),
      h('div', { class: 'field' }, h('label', { for: 'portfolio-cost' }, 'Most expensive cost band'), cost),
      h('div', { class: 'field' },
        h('label', { for: 'portfolio-high' }, 'High-cost solutions at most'),
        high,
        h('p', { class: 'help', id: 'portfolio-high-help' }, 'Empty: no limit.')),
      h('label', { class: 'check', for: 'portfolio-one-per-category' }, perCategory, ' One solution per category'),
      h('div', { class: 'row' }, submit));
    host.append(form, out);

    let current = null;
    let seq = 0;
    let echo = null;
    let cities = [];
    let controller = null;

    async function fillPicker() {
      try {
        cities = await ctx.cities();
        fill(select,
          h('option', { value: '' }, cities.length ? 'Choose a city…' : 'No cities stored yet'),
          cities.map((c) => h('option', { value: c.id }, c.country ? `${c.name} — ${c.country}` : c.name)));
        select.value = current && cities.some((c) => c.id === current) ? current : '';
      } catch (e) {
        fill(select, h('option', { value: '' }, 'Cities could not be loaded'));
        ctx.fail(e, 'cities', 'Loading the stored cities failed');
      }
    }

    /** A whole number from a number field: '' when empty, null when not a whole number. */
    const whole = (input) => {
      if (input.validity.badInput) return null;
      const t = input.value.trim();
      if (t === '') return '';
      const n = Number(t);
      return Number.isInteger(n) ? n : null;
    };

    /** The request the form describes, or the problems with it in words. */
    const buildRequest = () => {
      const problems = [];
      const n = whole(size);
      const highCount = whole(high);
      if (!current) problems.push([select, 'Choose a city: a portfolio is built for its gaps.']);
      if (n === null || n === '') problems.push([size, '“Solutions” must be a whole number from 1 to 10.']);
      if (highCount === null) problems.push([high, '“High-cost solutions at most” must be a whole number, or empty for no limit.']);
      if (problems.length) return { problems };
      // Numbers out of range are sent as typed: the API's answer says what it accepts.
      const body = { city_id: current, size: n };
      const budget = {};
      if (cost.value) budget.max_cost_band = cost.value;
      if (highCount !== '') budget.max_high_cost = highCount;
      if (Object.keys(budget).length) body.budget = budget;
      if (perCategory.checked) body.one_per_category = true;
      return { body };
    };

    let pending = null;

    async function run() {
      clearTimeout(pending);
      for (const el of [select, size, high]) el.removeAttribute('aria-invalid');
      const { body, problems } = buildRequest();
      if (problems) {
        for (const [el] of problems) el.setAttribute('aria-invalid', 'true');
        ctx.fail({ title: 'The portfolio could not be built', detail: problems.map(([, m]) => m).join(' '), code: 'form' }, 'portfolio');
        problems[0][0].focus();
        return;
      }
      ctx.param('size', String(body.size));
      ctx.param('cost', cost.value || null);
      ctx.param('high', high.value.trim() || null);
      ctx.param('per_category', perCategory.checked ? '1' : null);
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      out.dataset.state = 'loading';
      out.setAttribute('aria-busy', 'true');
      submit.disabled = true;
      const name = (cities.find((c) => c.id === body.city_id) || { name: body.city_id }).name;
      try {
        const answer = await ctx.api.post('/v1/portfolio', body, { signal: controller.signal });
        if (mine !== seq) return;
        fill(out, renderPortfolio(answer, body, name));
        out.dataset.state = 'done';
        out.dataset.seq = String(mine);
        out.dataset.city = body.city_id;
        ctx.ok('portfolio');
        ctx.say(`${answer.items.length} solutions cover ${pct(answer.coverage)} of ${name}’s weighted gaps.`);
      } catch (e) {
        if (e.name === 'AbortError' || mine !== seq) return;
        out.dataset.state = 'error';
        out.dataset.seq = String(mine);
        out.dataset.city = body.city_id;
        fill(out, h('p', { class: 'muted' }, 'No portfolio: see the message at the top of the page.'));
        const field = { size, 'budget.max_high_cost': high, city_id: select }[e.field];
        if (field) field.setAttribute('aria-invalid', 'true');
        ctx.fail(e, 'portfolio', `Building the portfolio for ${name} failed`);
      } finally {
        if (mine === seq) {
          out.removeAttribute('aria-busy');
          submit.disabled = false;
        }
      }
    }

    const load = (id) => {
      current = id || null;
      if (select.value !== (current || '') && [...select.options].some((o) => o.value === (current || ''))) select.value = current || '';
      if (!current) {
        seq += 1;
        fill(out, emptyState());
        out.dataset.state = 'empty';
        out.dataset.city = '';
        return;
      }
      run();
    };

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run();
    });
    // Once built, a changed choice builds again (unless a build is asked for first).
    const rebuild = () => {
      clearTimeout(pending);
      pending = setTimeout(() => { if (current && out.dataset.state !== 'empty') run(); }, 300);
    };
    for (const el of [cost, perCategory]) el.addEventListener('change', rebuild);
    select.addEventListener('change', () => {
      const id = select.value;
      ctx.param('city', id || null);
      echo = id || null;
      load(id);
      ctx.store.set('select-city', id || null);
    });
    ctx.store.on('city', (city) => {
      const id = city ? city.id : null;
      if (echo !== null && id === echo) {
        echo = null;
        return;
      }
      echo = null;
      if (city && !cities.some((c) => c.id === city.id)) fillPicker().then(() => load(id));
      else load(id);
    });

    const initial = ctx.param('city');
    current = initial || null;
    fillPicker().then(() => {
      if (initial && current === initial && out.dataset.state === 'empty') load(initial);
    });
  },
};

function emptyState() {
  return h('div', { class: 'empty' },
    h('p', { class: 'empty-title' }, 'Which few solutions cover the most together?'),
    h('p', { class: 'muted' }, 'Choose a city: kpimatch picks solutions one by one, each time the one that adds the most to what is already covered of the city’s weighted gaps, within your size and budget.'));
}

/** A share as a percentage, with a decimal below 1 % (so a small gain does not read "0 %"). */
function share(x) {
  return x > 0 && x < 0.01 ? `${num(x * 100, 1)} %` : pct(x);
}

const GUARANTEE = {
  '1 - 1/e': 'within 1 − 1/e (about 63 %) of the best possible set of this size',
  '1/2': 'within half of the best possible set under these limits',
};

function renderPortfolio(p, body, name) {
  const pickOf = new Map(p.items.map((i) => [i.solution_id, i]));
  const colour = (rank) => `pick-${((rank - 1) % PICK_COLOURS) + 1}`;
  // The weighted gaps in all: the items' gains over their shares.
  const withShare = p.items.find((i) => i.gain_share > 0);
  const total = withShare ? withShare.gain / withShare.gain_share : 0;
  const maxShare = Math.max(...p.items.map((i) => i.gain_share), 1e-9);

  const stack = s('svg', { class: 'coverbar', id: 'portfolio-coverage', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', dataset: { value: String(p.coverage) } },
    s('rect', { class: 'meter-track', x: 0, y: 0, width: 100, height: 10 }));
  let x = 0;
  for (const i of p.items) {
    const w = 100 * Math.max(0, i.gain_share);
    stack.append(s('rect', { class: ['segment', colour(i.rank)], x: x.toFixed(3), y: 0, width: w.toFixed(3), height: 10, dataset: { id: i.solution_id } },
      s('title', {}, `${i.title}: ${share(i.gain_share)}`)));
    x += w;
  }

  const head = h('div', { class: 'results-head' },
    h('h3', { class: 'results-title', id: 'portfolio-title', tabindex: '-1' },
      p.items.length ? `${p.items.length} solution${p.items.length === 1 ? '' : 's'} for ${name}` : `No solution fits these limits for ${name}`),
    h('div', { class: 'coverage' },
      h('span', { class: 'coverage-value', id: 'portfolio-coverage-value' }, pct(p.coverage)),
      h('span', { class: 'coverage-label' }, `of ${name}’s weighted gaps covered together`),
      stack),
    h('p', { class: 'muted small' },
      `${p.candidates} candidate solution${p.candidates === 1 ? '' : 's'} passed the limits; chosen one by one, each adding the most to what is already covered (${GUARANTEE[p.guarantee] || `guarantee ${p.guarantee}`}) · profile ${p.profile} · ${num(p.took_ms, 1)} ms`),
    h('details', { class: 'api-request' },
      h('summary', {}, 'The API request'),
      h('pre', { id: 'portfolio-request' }, `POST /v1/portfolio\n${JSON.stringify(body, null, 2)}`)));

  const items = p.items.map((i) => {
    const titleId = nextId('pick-title');
    return h('li', { class: 'pick', dataset: { id: i.solution_id, rank: String(i.rank), gainShare: String(i.gain_share) }, 'aria-labelledby': titleId },
      h('div', { class: 'card-top' },
        h('span', { class: ['rank', 'pick-rank', colour(i.rank)], 'aria-label': `Pick ${i.rank}` }, String(i.rank)),
        h('div', { class: 'card-heading' },
          h('h4', { class: 'card-title', id: titleId }, i.title),
          h('p', { class: 'provider' }, i.provider),
          h('p', { class: 'kpi-meta' }, [i.cost_band ? `${i.cost_band} cost` : 'cost not stated', i.categories.join(', ')].filter(Boolean).join(' · '))),
        h('div', { class: 'score', title: 'Its share of the weighted gaps, added when it was picked' },
          h('span', { class: 'score-value' }, `+${share(i.gain_share)}`),
          h('span', { class: 'score-label' }, 'adds'))),
      h('div', { class: 'gain-bar' },
        kind(meter(i.gain_share / maxShare, colour(i.rank), `adds ${share(i.gain_share)} of the weighted gaps`), 'gain')),
      i.kpis.length
        ? h('ul', { class: 'pick-kpis' }, i.kpis.map((k) => h('li', { dataset: { code: k.code, coverage: String(k.coverage), gain: String(k.gain) } },
          h('span', { class: 'kpi-name' }, k.name),
          h('span', { class: 'kpi-meta' },
            `covers ${pct(k.coverage)} of it`,
            total > 0 ? ` · +${share(k.gain / total)} of the gaps` : ''))))
        : h('p', { class: 'muted small' }, 'It adds nothing the solutions before it did not cover.'));
  });

  const kpiRow = (k, i, extraFrom) => {
    const segments = k.covered_by.map((id) => {
      const item = pickOf.get(id);
      const gain = item ? (item.kpis.find((x) => x.code === k.code) || { gain: 0 }).gain : 0;
      return { id, item, share: k.weight > 0 ? gain / k.weight : 0 };
    });
    const bar = s('svg', { class: 'coverbar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', dataset: { kind: 'covered', value: String(k.covered) } },
      s('rect', { class: 'meter-track', x: 0, y: 0, width: 100, height: 10 }));
    let at = 0;
    for (const seg of segments) {
      const w = 100 * Math.max(0, seg.share);
      bar.append(s('rect', { class: ['segment', seg.item ? colour(seg.item.rank) : 'pick-none'], x: at.toFixed(3), y: 0, width: w.toFixed(3), height: 10, dataset: { id: seg.id } }));
      at += w;
    }
    const standing = k.city_value === null || k.target === null
      ? 'no value reported'
      : `${withUnit(k.city_value, k.unit)} now, target ${withUnit(k.target, k.unit)}`;
    return h('li', { class: ['kpi-cover', i >= extraFrom ? 'extra' : null], hidden: i >= extraFrom, dataset: { code: k.code, covered: String(k.covered), weight: String(k.weight) } },
      h('div', { class: 'kpi-cover-name' },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-meta' }, h('code', {}, k.code), ` · ${standing}`),
        h('span', { class: 'kpi-meta' }, `weight ${num(k.weight, 2)}`)),
      h('div', { class: 'kpi-cover-gap' }, k.gap === null ? bandPill(null) : bandPill(bandFromGap(k.gap), `gap ${pct(k.gap)}`)),
      h('div', { class: 'kpi-cover-bar' },
        bar,
        h('span', { class: 'bar-value' }, pct(k.covered))),
      h('p', { class: 'kpi-cover-by small' },
        segments.length
          ? ['covered by ', segments.map((seg, j) => [j ? ', ' : '', h('span', { class: 'by', dataset: { id: seg.id } },
            seg.item ? `${seg.item.rank} ${seg.item.title}` : seg.id)])]
          : h('span', { class: 'muted' }, 'not covered')));
  };

  const kpiList = h('ol', { class: 'kpi-covers', id: 'portfolio-kpis' }, p.kpis.map((k, i) => kpiRow(k, i, SHOWN_KPIS)));
  let more = null;
  if (p.kpis.length > SHOWN_KPIS) {
    more = h('button', { type: 'button', class: 'btn btn-small more', id: 'portfolio-kpis-more', 'aria-controls': 'portfolio-kpis', 'aria-expanded': 'false' }, `Show all ${p.kpis.length} KPIs`);
    more.addEventListener('click', () => {
      const open = more.getAttribute('aria-expanded') !== 'true';
      for (const li of kpiList.querySelectorAll('li.extra')) li.hidden = !open;
      more.setAttribute('aria-expanded', String(open));
      more.textContent = open ? `Show the first ${SHOWN_KPIS}` : `Show all ${p.kpis.length} KPIs`;
    });
  }

  const uncovered = h('section', { class: 'block', id: 'portfolio-uncovered', 'aria-labelledby': 'portfolio-uncovered-h' },
    h('h3', { id: 'portfolio-uncovered-h' }, `Weak KPIs left uncovered (${p.uncovered.length})`),
    p.uncovered.length
      ? h('ul', { class: 'uncovered-list' }, p.uncovered.map((k) => h('li', { dataset: { code: k.code, covered: String(k.covered) } },
        h('span', { class: 'kpi-name' }, k.name),
        h('span', { class: 'kpi-meta' },
          k.city_value === null || k.target === null ? 'no value reported' : `${withUnit(k.city_value, k.unit)} now, target ${withUnit(k.target, k.unit)}`,
          k.covered > 0 ? ` · ${pct(k.covered)} covered` : ' · not covered'),
        k.gap === null ? bandPill(null) : bandPill(bandFromGap(k.gap), `gap ${pct(k.gap)}`))))
      : h('p', { class: 'muted' }, 'Every KPI below 66 % of its target has at least a tenth of its gap covered.'),
    h('p', { class: 'help' }, 'KPIs below 66 % of target of which the portfolio covers less than a tenth: candidates for another solution, a larger portfolio or looser limits.'));

  return [
    head,
    p.items.length ? h('ol', { class: 'cards picks', id: 'portfolio-items' }, items) : h('p', { class: 'empty' }, 'No solution passes these limits and addresses a weighed KPI. Loosen the budget.'),
    h('section', { class: 'block', id: 'portfolio-coverage-kpis', 'aria-labelledby': 'portfolio-kpis-h' },
      h('h3', { id: 'portfolio-kpis-h' }, 'Coverage per weighed KPI, largest weight first'),
      h('p', { class: 'help' }, 'The share of each KPI’s gap the portfolio covers, split by the solutions that cover it (numbered in pick order). Coverage has diminishing returns: a second solution on the same KPI adds less.'),
      kpiList,
      more),
    uncovered,
  ];
}
