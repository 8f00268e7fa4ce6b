// Peers panel: who is like the chosen city (GET /v1/cities/{id}/peers), where each of them is
// clearly ahead, and where the city stands among its most similar cities on every category and
// KPI (GET /v1/cities/{id}/benchmark), weakest standing first.
// It follows the city chosen in the City panel (the store's 'city' and the address's `city`);
// its own picker changes that same selection ('select-city' in the store, which the City panel
// follows). A city that cannot be compared gets the API's reason in words.

import { h, s, fill, num, pct, withUnit, nextId } from './dom.js';
import { meter } from './charts.js';

/** Peers shown, and the size of the peer group the standing is computed in. */
const PEERS = 5;
const GROUP = 10;
const SHOWN_AHEAD = 3;
const SHOWN_KPIS = 10;

const TREND = {
  improving: ['↗', 'improving'],
  worsening: ['↘', 'worsening'],
  stable: ['→', 'stable'],
};

export const panel = {
  id: 'peers',
  title: 'Peer cities',
  mount(host, ctx) {
    const select = h('select', { id: 'peers-city-select', 'aria-describedby': 'peers-city-help' },
      h('option', { value: '' }, 'Loading cities…'));
    const body = h('div', { class: 'peers-body', id: 'peers-body', 'aria-live': 'polite', dataset: { state: 'empty', city: '' } }, emptyState());
    host.append(
      h('div', { class: 'picker' },
        h('div', { class: 'field grow' },
          h('label', { for: 'peers-city-select' }, 'City'),
          select,
          h('p', { class: 'help', id: 'peers-city-help' }, 'The same city as in the City view; choosing one here chooses it there too.'))),
      body);

    let current = null;
    let seq = 0;
    // The id this panel asked the City panel to choose: its answer ('city') is not loaded twice.
    let echo = null;
    let cities = [];

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

    async function cityOf(id) {
      const known = cities.find((c) => c.id === id);
      return known || ctx.api.get(`/v1/cities/${ctx.api.seg(id)}`);
    }

    async function load(id) {
      current = id || null;
      const mine = ++seq;
      body.dataset.city = current || '';
      if (!current) {
        fill(body, emptyState());
        body.dataset.state = 'empty';
        return;
      }
      if (select.value !== current && [...select.options].some((o) => o.value === current)) select.value = current;
      body.dataset.state = 'loading';
      body.setAttribute('aria-busy', 'true');
      body.classList.add('loading');
      const base = `/v1/cities/${ctx.api.seg(current)}`;
      const [peers, standing, city] = await Promise.allSettled([
        ctx.api.get(`${base}/peers?limit=${PEERS}`),
        ctx.api.get(`${base}/benchmark?peers=${GROUP}`),
        cityOf(current),
      ]);
      if (mine !== seq) return;
      body.removeAttribute('aria-busy');
      body.classList.remove('loading');
      const failed = [peers, standing, city].find((r) => r.status === 'rejected');
      if (failed) ctx.fail(failed.reason, 'peers', `Loading the peer cities of “${city.status === 'fulfilled' ? city.value.name : current}” failed`);
      else ctx.ok('peers');
      if (peers.status === 'rejected' && standing.status === 'rejected') {
        fill(body, h('div', { class: 'empty' },
          h('p', { class: 'empty-title' }, 'The peer cities could not be loaded'),
          h('p', { class: 'muted' }, 'See the message at the top of the page. ',
            h('button', { type: 'button', class: 'link', id: 'peers-retry', onclick: () => load(current) }, 'Try again'))));
        body.dataset.state = 'error';
        return;
      }
      const name = city.status === 'fulfilled' ? city.value.name : current;
      const p = peers.status === 'fulfilled' ? peers.value : null;
      const b = standing.status === 'fulfilled' ? standing.value : null;
      const comparable = (p || b).comparable;
      fill(body, comparable ? renderComparable(name, p, b) : notComparable(name, p || b));
      body.dataset.state = comparable ? 'done' : 'not-comparable';
      ctx.say(comparable
        ? `${name}: ${p ? p.peers.length : 0} similar cities shown.`
        : `${name} cannot be compared with other cities: ${(p || b).reason}`);
    }

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
      if (city && !cities.some((c) => c.id === city.id)) {
        // A city the list does not have yet (just saved): refresh the picker first.
        fillPicker().then(() => load(id));
      } else {
        load(id);
      }
    });

    const initial = ctx.param('city');
    current = initial || null;
    fillPicker().then(() => {
      if (initial && current === initial && body.dataset.state === 'empty') load(initial);
    });
  },
};

function emptyState() {
  return h('div', { class: 'empty' },
    h('p', { class: 'empty-title' }, 'Who is like your city, and who does better?'),
    h('p', { class: 'muted' }, 'Choose a city to see the most similar cities, the KPIs where they are clearly ahead, and where it stands among them on every category and KPI.'));
}

function cap(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The sentence shown for a city that cannot be compared: the API's reason, capitalised. */
function reasonSentence(reason) {
  const r = (reason || 'no other city reports enough of the same KPIs').trim();
  return `${cap(r)}${/[.!?]$/.test(r) ? '' : '.'}`;
}

function notComparable(name, answer) {
  return h('div', { class: 'notice', id: 'peers-not-comparable', role: 'note' },
    h('h3', { class: 'notice-title' }, `${name} cannot be compared with other cities yet`),
    h('p', { class: 'reason', id: 'peers-reason' }, reasonSentence(answer.reason)),
    h('p', { class: 'muted small' },
      `kpimatch compares two cities only on the KPIs both report, and needs at least ${answer.min_comparable_kpis} of them; it does not make up a comparison from less. `,
      'Add the values of more U4SSC KPIs to see its peers: in the City view, “New city…” with the same id replaces the stored city.'));
}

function renderComparable(name, peers, standing) {
  const group = standing ? standing.peers : [];
  return [
    peers ? whoIsLikeUs(name, peers) : unavailable('peers-like', 'Who is like us'),
    standing ? standingSection(name, standing, group) : unavailable('peers-standing', 'Where we stand among similar cities'),
  ];
}

function unavailable(id, title) {
  return h('section', { class: 'block', id, 'aria-labelledby': `${id}-h` },
    h('h3', { id: `${id}-h` }, title),
    h('p', { class: 'muted' }, 'This part could not be loaded: see the message at the top of the page.'));
}

/** One peer's similarity component in words. */
function component(label, value, words) {
  return h('div', { class: 'component' },
    h('dt', {}, label),
    h('dd', {}, value === null || value === undefined ? h('span', { class: 'muted' }, 'unknown') : [words ? h('span', { class: 'muted' }, `${words} · `) : null, pct(value)]));
}

function whoIsLikeUs(name, answer) {
  const intro = h('p', { class: 'muted small' },
    `Similarity weighs how close the cities’ achievement is on the KPIs both report (60 %), their population band (20 %) and their region (20 %). `,
    `${answer.cities_compared} other cities compared`,
    answer.not_comparable ? `; ${answer.not_comparable} of them share fewer than ${answer.min_comparable_kpis} KPIs with ${name} and are left out. ` : '. ',
    `A peer is clearly ahead on a KPI when it reaches at least ${pct(answer.ahead_margin)} more of its target; the bars show the share of target reached, `,
    h('span', { class: 'key-us' }, 'ours'), ' and ', h('span', { class: 'key-them' }, 'theirs'), '.');
  const cards = answer.peers.map((p, i) => peerCard(p, i + 1, answer, name));
  return h('section', { class: 'block', id: 'peers-like', 'aria-labelledby': 'peers-like-h' },
    h('h3', { id: 'peers-like-h' }, `Who is like ${name}`),
    intro,
    cards.length
      ? h('ol', { class: 'peer-list', id: 'peer-list' }, cards)
      : h('p', { class: 'muted' }, 'No other city is comparable.'));
}

function peerCard(p, position, answer, name) {
  const titleId = nextId('peer-title');
  const meta = [p.country, p.region, p.population ? `${num(p.population, 0)} inhabitants` : null].filter(Boolean).join(' · ');
  const region = p.components.region === null ? null : p.components.region === 1 ? 'same region' : 'other region';
  // 1 − band distance / 4 over five population bands.
  const apart = p.components.population === null ? null : Math.round((1 - p.components.population) * 4);
  const population = apart === null ? null
    : apart === 0 ? 'same size band' : `${apart === 1 ? 'one size band' : `${apart} size bands`} apart`;
  const ahead = p.ahead.map((k, i) => aheadItem(k, i >= SHOWN_AHEAD));
  const list = h('ul', { class: 'ahead', id: nextId('ahead') }, ahead);
  let more = null;
  if (ahead.length > SHOWN_AHEAD) {
    more = h('button', { type: 'button', class: 'btn btn-small more-ahead', 'aria-expanded': 'false', 'aria-controls': list.id, 'aria-describedby': titleId },
      `Show all ${ahead.length}`);
    more.addEventListener('click', () => {
      const open = more.getAttribute('aria-expanded') !== 'true';
      for (const li of list.querySelectorAll('li.extra')) li.hidden = !open;
      more.setAttribute('aria-expanded', String(open));
      more.textContent = open ? `Show the first ${SHOWN_AHEAD}` : `Show all ${ahead.length}`;
    });
  }
  return h('li', { class: 'peer-card', dataset: { id: p.city_id, similarity: String(p.similarity) }, 'aria-labelledby': titleId },
    h('div', { class: 'peer-top' },
      h('span', { class: 'rank', 'aria-hidden': 'true' }, String(position)),
      h('div', { class: 'peer-heading' },
        h('h4', { class: 'peer-name', id: titleId }, p.name),
        meta ? h('p', { class: 'muted small' }, meta) : null)),
    h('div', { class: 'similarity' },
      h('span', { class: 'similarity-label' }, 'Similar'),
      meter(p.similarity, 'part-similar', `similarity ${pct(p.similarity)}`),
      h('span', { class: 'similarity-value' }, pct(p.similarity))),
    h('p', { class: 'small comparable' }, h('strong', { class: 'comparable-count' }, String(p.comparable_kpis)), ` KPIs compared with ${name}`),
    h('dl', { class: 'components' },
      component('KPI achievements', p.components.kpis, null),
      component('Population', p.components.population, population),
      component('Region', p.components.region, region)),
    h('h5', { class: 'ahead-title' },
      ahead.length
        ? `Clearly ahead on ${ahead.length} KPI${ahead.length === 1 ? '' : 's'}`
        : `Not clearly ahead of ${name} on any KPI`),
    ahead.length ? list : null,
    more);
}

/** A KPI where the peer is clearly ahead: its value against ours, with the unit, and both
 * achievements drawn on one 0–100 % scale. */
function aheadItem(k, extra) {
  const title = `${k.name}: ${withUnit(k.peer_value, k.unit)} there (${pct(k.peer_achievement)} of its target) vs ${withUnit(k.city_value, k.unit)} here (${pct(k.city_achievement)} of target)`;
  const x = (a) => 100 * Math.max(0, Math.min(1, a));
  const us = x(k.city_achievement);
  const them = x(k.peer_achievement);
  const dumbbell = s('svg', { class: 'dumbbell', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
    s('rect', { class: 'meter-track', x: 0, y: 4, width: 100, height: 2 }),
    s('rect', { class: 'gap-line', x: Math.min(us, them).toFixed(2), y: 3.5, width: Math.abs(them - us).toFixed(2), height: 3 }),
    s('rect', { class: 'mark-us', x: Math.max(0, us - 1.5).toFixed(2), y: 0, width: 3, height: 10 }),
    s('rect', { class: 'mark-them', x: Math.min(97, them - 1.5).toFixed(2), y: 0, width: 3, height: 10 }));
  return h('li', { class: ['ahead-item', extra ? 'extra' : null], hidden: extra, dataset: { code: k.code }, title },
    h('span', { class: 'kpi-name' }, k.name),
    h('span', { class: 'ahead-values' },
      h('span', { class: 'them' }, withUnit(k.peer_value, k.unit)),
      h('span', { class: 'vs' }, ' vs ours '),
      h('span', { class: 'us' }, withUnit(k.city_value, k.unit))),
    h('span', { class: 'kpi-unit' }, k.unit),
    h('span', { class: 'ahead-bar' },
      h('span', { class: 'dot us', 'aria-hidden': 'true' }, pct(k.city_achievement)),
      dumbbell,
      h('span', { class: 'dot them', 'aria-hidden': 'true' }, pct(k.peer_achievement))));
}

/** Lowest percentile first (no peer reports it: last), then furthest from target. */
function byStanding(a, b, key) {
  const pa = a.percentile ?? Infinity;
  const pb = b.percentile ?? Infinity;
  return pa - pb || a[key] - b[key] || (a.name || a.category).localeCompare(b.name || b.category);
}

function rankCell(r) {
  return h('td', { class: 'num rank-of', 'data-label': 'Rank' }, `${r.rank} of ${r.out_of}`);
}

function percentileCell(r) {
  if (r.percentile === null || r.percentile === undefined) {
    return h('td', { class: 'pctl', 'data-label': 'Percentile' }, h('span', { class: 'muted', title: 'no peer reports it' }, 'no peer data'));
  }
  const tier = r.percentile < 100 / 3 ? 'low' : r.percentile < 200 / 3 ? 'mid' : 'high';
  return h('td', { class: ['pctl', `pctl-${tier}`], 'data-label': 'Percentile' },
    h('span', { class: 'pctl-value' }, num(r.percentile, 0)),
    meter(r.percentile / 100, `pctl-fill-${tier}`, `better than ${num(r.percentile, 0)} % of the peers`));
}

function trendOf(word, series, unit) {
  const t = word ? TREND[word] : null;
  if (!t) return h('span', { class: 'muted', title: 'one year reported' }, '–');
  const first = series[0];
  const last = series[series.length - 1];
  return h('span', { class: `trend-${word}`, title: `${t[1]} since ${first.year}` },
    h('span', { 'aria-hidden': 'true' }, `${t[0]} `), t[1],
    first && last ? h('span', { class: 'kpi-meta' }, `${withUnit(first.value, unit)} (${first.year}) → ${withUnit(last.value, unit)} (${last.year})`) : null);
}

function standingSection(name, b, group) {
  const categories = [...b.categories].sort((x, y) => byStanding(x, y, 'share'));
  const kpis = [...b.kpis].sort((x, y) => byStanding(x, y, 'achievement'));

  const catRows = categories.map((c) => {
    const trends = [['improving', c.improving], ['worsening', c.worsening], ['stable', c.stable]].filter(([, n]) => n > 0);
    return h('tr', { dataset: { category: c.category, rank: String(c.rank), outOf: String(c.out_of), percentile: c.percentile === null ? '' : String(c.percentile) } },
      h('th', { scope: 'row', 'data-label': 'Category' }, c.category, h('span', { class: 'kpi-meta' }, `${c.kpis_scored} KPI${c.kpis_scored === 1 ? '' : 's'} reported`)),
      rankCell(c),
      percentileCell(c),
      h('td', { class: 'num', 'data-label': 'Ours · peer median' },
        h('span', { class: 'ours' }, pct(c.share)), h('span', { class: 'muted' }, ' · '), h('span', { class: 'median' }, pct(c.peer_median_share))),
      h('td', { class: 'best', 'data-label': 'Best peer' },
        c.peer_best ? [h('span', { class: 'best-name' }, c.peer_best.name), ' ', h('span', { class: 'best-value' }, pct(c.peer_best.share))] : h('span', { class: 'muted' }, '–')),
      h('td', { class: 'trend', 'data-label': 'Our trends' },
        trends.length
          ? trends.map(([w, n]) => h('span', { class: `trend-${w} trend-count` }, h('span', { 'aria-hidden': 'true' }, `${TREND[w][0]} `), `${n} ${w}`))
          : h('span', { class: 'muted', title: 'one year reported for each KPI' }, '–')));
  });

  const kpiRows = kpis.map((k, i) => h('tr', {
    class: i >= SHOWN_KPIS ? 'extra' : null,
    hidden: i >= SHOWN_KPIS,
    dataset: { code: k.code, rank: String(k.rank), outOf: String(k.out_of), percentile: k.percentile === null ? '' : String(k.percentile) },
  },
  h('th', { scope: 'row', class: 'kpi-cell', 'data-label': 'KPI' },
    h('span', { class: 'kpi-name' }, k.name),
    h('span', { class: 'kpi-unit', title: k.unit }, k.unit),
    h('span', { class: 'kpi-meta' }, h('code', {}, k.code), ` · ${k.category}`)),
  rankCell(k),
  percentileCell(k),
  h('td', { class: 'num', 'data-label': 'Ours · peer median' },
    h('span', { class: 'ours' }, withUnit(k.value, k.unit)), h('span', { class: 'muted' }, ' · '),
    h('span', { class: 'median' }, k.peer_median === null ? '–' : withUnit(k.peer_median, k.unit)),
    h('span', { class: 'kpi-meta' }, `${pct(k.achievement)} of target`)),
  h('td', { class: 'best', 'data-label': 'Best peer' },
    k.peer_best
      ? [h('span', { class: 'best-name' }, k.peer_best.name), ' ', h('span', { class: 'best-value' }, withUnit(k.peer_best.value, k.unit))]
      : h('span', { class: 'muted' }, '–')),
  h('td', { class: 'trend', 'data-label': 'Our trend' }, trendOf(k.trend, k.series, k.unit))));

  const head = (first, mine) => h('thead', {}, h('tr', {},
    h('th', { scope: 'col' }, first),
    h('th', { scope: 'col', class: 'num' }, 'Rank'),
    h('th', { scope: 'col' }, 'Percentile'),
    h('th', { scope: 'col', class: 'num' }, 'Ours · peer median'),
    h('th', { scope: 'col' }, 'Best peer'),
    h('th', { scope: 'col' }, mine)));

  const kpiBody = h('tbody', {}, kpiRows);
  let more = null;
  if (kpiRows.length > SHOWN_KPIS) {
    more = h('button', { type: 'button', class: 'btn btn-small more', id: 'standing-more', 'aria-controls': 'standing-kpis', 'aria-expanded': 'false' }, `Show all ${kpiRows.length} KPIs`);
    more.addEventListener('click', () => {
      const open = more.getAttribute('aria-expanded') !== 'true';
      for (const r of kpiBody.querySelectorAll('tr.extra')) r.hidden = !open;
      more.setAttribute('aria-expanded', String(open));
      more.textContent = open ? `Show the weakest ${SHOWN_KPIS}` : `Show all ${kpiRows.length} KPIs`;
    });
  }

  return h('section', { class: 'block', id: 'peers-standing', 'aria-labelledby': 'peers-standing-h' },
    h('h3', { id: 'peers-standing-h' }, `Where ${name} stands among the ${group.length} most similar cities`),
    h('p', { class: 'muted small peer-group' }, 'Peer group: ',
      group.map((g, i) => [i ? ', ' : '', h('span', { class: 'peer-ref', dataset: { id: g.city_id } }, g.name), h('span', { class: 'muted' }, ` (${pct(g.similarity)})`)])),
    h('p', { class: 'help' },
      'Rank among the city and the peers that report it (1 = best). Percentile: the share of those peers it does better than (ties count half). Weakest standing first. Trends are the city’s own, over the years it reported.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table standing', id: 'standing-categories' },
      h('caption', {}, 'Categories (U4SSC share of target points)'),
      head('Category', 'Our trends'),
      h('tbody', {}, catRows))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table standing', id: 'standing-kpis' },
      h('caption', {}, 'KPIs'),
      head('KPI', 'Our trend'),
      kpiBody)),
    more);
}
