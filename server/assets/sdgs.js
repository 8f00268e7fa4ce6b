// The SDG picture of a city (GET /v1/cities/{id}/sdgs), drawn in the City panel: per goal, the
// share of U4SSC target points reached on the KPIs serving it (a bar in the band colours), how
// many of the goal's KPIs the city reports, and its weakest KPIs. The goals' names are the
// API's. A goal's "Find solutions" publishes 'focus-sdg' (the Ask panel focuses on it).

import { h, num, pct, withUnit, bandPill, bandClass } from './dom.js';
import { meter } from './charts.js';

/** The section, or its placeholder while the standing loads. */
export function sdgSection(city, standing, ctx) {
  const intro = h('p', { class: 'help' },
    'The share of U4SSC target points each goal reaches over the KPIs that serve it and the city reports (a KPI serving several goals counts for each); its weakest KPIs follow.');
  if (!standing) {
    return h('section', { class: 'block sdgs', id: 'sdgs', 'aria-labelledby': 'sdgs-h', dataset: { state: 'loading' } },
      h('h3', { id: 'sdgs-h' }, 'Sustainable Development Goals'),
      h('p', { class: 'muted small' }, 'Loading the SDG picture…'));
  }
  const goals = standing.goals.map((g) => goal(g, city, ctx));
  return h('section', { class: 'block sdgs', id: 'sdgs', 'aria-labelledby': 'sdgs-h', dataset: { state: 'done', city: standing.city_id } },
    h('h3', { id: 'sdgs-h' }, 'Sustainable Development Goals'),
    intro,
    goals.length
      ? h('ol', { class: 'goal-list', id: 'goal-list' }, goals)
      : h('p', { class: 'muted' }, 'No KPI of the catalogue is linked to a goal.'));
}

/** The section when the standing could not be loaded (the alert says why). */
export function sdgUnavailable() {
  return h('section', { class: 'block sdgs', id: 'sdgs', 'aria-labelledby': 'sdgs-h', dataset: { state: 'error' } },
    h('h3', { id: 'sdgs-h' }, 'Sustainable Development Goals'),
    h('p', { class: 'muted' }, 'The SDG picture could not be loaded: see the message at the top of the page.'));
}

function goal(g, city, ctx) {
  const band = g.standing.band;
  const scored = Boolean(band);
  const nameId = `goal-name-${g.goal}`;
  const weakest = g.weakest.map((k) => h('li', {
    class: ['chip', bandClass(k.band)],
    dataset: { code: k.code, achievement: String(k.achievement) },
    title: `${k.name} (${k.code}): ${withUnit(k.value, k.unit)} in ${k.year}, target ${withUnit(k.target, k.unit)} — ${k.unit}`,
  }, k.name, h('span', { class: 'chip-note' }, ` ${pct(k.achievement)}`)));
  return h('li', { class: 'goal', dataset: { goal: String(g.goal), band: band || '', share: String(g.standing.share), linked: String(g.kpis_linked), withData: String(g.kpis_with_data) }, 'aria-labelledby': nameId },
    h('div', { class: 'goal-row' },
      h('span', { class: 'goal-num', 'aria-hidden': 'true' }, String(g.goal)),
      h('span', { class: 'goal-name', id: nameId }, h('span', { class: 'sr-only' }, `Goal ${g.goal}: `), g.name),
      meter(scored ? g.standing.share : 0, bandClass(band), `${g.name}: ${scored ? `${pct(g.standing.share)} of target points (${g.standing.points} of ${g.standing.max_points})` : 'no data'}`),
      scored ? bandPill(band, pct(g.standing.share)) : bandPill(null)),
    h('div', { class: 'goal-more' },
      h('span', { class: 'goal-data' }, h('strong', {}, String(g.kpis_with_data)), ` of ${num(g.kpis_linked, 0)} KPIs with data`, scored ? ' · ' : ''),
      scored
        ? [
          weakest.length ? [h('span', { class: 'muted small' }, 'weakest '), h('ul', { class: 'chips goal-weakest' }, weakest)] : h('span', { class: 'muted small' }, 'every one at target'),
          h('button', {
            type: 'button', class: 'link small find', 'aria-label': `Find solutions for goal ${g.goal}, ${g.name}`,
            onclick: () => ctx.store.set('focus-sdg', { goal: g.goal, name: g.name, city: city.id }),
          }, 'Find solutions ›'),
        ]
        : null));
}
