import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { attachServeUi } from '../../src/serve/ui.js';
import { bannerLines, serveSummary } from '../../src/serve/summary.js';
import { eventually } from '../runtime/helpers.js';
import { startTestServe, type TestServe } from '../serve/helpers.js';

/** A terminal, by default narrower than the token: ink would hard-wrap anything it lays out to this width. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly rows = 24;
  constructor(readonly columns = 40) {
    super();
  }
  private readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdHJhdmEtMTA0NjYyIn0.Zm9vYmFyYmF6cXV4';

// serve in a site with one function of its own (and the built-ins for everything else), watching it.
let site: string;
let serve: TestServe;
beforeAll(async () => {
  site = mkdtempSync(join(tmpdir(), 'vr-site-dashboard-'));
  mkdirSync(join(site, 'netlify', 'functions'), { recursive: true });
  writeFileSync(join(site, 'netlify', 'functions', 'greet.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'hi' });\n");
  serve = await startTestServe({ cwd: site });
}, 120_000);
afterAll(async () => {
  await serve?.stop();
  rmSync(site, { recursive: true, force: true });
});

/** The dashboard on a wide terminal while `during` runs; what it drew, colours removed. */
async function dashboardWhile(during: () => Promise<void>): Promise<string> {
  vi.stubEnv('CI', undefined);
  vi.stubEnv('CONTINUOUS_INTEGRATION', undefined);
  const terminal = new FakeTerminal(200);
  const ui = await attachServeUi(new Output({ json: false, color: true, verbose: false, stdout: terminal, stderr: terminal }), serve, { ui: true });
  try {
    await during();
  } finally {
    await ui.close();
    vi.unstubAllEnvs();
  }
  return stripVTControlCharacters(terminal.text);
}

describe('the serve dashboard', () => {
  it('prints the banner once above the live part: the token and the curl line each unbroken, so they paste', async () => {
    // A terminal, not CI: the dashboard draws as it would for a user (ink's log-update path).
    vi.stubEnv('CI', undefined);
    vi.stubEnv('CONTINUOUS_INTEGRATION', undefined);
    const terminal = new FakeTerminal();
    const out = new Output({ json: false, color: true, verbose: false, stdout: terminal, stderr: terminal });
    expect(out.interactive).toBe(true);
    const ui = await attachServeUi(out, serve, { ui: true });
    try {
      await (await fetch(`${serve.url}/api/jobs/${JWT}`)).text();
      await (await fetch(`${serve.url}/some/${JWT}/path`)).text();
    } finally {
      await ui.close();
      vi.unstubAllEnvs();
    }
    const raw = terminal.text;
    const summary = serveSummary(serve);
    // Whole, with no newline or colour code inside (raw output, not cleaned up).
    expect(raw).toContain(serve.demo.token);
    expect(raw).toContain(summary.curl);
    expect(raw).toContain(`  token      ${serve.demo.token}\n`);
    expect(raw).toContain(`demo athlete ${serve.demo.athleteId}`);

    const shown = stripVTControlCharacters(raw);
    expect(shown.indexOf(summary.curl)).toBeLessThan(shown.indexOf('Functions'));
    // The request log in the dashboard: the path's token redacted, the rest of the path shown.
    expect(shown).toContain('/some/[REDACTED]/path');
    expect(shown.replace(/\s+/g, '')).not.toContain(JWT.split('.')[2]);
  });

  it('on a first run the dashboard says what was seeded', async () => {
    const [{ render }, React, { ServeDashboard }] = await Promise.all([import('ink'), import('react'), import('../../src/ui/serve-dashboard.js')]);
    const terminal = new FakeTerminal();
    const summary = serveSummary(serve);
    const state = { summary, banner: bannerLines(summary, true), functions: summary.functions, requests: [], jobs: [], nextRuns: [] };
    const instance = render(React.createElement(ServeDashboard, { state }), { stdout: terminal as unknown as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
    instance.unmount();
    expect(terminal.text).toContain(`first run: seeded demo athlete ${serve.demo.athleteId} with a year of rides`);
    expect(terminal.text).toContain(serve.demo.token);
  });

  it("lists the project's functions with their file and kind, and follows a function saved while serve runs", async () => {
    const drawn = await dashboardWhile(async () => {
      writeFileSync(join(site, 'netlify', 'functions', 'added-later.mts'), "export default async () => new Response('new');\nexport const config = { path: '/api/added' };\n");
      await eventually(async () => (serve.functions.get('added-later') ? true : undefined));
      // The dashboard redraws at most every 100 ms.
      await new Promise((r) => setTimeout(r, 300));
    });
    expect(drawn).toMatch(/Functions {2}1 from the project, \d+ built-in/);
    expect(drawn).toMatch(/ greet +sync +netlify\/functions\/greet\.mjs +\/\.netlify\/functions\/greet\n/);
    expect(drawn).toMatch(/Functions {2}2 from the project, \d+ built-in/);
    expect(drawn).toMatch(/ added-later +sync +netlify\/functions\/added-later\.mts +\/api\/added\n/);
    expect(drawn).toMatch(/ api-streams +sync +built-in +\S+/);
  });
});
