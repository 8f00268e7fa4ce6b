// Small DOM helpers shared by the panels: element builders, formatting, U4SSC bands.
// No innerHTML with data: every text goes through textContent, so API data cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h('p', {class: 'x'}, 'text', child, …). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  return append(el, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  return append(el, children);
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const numberFormats = new Map();

/** A number for people: thousands separators, at most `digits` decimals. */
export function num(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  let f = numberFormats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en', { maximumFractionDigits: digits });
    numberFormats.set(digits, f);
  }
  return f.format(value);
}

/** A share 0–1 as a whole percentage. */
export function pct(share) {
  if (share === null || share === undefined || Number.isNaN(share)) return '–';
  return `${Math.round(share * 100)} %`;
}

/** A KPI value: "38 %" when the unit is a percentage, the bare number otherwise (the full
 * unit sentence is shown once beside the KPI's name). */
export function withUnit(value, unit) {
  return unit && unit.startsWith('%') ? `${num(value)} %` : num(value);
}

/** The four U4SSC bands, as the API labels them. */
export const BANDS = [
  { label: '0-33', name: '0–33 %', words: 'far from target' },
  { label: '33-66', name: '33–66 %', words: 'half way' },
  { label: '66-95', name: '66–95 %', words: 'close to target' },
  { label: '95-100', name: '≥ 95 %', words: 'target met' },
];

/** Band label ('0-33' …) → CSS class; no band → 'band-none'. */
export function bandClass(label) {
  return BANDS.some((b) => b.label === label) ? `band-${label}` : 'band-none';
}

/** The band of a gap to target (gap = 1 − achievement), for a KPI whose band is not at hand. */
export function bandFromGap(gap) {
  const a = 1 - gap;
  return a < 0.33 ? '0-33' : a < 0.66 ? '33-66' : a < 0.95 ? '66-95' : '95-100';
}

/** A band pill with its words (colour is never the only cue). */
export function bandPill(label, text) {
  const band = BANDS.find((b) => b.label === label);
  return h('span', { class: ['band', bandClass(label)], title: band ? `U4SSC band ${band.name} of target: ${band.words}` : 'no data' },
    text ?? (band ? band.name : 'no data'));
}

/** A lower-case id from a name: "Lindenbrück Nord" → "lindenbruck-nord". */
export function slug(name) {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

let uid = 0;
/** A fresh element id. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A disclosure button that shows and hides a region (aria-expanded kept in step). */
export function toggleButton(label, region, { expanded = false, className = 'btn btn-small', labels } = {}) {
  if (!region.id) region.id = nextId('region');
  region.hidden = !expanded;
  const btn = h('button', { type: 'button', class: className, 'aria-expanded': String(expanded), 'aria-controls': region.id }, label);
  btn.addEventListener('click', () => {
    const open = btn.getAttribute('aria-expanded') !== 'true';
    btn.setAttribute('aria-expanded', String(open));
    region.hidden = !open;
    if (labels) btn.textContent = open ? labels[1] : labels[0];
    btn.dispatchEvent(new CustomEvent('toggled', { detail: { open } }));
  });
  if (labels) btn.textContent = expanded ? labels[1] : labels[0];
  return btn;
}

/** Debounces a function. */
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
