// Charts drawn as inline SVG by hand: no chart library, nothing from another origin.
// Colours come from CSS classes (band-*), so the stylesheet owns the palette.

import { s, h, pct, bandClass, BANDS } from './dom.js';

/**
 * Horizontal bars, one per row, on a 0–100 % scale with the U4SSC band thresholds marked.
 * Drawn at the container's pixel width (redrawn when it changes) so text stays crisp.
 * @param {HTMLElement} host
 * @param {Array<{name: string, share: number|null, band: string|null, note: string}>} rows
 * @param {string} label  accessible name of the chart
 */
export function bandBars(host, rows, label) {
  const draw = () => {
    const width = Math.max(280, Math.floor(host.clientWidth || 560));
    const narrow = width < 460;
    const labelW = narrow ? Math.min(150, width * 0.42) : Math.min(210, width * 0.36);
    const valueW = 52;
    const rowH = 24;
    const top = 22;
    const plotX = labelW + 8;
    const plotW = width - plotX - valueW;
    const height = top + rows.length * rowH + 6;
    const x = (share) => plotX + plotW * Math.max(0, Math.min(1, share));

    const svg = s('svg', {
      class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
    });
    // Band backgrounds and thresholds.
    const edges = [0, 0.33, 0.66, 0.95, 1];
    BANDS.forEach((b, i) => {
      svg.append(s('rect', {
        class: ['zone', bandClass(b.label)], x: x(edges[i]), y: top - 4, width: x(edges[i + 1]) - x(edges[i]), height: height - top,
      }));
    });
    for (const t of [0, 0.33, 0.66, 0.95, 1]) {
      svg.append(s('line', { class: 'tick', x1: x(t), x2: x(t), y1: top - 6, y2: height - 2 }));
      if (t < 1) {
        svg.append(s('text', { class: 'tick-label', x: x(t), y: 12, 'text-anchor': t === 0 ? 'start' : 'middle' }, t === 0 ? '0 %' : `${Math.round(t * 100)}`));
      }
    }
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      const g = s('g', { class: 'bar-row', dataset: { name: r.name } });
      const name = r.name.length * 6.6 > labelW ? `${r.name.slice(0, Math.floor(labelW / 6.8) - 1)}…` : r.name;
      g.append(s('title', {}, `${r.name}: ${r.share === null ? 'no data' : pct(r.share)} of target points${r.note ? ` (${r.note})` : ''}`));
      g.append(s('text', { class: 'bar-label', x: labelW, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, name));
      if (r.share === null) {
        g.append(s('text', { class: 'bar-value muted', x: plotX + 6, y: y + rowH / 2 + 4 }, 'no data'));
      } else {
        const w = Math.max(2, x(r.share) - plotX);
        g.append(s('rect', { class: ['bar', bandClass(r.band)], x: plotX, y: y + 4, width: w, height: rowH - 8, rx: 3 }));
        g.append(s('text', { class: 'bar-value', x: width - 2, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, pct(r.share)));
      }
      svg.append(g);
    });
    host.replaceChildren(svg);
  };
  draw();
  if ('ResizeObserver' in window) {
    let last = host.clientWidth;
    const ro = new ResizeObserver(() => {
      if (Math.abs(host.clientWidth - last) >= 8) {
        last = host.clientWidth;
        draw();
      }
    });
    ro.observe(host);
  }
}

/**
 * A thin horizontal meter (0–1) as SVG that stretches to its box.
 * @param {number} value 0–1
 * @param {string} className colour class of the fill
 * @param {string} title
 */
export function meter(value, className, title) {
  const v = Math.max(0, Math.min(1, value || 0));
  return s('svg', { class: 'meter', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', dataset: { value: v.toFixed(4) } },
    s('rect', { class: 'meter-track', x: 0, y: 0, width: 100, height: 10, rx: 2 }),
    s('rect', { class: ['meter-fill', className], x: 0, y: 0, width: (v * 100).toFixed(2), height: 10, rx: 2 }),
    s('title', {}, title));
}

/** What a score's positive parts add up to: text + KPI + evidence for (the bar's full length). */
export function grossScore(expl) {
  return Math.max(0, expl.text) + Math.max(0, expl.kpi) + Math.max(0, expl.evidence || 0);
}

/**
 * A stacked bar of a score's parts: text, KPI and evidence for; what counts against (evidence
 * from discontinued deployments, the diversity penalty) drawn over the end, so the solid part
 * that remains is the score.
 */
export function scoreBar(expl, scale) {
  const w = (v) => (100 * Math.max(0, v)) / scale;
  const text = w(expl.text);
  const kpi = w(expl.kpi);
  const evidence = w(expl.evidence || 0);
  const gross = text + kpi + evidence;
  const against = Math.min(w(-(expl.evidence || 0)), gross);
  const pen = Math.min(w(expl.diversity_penalty), gross - against);
  const rect = (cls, x, width, kind) => s('rect', { class: cls, x: x.toFixed(2), y: 0, width: width.toFixed(2), height: 10, dataset: { part: kind } });
  return s('svg', { class: 'scorebar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
    s('rect', { class: 'meter-track', x: 0, y: 0, width: 100, height: 10, rx: 2 }),
    rect('part-text', 0, text, 'text'),
    rect('part-kpi', text, kpi, 'kpi'),
    evidence > 0 ? rect('part-evidence', text + kpi, evidence, 'evidence') : null,
    against > 0 ? rect('part-against', gross - against, against, 'against') : null,
    pen > 0 ? rect('part-penalty', gross - against - pen, pen, 'diversity') : null);
}

/** A legend entry. */
export function legendItem(className, label) {
  return h('span', { class: 'legend-item' }, h('span', { class: ['swatch', className], 'aria-hidden': 'true' }), label);
}
