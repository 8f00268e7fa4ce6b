// The planner's page: a shell of views, each made of panels (one module per panel).
//
// A panel module exports `panel = { id, title, mount(host, ctx) }`. To add one, write
// `panel-<name>.js`, embed it in `server/src/routes/page.rs`, and list it in VIEWS below.
// Panels share a small store (the chosen city 'city', its gap analysis 'gaps', its SDG standing
// 'sdgs', a request to choose a city 'select-city') and report errors and progress through
// `ctx.fail` and `ctx.say`.
// The chosen city is also the address's `city` parameter, so every view follows one selection.

import { h, fill } from './dom.js';
import * as api from './api.js';
import { mountSettings } from './settings.js';
import { panel as cityPanel } from './panel-city.js';
import { panel as askPanel } from './panel-ask.js';
import { panel as benchmarkPanel } from './panel-benchmark.js';
import { panel as peersPanel } from './panel-peers.js';
import { panel as portfolioPanel } from './panel-portfolio.js';
import { panel as providerPanel } from './panel-provider.js';

const VIEWS = [
  { route: 'planner', title: 'City and solutions', panels: [cityPanel, askPanel], layout: 'two-columns' },
  { route: 'portfolio', title: 'Portfolio', panels: [portfolioPanel], layout: 'one-column' },
  { route: 'peers', title: 'Peer cities', panels: [peersPanel], layout: 'one-column' },
  { route: 'provider', title: 'For providers', panels: [providerPanel], layout: 'one-column' },
  { route: 'benchmark', title: 'Benchmark', panels: [benchmarkPanel], layout: 'one-column' },
];

/** A tiny observable store: `get`, `set`, `on(key, fn)`. */
function createStore() {
  const values = new Map();
  const listeners = new Map();
  return {
    get: (key) => values.get(key),
    set(key, value) {
      values.set(key, value);
      for (const fn of listeners.get(key) || []) fn(value);
    },
    on(key, fn) {
      if (!listeners.has(key)) listeners.set(key, new Set());
      listeners.get(key).add(fn);
      return () => listeners.get(key).delete(fn);
    },
  };
}

/** The alert region: one alert per source, replaced by the next error of that source. */
function createAlerts(region) {
  const bySource = new Map();
  return {
    show(error, source, context) {
      this.clear(source);
      const lines = [];
      if (error.detail && error.detail !== error.title) lines.push(h('p', { class: 'alert-detail' }, error.detail));
      if (error.field) lines.push(h('p', { class: 'alert-field' }, 'Field: ', h('code', {}, error.field)));
      if (error.status === 401 || error.status === 403) {
        lines.push(h('p', {}, 'The service wants an API key: set it under Settings.'));
      }
      const box = h('div', { class: 'alert', dataset: { source, code: error.code || '', status: String(error.status ?? '') } },
        h('div', { class: 'alert-body' },
          h('p', { class: 'alert-title' }, context ? `${context}: ` : '', error.title || 'Something went wrong'),
          lines),
        h('button', { type: 'button', class: 'btn btn-small btn-ghost alert-close', 'aria-label': 'Dismiss this message', onclick: () => this.clear(source) }, '×'));
      bySource.set(source, box);
      region.append(box);
    },
    clear(source) {
      const box = bySource.get(source);
      if (box) box.remove();
      bySource.delete(source);
    },
  };
}

function start() {
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  const status = document.getElementById('status');
  const alerts = createAlerts(document.getElementById('alerts'));
  const store = createStore();

  const banner = h('p', { class: 'banner', hidden: true, role: 'status' });
  document.querySelector('.topbar').after(banner);
  api.onWaiting((message) => {
    banner.hidden = !message;
    banner.textContent = message || '';
  });

  // The address is #/<view>?<params>; the params live here and survive switching views.
  const parseHash = () => {
    const [route, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
    return { route, query };
  };
  const params = new URLSearchParams(parseHash().query);
  const currentRoute = () => {
    const { route } = parseHash();
    return VIEWS.some((v) => v.route === route) ? route : VIEWS[0].route;
  };
  const writeHash = (route) => {
    const q = params.toString();
    history.replaceState(null, '', `#/${route}${q ? `?${q}` : ''}`);
  };

  const ctx = {
    api,
    store,
    /** Shows an error in words in the alert region (never swallowed). */
    fail(error, source = 'page', context = '') {
      if (error && error.name === 'AbortError') return;
      const e = error instanceof api.ApiError || (error && error.title)
        ? error
        : { title: 'Something went wrong in the page', detail: String(error && error.message ? error.message : error) };
      alerts.show(e, source, context);
      if (!(error instanceof api.ApiError)) console.error(error);
    },
    /** Clears a source's error after it succeeded. */
    ok(source) {
      alerts.clear(source);
    },
    /** Announces progress politely to assistive technology. */
    say(message) {
      status.textContent = '';
      requestAnimationFrame(() => { status.textContent = message; });
    },
    /** Reads or writes one parameter of the page's address (kept across views and reloads,
     * so the address can be shared). */
    param(name, value) {
      if (value === undefined) return params.get(name);
      if (value === null || value === '') params.delete(name);
      else params.set(name, value);
      writeHash(currentRoute());
      return value;
    },
    catalogue: once(() => api.get('/v1/kpis')),
    cities: once(() => listAll('/v1/cities')),
    /** The filter values of the catalogue with counts (GET /v1/facets). */
    facets: once(() => api.get('/v1/facets')),
    /** Every stored solution, briefly (id, title, provider and what filters use), for pickers
     * and suggestions: GET /v1/solutions page by page. */
    solutions: once(() => listAll('/v1/solutions').then((items) => items.map((s) => ({
      id: s.id,
      title: s.title,
      provider: s.provider,
      provider_type: s.provider_type,
      categories: s.categories,
      cost_band: s.cost_band,
      maturity: s.maturity,
    })))),
  };
  ctx.cities.reset = () => { ctx.cities = once(() => listAll('/v1/cities')); };

  mountSettings(document.getElementById('settings-toggle'), document.getElementById('settings-panel'), ctx);

  // Views are mounted once, then shown and hidden, so their state survives switching.
  const mounted = new Map();
  const tabs = VIEWS.map((v) => h('a', { href: `#/${v.route}`, class: 'tab', dataset: { route: v.route } }, v.title));
  fill(nav, tabs);

  const show = () => {
    const view = VIEWS.find((v) => v.route === currentRoute());
    writeHash(view.route);
    if (!mounted.has(view.route)) {
      const root = h('div', { class: ['view', `layout-${view.layout}`], id: `view-${view.route}`, dataset: { route: view.route } });
      for (const p of view.panels) {
        const host = h('section', { class: 'panel', id: `panel-${p.id}`, 'aria-labelledby': `panel-${p.id}-title` },
          h('h2', { class: 'panel-title', id: `panel-${p.id}-title` }, p.title));
        root.append(host);
        try {
          p.mount(host, ctx);
        } catch (e) {
          ctx.fail(e, `mount-${p.id}`, `The ${p.title} panel could not start`);
        }
      }
      mounted.set(view.route, root);
      main.append(root);
    }
    for (const [route, root] of mounted) root.hidden = route !== view.route;
    for (const t of tabs) {
      if (t.dataset.route === view.route) t.setAttribute('aria-current', 'page');
      else t.removeAttribute('aria-current');
    }
    document.title = `kpimatch · ${view.title}`;
  };
  window.addEventListener('hashchange', show);
  show();
  document.body.dataset.ready = 'true';
}

/** Memoises an async loader; a failed load is retried on the next call. */
function once(load) {
  let promise = null;
  return () => {
    if (!promise) promise = load().catch((e) => { promise = null; throw e; });
    return promise;
  };
}

/** Every item of a paginated list. */
async function listAll(path) {
  const items = [];
  for (let offset = 0; ; ) {
    const page = await api.get(`${path}?limit=100&offset=${offset}`);
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return items;
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
