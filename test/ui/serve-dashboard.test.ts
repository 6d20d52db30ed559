import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { attachServeUi } from '../../src/serve/ui.js';
import { bannerLines, serveSummary } from '../../src/serve/summary.js';
import { startTestServe, type TestServe } from '../serve/helpers.js';

/** A terminal narrower than the token: ink would hard-wrap anything it lays out to this width. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 40;
  readonly rows = 24;
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

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
}, 120_000);
afterAll(async () => serve?.stop());

describe('the serve dashboard on a narrow terminal', () => {
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
    const state = { summary, banner: bannerLines(summary, true), requests: [], jobs: [], nextRuns: [] };
    const instance = render(React.createElement(ServeDashboard, { state }), { stdout: terminal as unknown as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
    instance.unmount();
    expect(terminal.text).toContain(`first run: seeded demo athlete ${serve.demo.athleteId} with a year of rides`);
    expect(terminal.text).toContain(serve.demo.token);
  });
});
