import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Locally, tests that need a Postgres server or Chromium say so and skip. In CI they must run.
describe.runIf(process.env.CI === 'true')('CI runs every test', () => {
  it('has DATABASE_URL for the Postgres-backed tests', () => {
    expect(process.env.DATABASE_URL, 'CI must export DATABASE_URL (see .ci/run)').toMatch(/^postgres(ql)?:\/\//);
  });
  it('has Chromium for the browser test', () => {
    expect(existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), '.ci/run installs Debian\'s chromium').toBe(true);
  });
});
