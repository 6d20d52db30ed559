import { Chalk, type ChalkInstance } from 'chalk';
import type { VeloError } from '../errors.js';

export interface OutputOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** NO_COLOR (any non-empty value) and --no-color both turn colour off. */
export function colorWanted(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag !== false && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

const forceColor = (): boolean => Boolean(process.env.FORCE_COLOR) && process.env.FORCE_COLOR !== '0';

/**
 * Where a command's output goes. Human text and tables on stdout; status lines on stderr; with
 * --json, stdout carries exactly one JSON document and nothing else.
 */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: ChalkInstance;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.verbose = opts.verbose;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.color = new Chalk({ level: opts.color && (this.stdout.isTTY || forceColor()) ? 1 : 0 });
  }

  /** True when live progress (ink) may draw: a terminal, and not --json. */
  get interactive(): boolean {
    return !this.json && Boolean(this.stderr.isTTY) && !process.env.CI;
  }

  /** Human output; suppressed under --json. */
  print(text = ''): void {
    if (!this.json) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A status line (target, progress) on stderr, never on stdout. */
  info(text: string): void {
    this.stderr.write(text + '\n');
  }

  warn(text: string): void {
    this.stderr.write(this.color.yellow(`warning: ${text}`) + '\n');
  }

  debug(text: string): void {
    if (this.verbose) this.stderr.write(this.color.dim(text) + '\n');
  }

  /** The command's result: the JSON value under --json, the human text otherwise. */
  result(human: string | (() => string), jsonValue: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(jsonValue, null, 2) + '\n');
    else this.print(typeof human === 'function' ? human() : human);
  }

  error(err: VeloError): void {
    if (this.json) {
      this.stdout.write(JSON.stringify({ error: err.toJSON() }) + '\n');
      return;
    }
    this.stderr.write(this.color.red(`error: ${err.message}`) + '\n');
    if (err.hint) this.stderr.write(`hint: ${err.hint}\n`);
  }
}

/** A plain aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number | undefined | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
