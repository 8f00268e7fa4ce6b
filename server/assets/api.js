// The page's only way to the server: the public /v1 API, same origin.
// Errors become ApiError with the problem document's title, detail, code and field, so the
// page can say in words what went wrong. A service that is still loading its index (503
// not_ready) is waited for; the API key from Settings is sent as a bearer token when set.

import { apiKey } from './settings.js';

/** An error answer of the API (RFC 9457 problem), or a failure to reach it. */
export class ApiError extends Error {
  constructor({ status = 0, title, detail, code = '', field = null, method = '', path = '' }) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
    this.field = field;
    this.method = method;
    this.path = path;
  }
}

const listeners = new Set();

/** Calls `fn(message)` while the service is starting up (message null once it answers). */
export function onWaiting(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function waiting(message) {
  for (const fn of listeners) fn(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a request to the API and returns the parsed JSON (null for 204).
 * @param {string} method
 * @param {string} path  e.g. '/v1/match'
 * @param {object} [body] sent as JSON
 * @param {{signal?: AbortSignal}} [options]
 */
export async function request(method, path, body, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers, signal, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);

  for (let attempt = 0; ; attempt += 1) {
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError({
        title: 'The kpimatch service could not be reached',
        detail: `${method} ${path} failed before an answer arrived (${e.message}). Is the service running?`,
        method,
        path,
      });
    }
    if (res.ok) {
      waiting(null);
      if (res.status === 204) return null;
      return res.json();
    }
    const problem = await readProblem(res);
    // Nothing was done while the index loads: wait as told and ask again (about a minute at most).
    if (res.status === 503 && problem.code === 'not_ready' && attempt < 60) {
      waiting('The service is still loading its index; the page retries by itself…');
      const after = Number(res.headers.get('Retry-After')) || 1;
      await sleep(Math.min(after, 5) * 1000);
      continue;
    }
    waiting(null);
    throw new ApiError({ ...problem, status: res.status, method, path });
  }
}

async function readProblem(res) {
  const text = await res.text().catch(() => '');
  let doc = null;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = null;
  }
  if (doc && typeof doc === 'object' && (doc.title || doc.detail)) {
    return { title: doc.title || res.statusText, detail: doc.detail || '', code: doc.code || '', field: doc.field ?? null };
  }
  return {
    title: `The service answered ${res.status} ${res.statusText}`.trim(),
    detail: text.slice(0, 300),
    code: '',
    field: null,
  };
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body, options);
export const put = (path, body, options) => request('PUT', path, body, options);

/** `encodeURIComponent` for path segments. */
export const seg = (value) => encodeURIComponent(value);
