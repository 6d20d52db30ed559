import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { systemClock } from '../../src/clock.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { startTestServe, TEST_SECRET, type TestServe } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// .ci/run installs Debian's chromium; elsewhere the test says why it skips.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let serve: TestServe;
let browser: Browser;

describe.skipIf(!haveChromium)('OAuth consent page in headless Chromium', () => {
  beforeAll(async () => {
    serve = await startTestServe();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('pick an athlete → land on the app\'s deep link with working tokens', async () => {
    const page = await browser.newPage();
    const callback = `${serve.url}/oauth/strava/callback`;
    const authorize = `${serve.url}/strava/oauth/authorize?client_id=${serve.fakeStrava!.clientId}&response_type=code&scope=read,activity:read_all&state=app-state-42&redirect_uri=${encodeURIComponent(callback)}`;
    await page.goto(authorize);
    expect(await page.title()).toContain('Authorize');
    const button = page.locator(`button[value="${DEMO_ATHLETE_ID}"]`);
    expect(await button.textContent()).toContain(`id ${DEMO_ATHLETE_ID}`);

    const landed = page.waitForResponse((r) => r.url().startsWith(callback));
    await button.click();
    const response = await landed;
    expect(response.status()).toBe(302);
    const deepLink = new URL(response.headers()['location']!);
    expect(deepLink.protocol).toBe('veloready:');
    expect(deepLink.searchParams.get('state')).toBe('app-state-42');
    expect(deepLink.searchParams.get('athlete_id')).toBe(String(DEMO_ATHLETE_ID));
    const claims = verifyAccessToken(deepLink.searchParams.get('access_token')!, { secret: TEST_SECRET, clock: systemClock });
    expect(claims.sub).toBe(userIdForAthlete(DEMO_ATHLETE_ID));
    expect(deepLink.searchParams.get('refresh_token')).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const api = await fetch(`${serve.url}/api/activities?limit=1`, { headers: { authorization: `Bearer ${deepLink.searchParams.get('access_token')}` } });
    expect(api.status).toBe(200);
    await page.close();
  }, 60_000);
});
