// Parses KPI values pasted by a planner into API observations, with errors per line.
//
// Accepted, one observation per line:  CODE  VALUE  [YEAR]  [TARGET]
//   separated by tabs (a spreadsheet paste), commas, semicolons or spaces; a header line and
//   lines starting with # are skipped; a decimal comma is fine when the separator is not a
//   comma. The year defaults to the current one.
// Or JSON: an array of {kpi, value, year, target?} or an object with "observations".

const NUMBER = /^[-+]?(\d+([.,]\d*)?|[.,]\d+)(e[-+]?\d+)?$/i;
const CODE = /^[A-Za-z]{2,4}\s*:\s*[A-Za-z]{1,4}\s*:\s*[A-Za-z]{1,4}\s*:\s*\d{1,2}\s*[A-Za-z]$/;

function toNumber(text, decimalComma) {
  const t = text.trim().replace(/\s/g, '');
  if (!NUMBER.test(t)) return null;
  const normal = decimalComma ? t.replace(',', '.') : t;
  if (!decimalComma && normal.includes(',')) return null;
  const n = Number(normal);
  return Number.isFinite(n) ? n : null;
}

function splitLine(line) {
  if (line.includes('\t')) return { cells: line.split('\t'), decimalComma: true };
  if (line.includes(';')) return { cells: line.split(';'), decimalComma: true };
  if (line.includes(',')) {
    // "EC:I:WS:3C, 28.5, 2023" — but not "EC:I:WS:3C 28,5 2023" (decimal comma, spaces).
    const parts = line.split(',');
    if (parts.length >= 2 && CODE.test(parts[0].trim())) return { cells: parts, decimalComma: false };
  }
  // Spaces: the code itself may contain spaces ("EC: I: WS: 3C"), so take numbers off the end.
  const tokens = line.trim().split(/\s+/);
  const numbers = [];
  while (tokens.length > 1 && numbers.length < 3 && toNumber(tokens[tokens.length - 1], true) !== null) {
    numbers.unshift(tokens.pop());
  }
  return { cells: [tokens.join(' '), ...numbers], decimalComma: true };
}

/**
 * @param {string} text
 * @returns {{observations: Array<{kpi: string, value: number, year: number, target?: number}>,
 *            lines: number[], errors: Array<{line: number, message: string}>}}
 *   `lines[i]` is the 1-based line of observation i, so API errors naming
 *   `observations[i]` can point at the line.
 */
export function parseKpiValues(text, currentYear = new Date().getFullYear()) {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJson(trimmed);
  const observations = [];
  const lines = [];
  const errors = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (!line || line.startsWith('#')) return;
    const { cells, decimalComma } = splitLine(line);
    const [code, value, year, target] = cells.map((c) => c.trim());
    if (observations.length === 0 && errors.length === 0 && /^(kpi|code|indicator)\b/i.test(code) && toNumber(value ?? '', decimalComma) === null) {
      return; // a header line
    }
    if (!CODE.test(code)) {
      errors.push({ line: n, message: `“${code.slice(0, 40)}” is not a U4SSC KPI code (like EC:I:WS:3C).` });
      return;
    }
    if (value === undefined || value === '') {
      errors.push({ line: n, message: `${code} has no value.` });
      return;
    }
    const v = toNumber(value, decimalComma);
    if (v === null) {
      errors.push({ line: n, message: `the value “${value.slice(0, 20)}” of ${code} is not a number.` });
      return;
    }
    const obs = { kpi: code.replace(/\s+/g, ''), value: v, year: currentYear };
    if (year !== undefined && year !== '') {
      const y = toNumber(year, false);
      if (y === null || !Number.isInteger(y) || y < 1900 || y > 2100) {
        errors.push({ line: n, message: `the year “${year.slice(0, 10)}” of ${code} is not a year between 1900 and 2100.` });
        return;
      }
      obs.year = y;
    }
    if (target !== undefined && target !== '') {
      const t = toNumber(target, decimalComma);
      if (t === null) {
        errors.push({ line: n, message: `the target “${target.slice(0, 20)}” of ${code} is not a number.` });
        return;
      }
      obs.target = t;
    }
    if (cells.length > 4) {
      errors.push({ line: n, message: `too many columns; expected code, value, year and an optional target.` });
      return;
    }
    observations.push(obs);
    lines.push(n);
  });
  if (observations.length === 0 && errors.length === 0) {
    errors.push({ line: 0, message: 'no KPI values were given.' });
  }
  return { observations, lines, errors };
}

function parseJson(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { observations: [], lines: [], errors: [{ line: 0, message: `the JSON could not be read (${e.message}).` }] };
  }
  const list = Array.isArray(doc) ? doc : doc && Array.isArray(doc.observations) ? doc.observations : null;
  if (!list) {
    return { observations: [], lines: [], errors: [{ line: 0, message: 'JSON must be an array of observations or an object with "observations".' }] };
  }
  const errors = [];
  const observations = [];
  list.forEach((o, i) => {
    const ok = o && typeof o === 'object' && typeof o.kpi === 'string' && typeof o.value === 'number' && Number.isInteger(o.year);
    if (!ok) {
      errors.push({ line: 0, message: `observation ${i + 1} needs "kpi" (text), "value" (number) and "year" (whole number).` });
      return;
    }
    const obs = { kpi: o.kpi, value: o.value, year: o.year };
    if (typeof o.target === 'number') obs.target = o.target;
    observations.push(obs);
  });
  return { observations, lines: observations.map(() => 0), errors };
}

/** "observations[3].kpi" → 3 (or null). */
export function observationIndex(field) {
  const m = /observations\[(\d+)\]/.exec(field || '');
  return m ? Number(m[1]) : null;
}
