import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { REDACTED } from '../../src/util/redact.js';
import { bearer, startTestServe, type TestServe } from '../serve/helpers.js';

// Callbacks given to page.evaluate run in the browser; the test's typecheck has Node's library
// only, so the few browser names they use are declared here (loosely) instead of adding `dom`
// to every test's globals.
interface PageElement { labels?: { length: number } | null; getAttribute(name: string): string | null; tagName: string; textContent: string | null }
declare const window: Record<string, unknown> & { scrollTo(x: number, y: number): void };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const document: { querySelectorAll(selector: string): Iterable<PageElement>; documentElement: { scrollWidth: number } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`inspector browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Screenshots of every view at both sizes land here; the run starts by emptying it. */
const SHOTS = join(process.cwd(), 'test-output', 'inspector');
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const VIEWS = ['overview', 'requests', 'functions', 'jobs', 'cache', 'data', 'athletes'] as const;

let serve: TestServe;
let browser: Browser;
let context: BrowserContext;

async function openInspector(view: string, size: { width: number; height: number } = SIZES[0]): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewportSize(size);
  await page.goto(`${serve.url}/_/#${view}`);
  await page.locator('#live', { hasText: 'live' }).waitFor();
  return page;
}

const activities = (token: string) => fetch(`${serve.url}/api/activities?limit=3`, { headers: bearer(token) });

describe.skipIf(!haveChromium)('inspector in headless Chromium', () => {
  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    serve = await startTestServe({ seedAthletes: 2 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serve.url });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('paints the page within 200 ms on localhost (best of 5 loads of a warm browser)', async () => {
    const paints: number[] = [];
    for (let i = 0; i < 6; i++) {
      const page = await openInspector('overview');
      const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
      // The first page of a fresh Chromium pays for the browser's own start-up.
      if (i > 0 && paint !== undefined) paints.push(paint);
      await page.close();
    }
    console.log(`inspector first contentful paint: ${paints.map((p) => p.toFixed(0)).join(', ')} ms`);
    expect(paints.length).toBe(5);
    expect(Math.min(...paints)).toBeLessThan(200);
  });

  it('shows a new API call in Requests within 1 s, and its detail with Authorization redacted', async () => {
    const page = await openInspector('requests');
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    const response = await activities(token);
    // Timed from the answer: how soon the inspector shows a request, not how long the function took.
    const sent = Date.now();
    const requestId = response.headers.get('x-nf-request-id')!;
    const row = page.locator(`.req-row[data-id="${requestId}"]`);
    await row.waitFor({ timeout: 1000 });
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(await row.textContent()).toContain('/api/activities?limit=3');
    await row.click();
    const auth = page.locator('#req-detail table.headers tr', { hasText: 'authorization' }).first();
    await auth.waitFor().catch(async (e) => { console.log(await page.locator('#req-detail').innerHTML()); throw e; });
    expect(await auth.textContent()).toContain(REDACTED);
    expect(await page.locator('#req-detail').textContent()).not.toContain(token);
    // The athlete filter knows who asked.
    await page.fill('#f-athlete', String(DEMO_ATHLETE_ID));
    await row.waitFor();
    await page.fill('#f-athlete', '1');
    await row.waitFor({ state: 'detached' });
    await page.close();
  });

  it('copies an access token from Athletes that the API accepts', async () => {
    const page = await openInspector('athletes');
    await page.locator(`#view-athletes button[data-athlete="${DEMO_ATHLETE_ID}"]`).click();
    await page.locator('#toast', { hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(/^eyJ/);
    expect((await activities(copied)).status).toBe(200);
    await page.close();
  });

  it("purges an athlete's cache with a confirmation; the next request misses", async () => {
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    await activities(token);
    expect((await activities(token)).headers.get('x-cache')).toBe('HIT');
    const page = await openInspector('cache');
    await page.fill('#c-athlete', String(DEMO_ATHLETE_ID));
    await page.click('#purge-athlete');
    await page.locator('#confirm[open]').waitFor();
    await page.click('#confirm-ok');
    await page.locator('#toast', { hasText: 'Purged' }).waitFor();
    expect((await activities(token)).headers.get('x-cache')).toBe('MISS');
    await page.close();
  });

  it('runs a scheduled function and follows its job to the end', async () => {
    const page = await openInspector('functions');
    // The Jobs list reaches the page as it was while the run was going, after the run's end has
    // come as a live event (a busy machine answers the list slowly): it must not undo that end.
    let listed = false;
    await page.route('**/_/api/jobs', async (route) => {
      const response = await route.fetch();
      const view = (await response.json()) as { jobs: Array<{ function: string; status: string; finishedAt: string | null }> };
      for (const job of view.jobs) if (job.function === 'cleanup') Object.assign(job, { status: 'running', finishedAt: null });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      listed = true;
      await route.fulfill({ response, json: view });
    });
    await page.click('button[data-run="cleanup"]');
    await page.waitForURL(/#jobs$/);
    // cleanup sweeps every expired row and blob: seconds on a busy two-core machine.
    await page.locator('#job-follow [data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => listed, { timeout: 10_000 }).toBe(true);
    await page.waitForTimeout(500);
    expect(await page.locator('#job-follow [data-status]').getAttribute('data-status')).toBe('succeeded');
    expect(await page.locator('#job-follow').textContent()).toContain('cleanup');
    await page.close();
  }, 45_000);

  it('pages through activities filtered by athlete_id', async () => {
    const page = await openInspector('data');
    await page.click('button[data-table="activities"]');
    await page.locator('#rows-range').waitFor();
    await page.fill('#d-athlete', String(DEMO_ATHLETE_ID));
    await page.press('#d-athlete', 'Enter');
    await page.locator('#rows-range', { hasText: /^rows 1–25 of \d+/ }).waitFor();
    await page.click('#rows-next');
    await page.locator('#rows-range', { hasText: /^rows 26–50 of \d+/ }).waitFor();
    const athleteCells = await page.locator('#rows-box table tbody tr td:nth-child(2)').allTextContents();
    expect(athleteCells.length).toBe(25);
    await page.close();
  });

  it('runs the RLS matrix and colours every cell', async () => {
    const page = await openInspector('data');
    await page.click('#run-rls');
    await page.locator('#rls-verdict', { hasText: 'PASS' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#rls-box td.pass').count()).toBeGreaterThan(10);
    expect(await page.locator('#rls-box td.fail').count()).toBe(0);
    expect(await page.locator('#rls-box th', { hasText: 'anon' }).count()).toBeGreaterThan(0);
    await page.close();
  });

  it('keeps up with 500 requests/s for 4 s: every request listed within 2 s of the last, a window of rows, no long tasks', async () => {
    const page = await openInspector('requests');
    await page.evaluate(() => {
      (window as unknown as { longest: number }).longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) (window as unknown as { longest: number }).longest = Math.max((window as unknown as { longest: number }).longest, e.duration);
      }).observe({ type: 'longtask' as 'mark', buffered: false });
    });
    const listed = async (): Promise<number> => Number(/of (\d+) requests/.exec((await page.locator('#req-count').textContent()) ?? '')?.[1] ?? 0);
    const before = await listed();
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    // A client with 50 connections, as a load generator (or many app instances) would hold.
    const client = new Agent({ connections: 50 });
    const get = async (): Promise<number> => {
      const { statusCode, body } = await request(`${serve.url}/api/activities?limit=3`, { headers: bearer(token), dispatcher: client });
      await body.arrayBuffer();
      return statusCode;
    };
    // 50 requests every 100 ms, on schedule whether or not the earlier ones have been answered.
    const TICKS = 40;
    const PER_TICK = 50;
    const started = Date.now();
    const answered: Array<Promise<number>> = [];
    for (let tick = 0; tick < TICKS; tick++) {
      const wait = started + tick * 100 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let i = 0; i < PER_TICK; i++) answered.push(get());
    }
    const statuses = await Promise.all(answered);
    await client.close();
    const elapsed = Date.now() - started;
    const sent = TICKS * PER_TICK;
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const lastAnswer = Date.now();
    await expect.poll(listed, { timeout: 2000, interval: 50 }).toBeGreaterThanOrEqual(before + sent);
    const caughtUp = Date.now() - lastAnswer;
    const rows = await page.locator('.req-row').count();
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    console.log(`${sent} requests in ${elapsed} ms (${Math.round((sent * 1000) / elapsed)}/s); listed ${caughtUp} ms after the last answer; ${rows} rows in the DOM; longest task ${longest.toFixed(0)} ms`);
    expect(rows).toBeLessThan(80);
    // The tab never freezes (measured ~110-200 ms on a shared two-core machine under load).
    expect(longest).toBeLessThan(500);
    await page.close();
  }, 60_000);

  it('labels every control and is usable from the keyboard', async () => {
    const page = await openInspector('requests');
    await activities(serve.tokenFor(DEMO_ATHLETE_ID));
    await page.locator('.req-row').first().waitFor();
    await page.focus('#req-list');
    await page.keyboard.press('ArrowDown');
    await page.locator('#req-detail h3').first().waitFor();
    for (const view of VIEWS) {
      await page.goto(`${serve.url}/_/#${view}`);
      await page.locator(`#view-${view} .body > *`).first().waitFor();
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, button')].filter((e) => {
          return !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent?.trim()));
        }).length,
      );
      expect(unlabelled, view).toBe(0);
    }
    await page.close();
  }, 60_000);

  it('saves a screenshot of every view at 1280×800 and 390×844', async () => {
    await activities(serve.tokenFor(DEMO_ATHLETE_ID));
    for (const size of SIZES) {
      const page = await openInspector('overview', size);
      for (const view of VIEWS) {
        await page.goto(`${serve.url}/_/#${view}`);
        await page.locator(`#view-${view} .body > *`).first().waitFor();
        if (view === 'requests') await page.locator('.req-row').first().click();
        if (view === 'requests') await page.locator('#req-detail h3').first().waitFor();
        if (view === 'data') {
          await page.click('button[data-table="activities"]');
          await page.locator('#rows-range').waitFor();
          await page.click('#run-rls');
          await page.locator('#rls-verdict').waitFor({ timeout: 20_000 });
        }
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(scrollWidth, `${view} at ${size.width}px scrolls sideways`).toBeLessThanOrEqual(size.width);
        if (view === 'data') await page.locator('#rls-box').screenshot({ path: join(SHOTS, `rls-matrix-${size.name}.png`) });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(SHOTS, `${view}-${size.name}.png`) });
      }
      await page.close();
    }
    for (const view of VIEWS) expect(existsSync(join(SHOTS, `${view}-phone.png`))).toBe(true);
  }, 120_000);
});
