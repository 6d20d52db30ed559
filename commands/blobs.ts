import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { port } from '../src/cli/parsers.js';

// context.ts is constants and a base64 helper: light enough for --help.
import { DEFAULT_BLOBS_PORT as DEFAULT_PORT, LOCAL_SITE_ID } from '../src/blobs/context.js';

export function register(program: Command): void {
  const blobs = program
    .command('blobs')
    .description('the local Netlify Blobs server and the context that points @netlify/blobs at it')
    .addHelpText('after', examples(['veloready blobs serve --port 8971', 'eval "$(veloready blobs context --url http://127.0.0.1:8971)"']));

  blobs
    .command('serve')
    .description('serve <data-dir>/blobs.sqlite over the Netlify Blobs protocol')
    .option('--port <port>', 'port to listen on (0 = any free port)', port, DEFAULT_PORT)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--site-id <id>', 'site id clients must use', LOCAL_SITE_ID)
    .option('--token <token>', 'bearer token clients must send (default: the data dir\'s own, in secrets.json)')
    .addHelpText('after', examples(['veloready blobs serve', 'veloready blobs serve --port 9000 --token s3cret']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { openSqliteBlobs } = await import('../src/blobs/sqlite.js');
      const { startBlobsServer } = await import('../src/blobs/server.js');
      const { localBlobsPath } = await import('../src/blobs/target.js');
      const { encodeBlobsContext } = await import('../src/blobs/context.js');
      const path = localBlobsPath(ctx.config.get('dataDir') ?? '.veloready');
      const { makeDataDirPrivate } = await import('../src/config/private-dir.js');
      makeDataDirPrivate(ctx.config.get('dataDir') ?? '.veloready');
      const store = openSqliteBlobs({ path, backgroundCheckpoints: true });
      const siteID = ctx.opts.siteId as string;
      const { loadOrCreateBlobsToken } = await import('../src/auth/secret.js');
      const token = (ctx.opts.token as string | undefined) ?? (await loadOrCreateBlobsToken(ctx.config.get('dataDir') ?? '.veloready'));
      const listenPort = ctx.opts.port as number;
      const host = ctx.opts.host as string;
      let server: Awaited<ReturnType<typeof startBlobsServer>>;
      try {
        server = await startBlobsServer({ blobs: store, siteID, token, port: listenPort, host });
      } catch (err) {
        await store.close();
        const code = (err as NodeJS.ErrnoException).code;
        const { VeloError } = await import('../src/errors.js');
        if (code === 'EADDRINUSE') throw new VeloError('PORT_IN_USE', `port ${listenPort} on ${host} is already in use`, 'pick another with --port');
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new VeloError('INVALID_HOST', `cannot listen on ${host}`, 'use --host 127.0.0.1 or 0.0.0.0');
        throw err;
      }
      const context = encodeBlobsContext({ url: server.url, siteID, token });
      ctx.out.info(ctx.out.color.dim(`target: ${store.target}`));
      ctx.out.result(`Netlify Blobs server on ${server.url} (site ${siteID})\nexport NETLIFY_BLOBS_CONTEXT=${context}`, {
        url: server.url,
        siteID,
        path,
        NETLIFY_BLOBS_CONTEXT: context,
      });
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await store.close();
    });

  blobs
    .command('context')
    .description('print NETLIFY_BLOBS_CONTEXT (and an export line) for a local blobs server')
    .option('--url <url>', 'the server: `veloready serve` or `veloready blobs serve` (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .option('--site-id <id>', 'site id', LOCAL_SITE_ID)
    .option('--token <token>', 'bearer token (default: the data dir\'s own, which serve and blobs serve require)')
    .addHelpText('after', examples(['veloready blobs context', 'eval "$(veloready blobs context)"', `eval "$(veloready blobs context --url http://127.0.0.1:${DEFAULT_PORT})"`]))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { blobsContext, encodeBlobsContext } = await import('../src/blobs/context.js');
      const { loadOrCreateBlobsToken } = await import('../src/auth/secret.js');
      const { resolveSite } = await import('../src/ops/target.js');
      const site = resolveSite(ctx.config);
      ctx.out.info(`target: ${site.url} (${site.from})`);
      const token = (ctx.opts.token as string | undefined) ?? (await loadOrCreateBlobsToken(ctx.config.get('dataDir') ?? '.veloready'));
      const input = { url: site.url, siteID: ctx.opts.siteId as string, token };
      let value: string;
      try {
        value = encodeBlobsContext(input);
      } catch {
        const { usageError } = await import('../src/errors.js');
        throw usageError('INVALID_URL', `invalid --url "${input.url}"`, 'e.g. --url http://127.0.0.1:8971');
      }
      const decoded = blobsContext(input);
      ctx.out.result(`export NETLIFY_BLOBS_CONTEXT=${value}`, {
        NETLIFY_BLOBS_CONTEXT: value,
        context: { ...decoded, token: '(redacted)' },
      });
    });
}
