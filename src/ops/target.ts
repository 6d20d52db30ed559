import { redactDbUrl } from '../config/redact.js';
import type { CommandContext } from '../cli/context.js';
import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { DEFAULT_DATA_DIR } from '../config/settings.js';
import { liveServeInfo } from '../db/serve-info.js';
import { checkSiteUrl, createSiteClient, type SiteClient, type SiteRequest } from './site-client.js';

export interface SiteTarget {
  url: string;
  /** Where the URL came from, for the `target:` line. */
  from: string;
}

/** A serve bound to every interface records `http://0.0.0.0:…`; it is reached on loopback. */
const ANY_ADDRESS_RE = /^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=[:/]|$)/;

/** The URL the running serve of `dataDir` recorded in serve.json, when its process is alive. */
export function runningServeUrl(dataDir: string): string | undefined {
  const url = liveServeInfo(dataDir)?.url;
  if (typeof url !== 'string') return undefined;
  try {
    return checkSiteUrl(url.replace(ANY_ADDRESS_RE, (_m, scheme: string, host: string) => `${scheme}${host === '[::]' ? '[::1]' : '127.0.0.1'}`));
  } catch {
    return undefined; // not a URL: as if no serve were running
  }
}

/**
 * The site an operator command talks to: `--url` > VELOREADY_API_URL (environment, then .env) >
 * the running serve of the data dir > http://127.0.0.1:8888.
 */
export function siteTarget(ctx: Pick<CommandContext, 'config'>): SiteTarget {
  return resolveSite(ctx.config);
}

/** The same resolution from the configuration alone: every command that names the site uses it. */
export function resolveSite(config: ResolvedConfig): SiteTarget {
  const source = config.source('apiUrl');
  // Checked here, before anything (a token's secret) depends on it.
  if (source === 'flag') return { url: checkSiteUrl(config.get('apiUrl')!), from: '--url' };
  if (source === 'env' || source === '.env') return { url: checkSiteUrl(config.get('apiUrl')!), from: `VELOREADY_API_URL${source === '.env' ? ' in .env' : ''}` };
  const dataDir = config.get('dataDir') ?? DEFAULT_DATA_DIR;
  const serve = runningServeUrl(dataDir);
  if (serve) return { url: serve, from: `the running serve of ${dataDir}` };
  return { url: checkSiteUrl(config.get('apiUrl')!), from: `default; no serve running for ${dataDir}` };
}

export const siteUrl = (ctx: CommandContext): string => siteTarget(ctx).url;

/** `target: http://127.0.0.1:8888 (the running serve of .veloready)`. */
/** `target: <url> (<where it came from>)`, a URL's password redacted as in error lines. */
export const targetLine = (target: SiteTarget): string => `target: ${redactDbUrl(target.url)} (${target.from})`;

/** A client for the site; with --dry-run it prints each request instead of sending it. */
export function siteClientFor(ctx: CommandContext, token: string | undefined, clock: Clock, baseUrl = siteUrl(ctx)): SiteClient {
  const dryRun = Boolean(ctx.opts.dryRun);
  const planned: Array<SiteRequest & { url: string }> = [];
  return createSiteClient({
    baseUrl,
    ...(token ? { token } : {}),
    clock,
    ...(dryRun
      ? {
          dryRun: (req) => {
            planned.push(req);
            if (ctx.out.json) ctx.out.stdout.write(JSON.stringify({ dryRun: true, method: req.method, url: redactDbUrl(req.url), body: req.body ?? null }) + '\n');
            else ctx.out.print(`would ${req.method} ${redactDbUrl(req.url)}${req.body !== undefined ? ` ${JSON.stringify(req.body)}` : ''}`);
          },
        }
      : {}),
    onRetry: (reason, waitMs) => ctx.out.debug(`retrying after ${reason} in ${Math.round(waitMs)} ms`),
  });
}
