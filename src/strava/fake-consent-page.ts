/** The fake Strava's consent page: pick a seeded athlete to authorize as. */
import type { FakeAthlete } from './generator.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const CONSENT_PAGE_MAX_ATHLETES = 100;

export function consentPage(action: string, hidden: Record<string, string>, athletes: readonly FakeAthlete[]): string {
  const fields = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const rows = athletes
    .slice(0, CONSENT_PAGE_MAX_ATHLETES)
    .map((a) => {
      const p = a.profile;
      const label = `${p.firstname} ${p.lastname} — ${p.city ?? ''} (id ${p.id}, FTP ${a.ftp} W, ${a.fitnessLevel})`;
      return `<li><button type="submit" name="athlete_id" value="${p.id}">${escapeHtml(label)}</button></li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize — fake Strava</title>
<style>body{font:16px system-ui;max-width:40rem;margin:2rem auto}li{list-style:none;margin:.3rem 0}button{width:100%;text-align:left;padding:.5rem}</style>
</head><body>
<h1>Authorize access (fake Strava)</h1>
<p>Scope: <code>${escapeHtml(hidden.scope ?? '')}</code>. Pick the athlete to sign in as:</p>
<form method="post" action="${escapeHtml(action)}">${fields}
<ul>
${rows}
</ul>
<button type="submit" name="deny" value="1">Cancel</button>
</form></body></html>`;
}
