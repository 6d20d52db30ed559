// The inspector's Requests view under sustained load: API requests offered at RATE a second for
// DURATION_S seconds over 50 connections, while headless Chromium shows the view. Prints the rate achieved,
// how long after the last answer the view listed every request, the rows in the DOM (a window,
// not every row) and the tab's longest task. Run `npm run build` first.
//   node bench/inspector.js            [RATE=500 DURATION_S=10 CHROMIUM=/usr/bin/chromium]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Agent, request } from 'undici';
import { mintAccessToken } from '../dist/src/auth/jwt.js';
import { systemClock } from '../dist/src/clock.js';
import { DEMO_ATHLETE_ID } from '../dist/src/serve/demo-data.js';
import { startServe } from '../dist/src/serve/start.js';

const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.DURATION_S ?? 10);
const TICK_MS = 100;
/** The page keeps the newest 5,000 requests (MAX_REQUESTS in src/inspector/assets/inspector.js). */
const PAGE_KEEPS = 5000;
const SECRET = 'bench-inspector-jwt-secret-0123456789abcdef';

const root = mkdtempSync(join(tmpdir(), 'veloready-bench-inspector-'));
const serve = await startServe({ dataDir: join(root, 'dd'), port: 0, pgPort: 0, jwtSecret: SECRET, schedule: false });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${serve.url}/_/#requests`);
  await page.locator('#live', { hasText: 'live' }).waitFor();
  await page.evaluate(() => {
    window.longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  const listed = async () => Number(/of (\d+) requests/.exec((await page.locator('#req-count').textContent()) ?? '')?.[1] ?? 0);

  const token = mintAccessToken({ secret: SECRET, clock: systemClock, athleteId: DEMO_ATHLETE_ID }).token;
  const client = new Agent({ connections: 50 });
  const get = async () => {
    const { statusCode, body } = await request(`${serve.url}/api/activities?limit=3`, { headers: { authorization: `Bearer ${token}` }, dispatcher: client });
    await body.arrayBuffer();
    if (statusCode !== 200) throw new Error(`answered ${statusCode}`);
  };
  await Promise.all(Array.from({ length: 200 }, get)); // warm: cache filled, connections open
  const before = await listed();

  const perTick = Math.round((RATE * TICK_MS) / 1000);
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const started = performance.now();
  const answered = [];
  for (let tick = 0; tick < ticks; tick++) {
    const wait = started + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (let i = 0; i < perTick; i++) answered.push(get());
  }
  await Promise.all(answered);
  const elapsed = performance.now() - started;
  const lastAnswer = performance.now();
  const sent = perTick * ticks;
  const expected = Math.min(before + sent, PAGE_KEEPS);
  while ((await listed()) < expected) {
    if (performance.now() - lastAnswer > 10_000) throw new Error(`the view listed ${(await listed()) - before} of ${sent} requests after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const lag = performance.now() - lastAnswer;
  const rows = await page.locator('.req-row').count();
  const longest = await page.evaluate(() => window.longest);
  await client.close();
  console.log(`offered ${RATE}/s for ${SECONDS} s: ${sent} requests answered in ${(elapsed / 1000).toFixed(1)} s (${Math.round((sent * 1000) / elapsed)}/s)`);
  console.log(`the view listed all of them ${lag.toFixed(0)} ms after the last answer; ${rows} rows in the DOM; longest task ${longest.toFixed(0)} ms`);
} finally {
  await browser.close();
  await serve.close();
  rmSync(root, { recursive: true, force: true });
}
