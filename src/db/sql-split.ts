/** One statement of a SQL script, with the 1-based line where its text starts. */
export interface Statement {
  text: string;
  line: number;
}

const DOLLAR_TAG_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

/**
 * Splits a script at top-level semicolons, aware of quotes ('...', E'...', "..."), comments
 * (-- and nested block comments) and dollar-quoted bodies, so each statement can run alone and a
 * failure can name its line. Statements that are only comments or whitespace are dropped.
 */
export function splitStatements(script: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number): void => {
    const raw = script.slice(start, end);
    const lead = firstCodeOffset(raw);
    if (lead >= 0) {
      const text = raw.slice(lead).trimEnd();
      out.push({ text, line: lineAt(script, start + lead) });
    }
  };
  while (i < n) {
    const c = script[i]!;
    if (c === '-' && script[i + 1] === '-') {
      const nl = script.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      i = skipBlockComment(script, i);
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(script[i - 1]!) && !/[A-Za-z0-9_]/.test(script[i - 2] ?? ' ');
      i = skipQuoted(script, i, "'", escapes);
    } else if (c === '"') {
      i = skipQuoted(script, i, '"', false);
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(script[i - 1] ?? ' ')) {
      const tag = DOLLAR_TAG_RE.exec(script.slice(i, i + 64));
      if (tag) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else {
        i++;
      }
    } else if (c === ';') {
      push(i);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  push(n);
  return out;
}

function skipBlockComment(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    if (s[i] === '/' && s[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (s[i] === '*' && s[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

function skipQuoted(s: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < s.length) {
    const c = s[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (s[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return i;
}

/** Offset of the first character that is not whitespace or comment, or -1 when there is none. */
function firstCodeOffset(raw: string): number {
  let i = 0;
  while (i < raw.length) {
    if (/\s/.test(raw[i]!)) i++;
    else if (raw[i] === '-' && raw[i + 1] === '-') {
      const nl = raw.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl + 1;
    } else if (raw[i] === '/' && raw[i + 1] === '*') i = skipBlockComment(raw, i);
    else return i;
  }
  return -1;
}

/** 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** BEGIN / COMMIT / ROLLBACK (not ROLLBACK TO): the runner owns the transaction, so these are skipped. */
export function isTransactionControl(statement: string): boolean {
  return /^(begin|start\s+transaction|commit|end|rollback|abort)\b(?!\s+to\b)/i.test(statement);
}
