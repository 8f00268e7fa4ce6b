// Settings: the API key, kept for this browser tab only (sessionStorage) and sent as
// `Authorization: Bearer …` when set.

import { h, fill } from './dom.js';

const KEY = 'kpimatch.apiKey';

/** The API key of this tab, or ''. */
export function apiKey() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

function store(value) {
  try {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
    return true;
  } catch {
    return false;
  }
}

/** Builds the settings panel behind its toggle button. */
export function mountSettings(toggle, panel, ctx) {
  const input = h('input', {
    id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'api-key-help', placeholder: 'none',
  });
  input.value = apiKey();
  const state = h('p', { class: 'muted small', id: 'api-key-state' });
  const show = () => {
    state.textContent = apiKey() ? 'A key is set and sent with every request from this tab.' : 'No key is set; requests are sent without one.';
  };
  const form = h('form', { class: 'stack', 'aria-label': 'Settings' },
    h('h2', { class: 'h-small' }, 'Settings'),
    h('div', { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      input,
      h('p', { class: 'help', id: 'api-key-help' }, 'Only needed when the service requires one. Kept in this browser tab until it is closed.')),
    state,
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save key'),
      h('button', {
        type: 'button', class: 'btn btn-small',
        onclick: () => { input.value = ''; store(''); show(); ctx.say('API key cleared.'); },
      }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!store(value)) {
      ctx.fail({ title: 'The key could not be kept', detail: 'This browser does not allow session storage for this page.' }, 'settings');
      return;
    }
    show();
    ctx.say(value ? 'API key saved for this tab.' : 'API key cleared.');
    setOpen(false);
    toggle.focus();
  });
  show();
  fill(panel, form);

  const setOpen = (open) => {
    toggle.setAttribute('aria-expanded', String(open));
    panel.hidden = !open;
    if (open) input.focus();
  };
  toggle.addEventListener('click', () => setOpen(panel.hidden));
  document.addEventListener('click', (e) => {
    if (!panel.hidden && !panel.contains(e.target) && !toggle.contains(e.target)) setOpen(false);
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      setOpen(false);
      toggle.focus();
    }
  });
}
