// Benchmark panel: runs the bundled judged topics through ranking profiles
// (POST /v1/evaluations) and shows the mean of each measure, each profile against the first
// (paired randomisation test) and the harness's per-topic chart. The profiles offered are the
// server's (GET /v1/profiles).

import { h, fill, num } from './dom.js';

// Shown until GET /v1/profiles answers (and if it fails): the ablations every server has.
const FALLBACK = [{ name: 'text-only' }, { name: 'kpi-only' }, { name: 'default', is_default: true }];
// The ablations come first, so a run compares the default profile against them.
const ORDER = ['text-only', 'kpi-only', 'no-evidence'];
const CHECKED = new Set(['text-only', 'kpi-only']);

function rank(p) {
  const i = ORDER.indexOf(p.name);
  return i >= 0 ? i : ORDER.length + (p.is_default ? 0 : 1);
}

function profileChecks(items) {
  return [...items]
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
    .map((p) => h('label', { class: 'check', for: `bench-p-${p.name}`, title: p.description || null },
      h('input', { type: 'checkbox', id: `bench-p-${p.name}`, name: 'profile', value: p.name, checked: CHECKED.has(p.name) || !!p.is_default }),
      ` ${p.name}`,
      p.is_default ? h('span', { class: 'tag' }, 'default') : null));
}

const MEASURES = [
  ['ndcg_cut_10', 'nDCG@10', true],
  ['ndcg_cut_5', 'nDCG@5', true],
  ['recip_rank', 'MRR', true],
  ['map', 'MAP', true],
  ['P_10', 'P@10', true],
  ['recall_100', 'Recall@100', false],
  ['success_1', 'Success@1', false],
];
const NAMES = new Map(MEASURES.map(([id, name]) => [id, name]));
const label = (m) => NAMES.get(m) || m;

export const panel = {
  id: 'benchmark',
  title: 'Benchmark: ranking quality on judged topics',
  mount(host, ctx) {
    const extra = h('input', { id: 'bench-extra', type: 'text', autocomplete: 'off', 'aria-describedby': 'bench-extra-help', placeholder: 'e.g. my-profile' });
    const checks = h('div', { class: 'checks', id: 'bench-profiles', dataset: { state: 'loading' } }, profileChecks(FALLBACK));
    const extraField = h('div', { class: 'field' },
      h('label', { for: 'bench-extra' }, 'Other profiles ', h('span', { class: 'optional' }, '(optional, comma-separated)')),
      extra);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'bench-run' }, 'Run the benchmark');
    const out = h('div', { class: 'bench-out', id: 'bench-out', 'aria-live': 'polite', dataset: { state: 'empty' } },
      h('p', { class: 'muted' }, 'Choose profiles and measures, then run. The bundled judged topics are ranked by each profile and scored with trec_eval’s measures.'));
    const form = h('form', { class: 'bench-form', id: 'bench-form', novalidate: true, 'aria-label': 'Benchmark settings' },
      h('fieldset', {},
        h('legend', {}, 'Ranking profiles'),
        checks,
        extraField,
        h('p', { class: 'help', id: 'bench-extra-help' }, 'At most five in all. The first is the baseline the others are compared with.')),
      h('fieldset', {},
        h('legend', {}, 'Topics'),
        h('div', { class: 'checks' }, [['all', 'All'], ['train', 'Training'], ['heldout', 'Held out']].map(([v, t]) => h('label', { class: 'check', for: `bench-split-${v}` },
          h('input', { type: 'radio', id: `bench-split-${v}`, name: 'split', value: v, checked: v === 'all' }), ` ${t}`)))),
      h('fieldset', {},
        h('legend', {}, 'Measures'),
        h('div', { class: 'checks' }, MEASURES.map(([id, name, on]) => h('label', { class: 'check', for: `bench-m-${id}` },
          h('input', { type: 'checkbox', id: `bench-m-${id}`, name: 'metric', value: id, checked: on }), ` ${name}`))),
        h('p', { class: 'help' }, 'The chart shows the first measure checked.')),
      h('div', { class: 'row' }, submit));
    host.append(form, out);

    // Every profile the server offers; the free-text field is only needed while they are unknown.
    ctx.api.get('/v1/profiles').then((list) => {
      fill(checks, profileChecks(list.items));
      checks.dataset.state = 'loaded';
      extraField.hidden = true;
    }).catch((err) => {
      checks.dataset.state = 'error';
      ctx.fail(err, 'benchmark', 'The ranking profiles could not be listed; the built-in ones are offered');
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const profiles = [
        ...[...form.querySelectorAll('input[name="profile"]:checked')].map((i) => i.value),
        ...(extraField.hidden ? [] : extra.value.split(',').map((p) => p.trim()).filter(Boolean)),
      ];
      const metrics = [...form.querySelectorAll('input[name="metric"]:checked')].map((i) => i.value);
      const split = form.querySelector('input[name="split"]:checked').value;
      if (!profiles.length || !metrics.length) {
        ctx.fail({ title: 'Nothing to run', detail: !profiles.length ? 'Choose at least one ranking profile.' : 'Choose at least one measure.' }, 'benchmark');
        return;
      }
      const body = { split, profiles, metrics };
      submit.disabled = true;
      out.dataset.state = 'loading';
      out.setAttribute('aria-busy', 'true');
      fill(out, h('p', { class: 'muted' }, `Ranking the judged topics with ${profiles.join(', ')}…`));
      const started = performance.now();
      try {
        const report = await ctx.api.post('/v1/evaluations', body);
        fill(out, renderReport(report, (performance.now() - started) / 1000));
        out.dataset.state = 'done';
        ctx.ok('benchmark');
        ctx.say(`Benchmark done: ${report.topics} topics, ${report.profiles.length} profiles.`);
      } catch (err) {
        out.dataset.state = 'error';
        fill(out, h('p', { class: 'muted' }, 'The benchmark did not run: see the message at the top of the page.'));
        ctx.fail(err, 'benchmark', 'The benchmark failed');
      } finally {
        submit.disabled = false;
        out.removeAttribute('aria-busy');
      }
    });
  },
};

let chartUrl = null;

function renderReport(report, seconds) {
  const metrics = report.metrics;
  const best = new Map(metrics.map((m) => [m, Math.max(...report.profiles.map((p) => p.means[m] ?? 0))]));
  const means = h('table', { class: 'table means', id: 'bench-means' },
    h('caption', {}, 'Mean over the topics'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Profile'), metrics.map((m) => h('th', { scope: 'col', class: 'num', title: m }, label(m))))),
    h('tbody', {}, report.profiles.map((p, i) => h('tr', { dataset: { profile: p.profile } },
      h('th', { scope: 'row' }, p.profile, i === 0 && report.profiles.length > 1 ? h('span', { class: 'tag' }, 'baseline') : null),
      metrics.map((m) => {
        const v = p.means[m];
        const top = report.profiles.length > 1 && v === best.get(m);
        return h('td', { class: ['num', top ? 'best' : null], dataset: { metric: m, value: String(v) } }, top ? h('strong', {}, num(v, 4)) : num(v, 4));
      })))));

  const comparisons = report.comparisons.length
    ? h('table', { class: 'table comparisons', id: 'bench-comparisons' },
      h('caption', {}, `Against the baseline (${report.profiles[0].profile}), paired randomisation test`),
      h('thead', {}, h('tr', {}, ['Profile', 'Measure', 'Baseline', 'Profile', 'Change', 'Better / worse / tied', 'p'].map((t, i) => h('th', { scope: 'col', class: i >= 2 && i !== 5 ? 'num' : null }, t)))),
      h('tbody', {}, report.comparisons.map((c) => {
        const delta = c.candidate_mean - c.baseline_mean;
        const significant = c.p_value < 0.05;
        return h('tr', { dataset: { candidate: c.candidate, metric: c.measure } },
          h('th', { scope: 'row' }, c.candidate),
          h('td', {}, label(c.measure)),
          h('td', { class: 'num' }, num(c.baseline_mean, 4)),
          h('td', { class: 'num' }, num(c.candidate_mean, 4)),
          h('td', { class: ['num', delta > 0 ? 'up' : delta < 0 ? 'down' : null] }, `${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${num(Math.abs(delta), 4)}`),
          h('td', {}, `${c.wins} / ${c.losses} / ${c.ties}`),
          h('td', { class: 'num' }, num(c.p_value, 4), significant ? h('span', { class: 'tag tag-strong', title: 'p < 0.05' }, 'significant') : null));
      })))
    : null;

  if (chartUrl) URL.revokeObjectURL(chartUrl);
  chartUrl = URL.createObjectURL(new Blob([report.chart_svg], { type: 'image/svg+xml' }));
  const chart = h('figure', { class: 'bench-chart' },
    h('h3', {}, `${label(metrics[0])} per topic`),
    h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Per-topic chart (scrolls sideways)' },
      h('img', { src: chartUrl, id: 'bench-chart', alt: `${label(metrics[0])} per topic for ${report.profiles.map((p) => p.profile).join(', ')}; the values are in the per-topic table below.` })),
    h('figcaption', { class: 'help' }, 'Drawn by the evaluation harness (the same chart as kpimatch eval --svg).'));

  const topics = Object.keys(report.profiles[0].per_topic);
  const perTopic = h('details', { class: 'per-topic' },
    h('summary', {}, `Per-topic ${label(metrics[0])} (${topics.length} topics)`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Topic'), report.profiles.map((p) => h('th', { scope: 'col', class: 'num' }, p.profile)))),
      h('tbody', {}, topics.map((t) => h('tr', {},
        h('th', { scope: 'row' }, t),
        report.profiles.map((p) => h('td', { class: 'num' }, num(p.per_topic[t] ? p.per_topic[t][metrics[0]] : null, 3)))))))));

  return [
    h('p', { class: 'muted' }, `${report.topics} topics · ${report.profiles.length} profile${report.profiles.length === 1 ? '' : 's'} · ${num(seconds, 1)} s`),
    h('div', { class: 'table-wrap' }, means),
    comparisons ? h('div', { class: 'table-wrap' }, comparisons) : null,
    chart,
    perTopic,
  ];
}
