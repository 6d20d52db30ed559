import { Option, type Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { durationSeconds, jsonObject, positiveInt } from '../src/cli/parsers.js';

const ROLE_CHOICES = ['authenticated', 'anon', 'service_role'];

export function register(program: Command): void {
  const token = program
    .command('token')
    .description('mint, verify and decode test JWTs shaped like Supabase\'s')
    .addHelpText('after', examples(['veloready token mint --athlete 104662', 'veloready token verify "$TOKEN"']));

  token
    .command('mint')
    .description('mint an access token for an athlete (or an anon / service_role key)')
    .option('--athlete <id>', 'Strava athlete id (derives the user id and email)', positiveInt)
    .option('--user-id <uuid>', 'auth user id (default: derived from --athlete)')
    .option('--email <email>', 'email claim (default: strava-{athlete}@veloready.app)')
    .addOption(new Option('--role <role>', 'role claim').choices(ROLE_CHOICES).default('authenticated'))
    .option('--ttl <duration>', 'lifetime: seconds or 30m, 1h, 7d', durationSeconds, 3600)
    .option('--claims <json>', 'extra claims to merge, as a JSON object', jsonObject)
    .option('--secret <secret>', 'JWT secret (default: SUPABASE_JWT_SECRET, else the local secret)')
    .option('--url <url>', 'the site named as issuer (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .addHelpText(
      'after',
      examples([
        'veloready token mint --athlete 104662',
        'veloready token mint --athlete 104662 --ttl 30m --json',
        'veloready token mint --role service_role --ttl 7d',
        'curl -H "Authorization: Bearer $(veloready token mint --athlete 104662)" http://127.0.0.1:8888/api/activities',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { mintToken } = await import('../src/auth/token-service.js');
      const minted = await mintToken(ctx, {
        athleteId: ctx.opts.athlete as number | undefined,
        userId: ctx.opts.userId as string | undefined,
        email: ctx.opts.email as string | undefined,
        role: ctx.opts.role as 'authenticated' | 'anon' | 'service_role',
        ttlSeconds: ctx.opts.ttl as number,
        extraClaims: ctx.opts.claims as Record<string, unknown> | undefined,
      });
      ctx.out.result(minted.token, { token: minted.token, claims: minted.claims, expiresAt: minted.expiresAt.toISOString() });
    });

  token
    .command('verify')
    .description('verify a token\'s signature, algorithm, expiry (with a 30 s clock-skew leeway), audience, subject and role')
    .argument('<jwt>', 'the token, or - to read it from stdin')
    .option('--secret <secret>', 'JWT secret (default: SUPABASE_JWT_SECRET, else the local secret)')
    .option('--remote', 'ask the Supabase project (SUPABASE_URL) whether it accepts the token')
    .addHelpText(
      'after',
      examples([
        'veloready token verify eyJhbGciOi...',
        'veloready token mint --athlete 1 | veloready token verify -',
        'SUPABASE_URL=https://abc.supabase.co SUPABASE_ANON_KEY=... veloready token verify --remote "$TOKEN"',
      ]),
    )
    .action(async (jwt: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { verifyToken, readTokenArg } = await import('../src/auth/token-service.js');
      const token = await readTokenArg(jwt);
      if (ctx.opts.remote) {
        const { verifyWithSupabase } = await import('../src/auth/remote-verify.js');
        const user = await verifyWithSupabase(ctx.config, token);
        ctx.out.info(`target: ${ctx.config.get('supabaseUrl')}`);
        ctx.out.result(`${ctx.out.color.green('accepted')} by ${ctx.config.get('supabaseUrl')} — user ${user.id} ${user.email ?? ''}`.trimEnd(), {
          valid: true,
          remote: ctx.config.get('supabaseUrl'),
          user,
        });
        return;
      }
      const { claims, expiresInSeconds, validity, withinLeeway, leewaySeconds } = await verifyToken(ctx, token);
      ctx.out.result(
        () => `${withinLeeway ? ctx.out.color.yellow('valid') : ctx.out.color.green('valid')} — ${validity}\n${JSON.stringify(claims, null, 2)}`,
        { valid: true, claims, expiresInSeconds, withinLeeway, leewaySeconds },
      );
    });

  token
    .command('decode')
    .description('print a token\'s header and claims WITHOUT verifying it')
    .argument('<jwt>', 'the token, or - to read it from stdin')
    .addHelpText('after', examples(['veloready token decode eyJhbGciOi...', 'pbpaste | veloready token decode -']))
    .action(async (jwt: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { readTokenArg } = await import('../src/auth/token-service.js');
      const { decodeJwt } = await import('../src/auth/jwt.js');
      const { header, claims } = decodeJwt(await readTokenArg(jwt));
      ctx.out.result(
        () =>
          `${ctx.out.color.yellow('not verified: signature, expiry and claims were NOT checked (use `token verify`)')}\n` +
          `header: ${JSON.stringify(header, null, 2)}\nclaims: ${JSON.stringify(claims, null, 2)}`,
        { verified: false, header, claims },
      );
    });
}
