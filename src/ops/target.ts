import type { CommandContext } from '../cli/context.js';
import type { Clock } from '../clock.js';
import { checkSiteUrl, createSiteClient, type SiteClient, type SiteRequest } from './site-client.js';

/** The site an operator command talks to: `--url` > VELOREADY_API_URL > http://127.0.0.1:8888. */
export function siteUrl(ctx: CommandContext): string {
  // Checked here, before anything (a token's secret) depends on it.
  return checkSiteUrl(ctx.config.get('apiUrl')!);
}

/** A client for the site; with --dry-run it prints each request instead of sending it. */
export function siteClientFor(ctx: CommandContext, token: string | undefined, clock: Clock): SiteClient {
  const dryRun = Boolean(ctx.opts.dryRun);
  const planned: Array<SiteRequest & { url: string }> = [];
  return createSiteClient({
    baseUrl: siteUrl(ctx),
    ...(token ? { token } : {}),
    clock,
    ...(dryRun
      ? {
          dryRun: (req) => {
            planned.push(req);
            if (ctx.out.json) ctx.out.stdout.write(JSON.stringify({ dryRun: true, method: req.method, url: req.url, body: req.body ?? null }) + '\n');
            else ctx.out.print(`would ${req.method} ${req.url}${req.body !== undefined ? ` ${JSON.stringify(req.body)}` : ''}`);
          },
        }
      : {}),
    onRetry: (reason, waitMs) => ctx.out.debug(`retrying after ${reason} in ${Math.round(waitMs)} ms`),
  });
}
