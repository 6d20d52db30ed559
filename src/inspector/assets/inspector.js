// veloready inspector: plain DOM, no framework, no network beyond its own origin.
// Every text goes in through textContent (never innerHTML): request paths and cache values are untrusted.
'use strict';

const TOKEN = document.querySelector('meta[name="veloready-token"]').content;
const VIEWS = ['overview', 'requests', 'functions', 'jobs', 'cache', 'data', 'athletes'];
const MAX_REQUESTS = 5000;
const ROW_HEIGHT = 32;
const OVERSCAN = 8;

// ---- small helpers ----
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** replaceChildren for nested lists of nodes (sections built with ternaries and maps). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

async function api(path, opts = {}) {
  const init = { method: opts.method || 'GET', headers: { 'x-veloready-token': TOKEN } };
  if (opts.body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const r = await fetch(`/_/api${path}`, init);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((data.error && `${data.error.code}: ${data.error.message}`) || `HTTP ${r.status}`);
  return data;
}
const post = (path, body = {}) => api(path, { method: 'POST', body });

let toastTimer;
function toast(message) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 2500);
}
const fail = (err) => toast(err instanceof Error ? err.message : String(err));

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toast(`Copied ${what}`);
}
const copyButton = (text, what, label = 'Copy') => h('button', { class: 'small', type: 'button', 'aria-label': `${label} ${what}`, onclick: () => copy(typeof text === 'function' ? text() : text, what) }, label);

function confirmAction(message) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = message;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    document.getElementById('confirm-ok').focus();
  });
}

const fmtTime = (iso) => (iso ? iso.slice(11, 23) : '—');
const fmtDate = (iso) => (iso ? iso.replace('T', ' ').slice(0, 19) : '—');
const fmtMs = (ms) => (ms === null || ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const fmtBytes = (n) => (n === null || n === undefined ? '—' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const statusBadge = (s) => h('span', { class: `badge s${String(s)[0]}` }, String(s));
const cacheBadge = (c) => (c ? h('span', { class: `badge ${c === 'HIT' ? 'hit' : 'miss'}` }, c) : '');
function table(headers, rows, cls, wrapCls) {
  // Each cell names its column, so a narrow screen can stack a row as "label: value" lines.
  const labels = headers.map((x) => (typeof x === 'string' ? x : typeof x.label === 'string' ? x.label : ''));
  for (const tr of rows) [...tr.children].forEach((td, i) => labels[i] && (td.dataset.label = labels[i]));
  return h('div', { class: `table-wrap ${wrapCls || ''}` }, h('table', { class: cls || '' }, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', class: x.cls || '' }, x.label || x)))), h('tbody', {}, rows)));
}
function bodyOf(view) {
  return document.querySelector(`#view-${view} .body`);
}

// ---- routing ----
const loaded = {};
function show(view) {
  if (!VIEWS.includes(view)) view = 'overview';
  for (const v of VIEWS) document.getElementById(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('.top nav a')) {
    if (a.getAttribute('href') === `#${view}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  current = view;
  (loaders[view] || (() => undefined))();
  if (view === 'requests') renderRequests();
}
let current = 'overview';
window.addEventListener('hashchange', () => {
  show(location.hash.slice(1));
  document.getElementById('main').focus({ preventScroll: true });
});

// ---- live events ----
let requests = []; // newest first
const jobs = new Map();
function connect() {
  const live = document.getElementById('live');
  const es = new EventSource('/_/api/events');
  es.addEventListener('open', () => (live.textContent = '● live'));
  es.addEventListener('error', () => (live.textContent = 'reconnecting…'));
  es.addEventListener('requests', (e) => {
    const batch = JSON.parse(e.data);
    requests = batch.reverse().concat(requests);
    if (requests.length > MAX_REQUESTS) requests.length = MAX_REQUESTS;
    for (const r of batch) knownFunctions.add(r.function || '');
    if (current === 'requests') scheduleRequests();
  });
  es.addEventListener('job', (e) => {
    const job = JSON.parse(e.data);
    jobs.set(job.id, { ...jobs.get(job.id), ...job });
    if (current === 'jobs') scheduleJobs();
  });
}

// ---- Overview ----
function kvRow(label, value, opts = {}) {
  return [h('dt', {}, label), h('dd', {}, h('code', { class: opts.secret ? 'secret' : '' }, value), opts.copy ? copyButton(value, label) : '')];
}
async function loadOverview() {
  const body = bodyOf('overview');
  try {
    const [o, a] = await Promise.all([api('/overview'), api('/athletes')]);
    fill(body, 
      h('div', { class: 'counts' }, Object.entries(o.counts).map(([k, v]) => h('div', { class: 'count' }, h('b', {}, String(v)), k))),
      h('div', { class: 'grid2' },
        h('div', { class: 'card' }, h('h3', {}, 'URLs'), h('dl', { class: 'kv' }, Object.entries(o.urls).flatMap(([k, v]) => kvRow(k, v, { copy: true }))),
          h('h3', {}, 'Database'), h('p', {}, h('code', {}, o.database))),
        h('div', { class: 'card' }, h('h3', {}, 'Keys (veloready keys)'), h('dl', { class: 'kv' }, Object.entries(o.keys).flatMap(([k, v]) => kvRow(k, v, { copy: true, secret: true }))),
          h('h3', {}, 'Netlify Blobs'), h('dl', { class: 'kv' }, kvRow('context', o.blobsContext, { copy: true, secret: true })))),
      h('h3', {}, 'Access tokens'),
      table(['Athlete', 'Name', { label: 'Activities', cls: 'num' }, ''], a.athletes.slice(0, 20).map((x) => h('tr', {}, h('td', {}, String(x.id)), h('td', {}, x.name || '—'), h('td', { class: 'num' }, String(x.activities)), h('td', {}, tokenButton(x.id))))),
    );
  } catch (err) {
    fill(body, h('p', { class: 'empty' }, String(err.message)));
  }
}
function tokenButton(id) {
  return h('button', { type: 'button', class: 'small', 'data-athlete': id, onclick: async () => {
    try {
      const { token } = await post(`/athletes/${id}/token`);
      await copy(token, `access token for athlete ${id}`);
    } catch (err) { fail(err); }
  } }, 'Copy access token');
}

// ---- Requests ----
const knownFunctions = new Set();
const filters = { fn: '', status: '', athlete: '' };
let selectedRequest;
let requestsFrame = 0;
function scheduleRequests() {
  if (!requestsFrame) requestsFrame = requestAnimationFrame(() => { requestsFrame = 0; renderRequests(); });
}
let reqDom;
function buildRequestsView() {
  const fnSelect = h('select', { id: 'f-fn', onchange: (e) => { filters.fn = e.target.value; renderRequests(); } }, h('option', { value: '' }, 'all'));
  const statusSelect = h('select', { id: 'f-status', onchange: (e) => { filters.status = e.target.value; renderRequests(); } },
    ['', '2', '3', '4', '5'].map((s) => h('option', { value: s }, s ? `${s}xx` : 'all')));
  const athleteInput = h('input', { id: 'f-athlete', inputmode: 'numeric', placeholder: 'id', size: 10, oninput: (e) => { filters.athlete = e.target.value.trim(); renderRequests(); } });
  const spacer = h('div', { class: 'spacer' });
  const list = h('div', { class: 'req-list', id: 'req-list', role: 'listbox', 'aria-label': 'Requests, newest first', tabindex: '0', onscroll: () => scheduleRequests(), onkeydown: onListKey },
    h('div', { class: 'req-head', 'aria-hidden': 'true' }, h('span', {}, 'time'), h('span', {}, 'method'), h('span', {}, 'path'), h('span', { class: 'wide' }, 'function'), h('span', {}, 'status'), h('span', { class: 'wide' }, 'ms'), h('span', {}, 'cache')),
    spacer);
  const detail = h('div', { class: 'req-detail card', id: 'req-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Pick a request to see its headers, body and log lines.'));
  const count = h('span', { class: 'muted', id: 'req-count' });
  bodyOf('requests').replaceChildren(
    h('div', { class: 'toolbar' },
      h('label', { for: 'f-fn' }, 'Function', fnSelect),
      h('label', { for: 'f-status' }, 'Status', statusSelect),
      h('label', { for: 'f-athlete' }, 'Athlete', athleteInput),
      count),
    h('div', { class: 'req-layout' }, list, detail));
  reqDom = { list, spacer, detail, fnSelect, count, rows: [] };
}
function visibleRequests() {
  const { fn, status, athlete } = filters;
  if (!fn && !status && !athlete) return requests;
  return requests.filter((r) => (!fn || r.function === fn) && (!status || String(r.status)[0] === status) && (!athlete || String(r.athleteId ?? '') === athlete));
}
function requestRow() {
  const cells = [h('span', { class: 'mono' }), h('span'), h('span', { class: 'mono' }), h('span', { class: 'wide' }), h('span', {}, h('span')), h('span', { class: 'wide mono' }), h('span', {}, h('span'))];
  const row = h('button', { type: 'button', class: 'req-row', role: 'option', tabindex: '-1', onclick: () => openRequest(row.dataset.id) }, cells);
  row.cells = cells;
  return row;
}
function fillRow(row, r, i) {
  const c = row.cells;
  row.dataset.id = r.requestId;
  row.setAttribute('aria-selected', r.requestId === selectedRequest ? 'true' : 'false');
  row.style.top = `${(i + 1) * ROW_HEIGHT}px`;
  c[0].textContent = fmtTime(r.time);
  c[1].textContent = r.method;
  c[2].textContent = r.path;
  c[2].title = r.path;
  c[3].textContent = r.function || '—';
  c[4].firstChild.textContent = String(r.status);
  c[4].firstChild.className = `badge s${String(r.status)[0]}`;
  c[5].textContent = String(r.ms);
  c[6].firstChild.textContent = r.cache || '';
  c[6].firstChild.className = r.cache ? `badge ${r.cache === 'HIT' ? 'hit' : 'miss'}` : '';
}
function renderRequests() {
  if (!reqDom) buildRequestsView();
  const { list, spacer, fnSelect, count } = reqDom;
  const have = new Set([...fnSelect.options].map((o) => o.value));
  for (const f of knownFunctions) if (f && !have.has(f)) fnSelect.append(h('option', { value: f }, f));
  const shown = visibleRequests();
  count.textContent = `${shown.length} of ${requests.length} requests`;
  spacer.style.height = `${shown.length * ROW_HEIGHT + ROW_HEIGHT}px`;
  // A window of rows: only what the list shows (plus a few) is in the DOM, however many arrived;
  // the row elements are reused, only their text changes.
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const rows = reqDom.rows;
  while (rows.length < last - first) {
    const row = requestRow();
    rows.push(row);
    list.append(row);
  }
  while (rows.length > last - first) rows.pop().remove();
  for (let i = first; i < last; i++) fillRow(rows[i - first], shown[i], i);
}
function onListKey(e) {
  if (!['ArrowDown', 'ArrowUp', 'Enter'].includes(e.key)) return;
  e.preventDefault();
  const shown = visibleRequests();
  let i = shown.findIndex((r) => r.requestId === selectedRequest);
  if (e.key === 'ArrowDown') i = Math.min(shown.length - 1, i + 1);
  if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
  if (shown[i]) openRequest(shown[i].requestId);
}
function headerTable(headers) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'headers' }, h('tbody', {}, Object.entries(headers).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v))))));
}
function bodyBlock(body) {
  if (!body || body.text === null) return h('p', { class: 'muted' }, body && body.bytes ? `${fmtBytes(body.bytes)} (not kept)` : 'no body');
  return [h('p', { class: 'muted' }, `${fmtBytes(body.bytes)}${body.truncated ? ' — truncated' : ''}`), h('pre', {}, body.text)];
}
async function openRequest(id) {
  selectedRequest = id;
  renderRequests();
  const detail = reqDom.detail;
  try {
    const d = await api(`/requests/${encodeURIComponent(id)}`);
    const e = d.entry;
    fill(detail, 
      h('h3', {}, `${e.method} ${e.path}`),
      h('p', {}, statusBadge(e.status), ' ', cacheBadge(e.cache), ` ${e.function || 'no function'} · ${e.ms} ms · `, h('code', {}, e.requestId)),
      h('div', { class: 'toolbar' }, copyButton(d.curl, 'request as curl', 'Copy as curl')),
      d.captured
        ? [h('h3', {}, 'Request headers'), headerTable(d.request.headers), h('h3', {}, 'Request body'), bodyBlock(d.request.body),
           h('h3', {}, 'Response headers'), headerTable(d.response.headers), h('h3', {}, 'Response body'), bodyBlock(d.response.body)]
        : h('p', { class: 'muted' }, 'Headers and bodies are kept only while the inspector is open; this request came before.'),
      h('h3', {}, 'Function log lines'),
      d.logs.length ? d.logs.map((l) => h('pre', {}, `${l.time} ${l.status} ${l.message}`)) : h('p', { class: 'muted' }, 'none for this request id'));
  } catch (err) {
    fill(detail, h('p', { class: 'empty' }, err.message));
  }
}
async function loadRequests() {
  if (loaded.requests) return;
  loaded.requests = true;
  try {
    const { requests: recent } = await api('/requests');
    const seen = new Set(requests.map((r) => r.requestId));
    for (const r of recent) if (!seen.has(r.requestId)) requests.push(r);
    requests.sort((a, b) => (a.requestId < b.requestId ? 1 : -1));
    for (const r of recent) knownFunctions.add(r.function || '');
    renderRequests();
  } catch (err) { fail(err); }
}

// ---- Functions ----
async function loadFunctions() {
  const body = bodyOf('functions');
  try {
    const { functions } = await api('/functions');
    fill(body, table(['Name', 'Source', 'Kind', 'Routes', 'Schedule', 'Next run', ''], functions.map((f) => h('tr', {},
      h('td', {}, h('code', {}, f.name)), h('td', {}, f.source), h('td', {}, f.kind), h('td', {}, f.routes.map((r) => h('div', { class: 'mono' }, r))),
      h('td', {}, f.schedule || '—'), h('td', {}, fmtDate(f.nextRun)),
      h('td', {}, f.runnable ? runControls(f) : ''))), '', 'stack'));
  } catch (err) { fill(body, h('p', { class: 'empty' }, err.message)); }
}
function runControls(f) {
  const input = f.kind === 'background' ? h('input', { 'aria-label': `JSON body for ${f.name}`, value: '{}', size: 16, class: 'mono' }) : null;
  const button = h('button', { type: 'button', class: 'small primary', 'data-run': f.name, onclick: async () => {
    try {
      const body = input ? JSON.parse(input.value || '{}') : undefined;
      const { job } = await post(`/functions/${encodeURIComponent(f.name)}/run`, body === undefined ? {} : { body });
      takeJob({ ...job, kind: f.kind === 'scheduled' ? 'scheduled' : 'background' });
      followed = job.id;
      toast(`Started ${f.name}`);
      location.hash = '#jobs';
    } catch (err) { fail(err); }
  } }, 'Run now');
  return h('span', { class: 'toolbar' }, input, button);
}

// ---- Jobs ----
let followed;
let backfills = [];
const ended = (status) => status === 'succeeded' || status === 'failed';
/**
 * Takes a job from a snapshot (the /jobs list, a run's answer), which can be older than the live
 * events already received: an ended job never goes back to running.
 */
function takeJob(job) {
  const known = jobs.get(job.id);
  if (known && ended(known.status) && !ended(job.status)) return;
  jobs.set(job.id, { ...known, ...job });
}
let jobsFrame = 0;
function scheduleJobs() {
  if (!jobsFrame) jobsFrame = requestAnimationFrame(() => { jobsFrame = 0; renderJobs(); });
}
async function loadJobs() {
  try {
    const view = await api('/jobs');
    for (const j of view.jobs) takeJob(j);
    backfills = view.backfills;
    renderJobs();
  } catch (err) { fail(err); }
}
function progressText(p) {
  if (!p) return '—';
  if (p.pages_fetched !== undefined) return `${p.status || ''} pages ${p.pages_fetched}, activities ${p.activities_upserted}`;
  return Object.entries(p).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}
function renderJobs() {
  const list = [...jobs.values()].sort((a, b) => (b.createdAt || '').localeCompare(a.createdAt || ''));
  const body = bodyOf('jobs');
  const follow = followed && jobs.get(followed);
  fill(body, 
    follow ? h('div', { class: 'card', id: 'job-follow', 'aria-live': 'polite' }, h('h3', {}, `Following ${follow.function} `, h('code', {}, follow.id)), h('p', {}, h('span', { class: `badge ${follow.status === 'succeeded' ? 'pass' : follow.status === 'failed' ? 'fail' : 'skipv'}`, 'data-status': follow.status }, follow.status)), h('pre', {}, JSON.stringify(follow, null, 2))) : '',
    h('h3', {}, 'Background jobs and scheduled runs'),
    list.length
      ? table(['Function', 'Kind', 'Status', 'Progress', 'Error', 'Created', 'Finished', ''], list.map((j) => h('tr', { 'data-job': j.id },
          h('td', {}, h('code', {}, j.function)), h('td', {}, j.kind || ''), h('td', {}, h('span', { class: `badge ${j.status === 'succeeded' ? 'pass' : j.status === 'failed' ? 'fail' : 'skipv'}` }, j.status)),
          h('td', {}, progressText(j.progress)), h('td', {}, j.error ? `${j.error.code}: ${j.error.message}` : '—'), h('td', {}, fmtDate(j.createdAt)), h('td', {}, fmtDate(j.finishedAt)),
          h('td', {}, h('button', { type: 'button', class: 'small', onclick: () => { followed = j.id; renderJobs(); } }, 'Follow')))), '', 'stack')
      : h('p', { class: 'empty' }, 'No jobs yet: run a background or scheduled function from Functions.'),
    h('h3', {}, 'Backfill jobs (database)'),
    backfills.length
      ? table(['Job', 'Athlete', 'Status', 'Pages', 'Activities', 'Error', 'Created', ''], backfills.map((b) => h('tr', {},
          h('td', {}, h('code', {}, b.id.slice(0, 8))), h('td', {}, String(b.athlete_id)), h('td', {}, b.status), h('td', { class: 'num' }, String(b.pages_fetched)), h('td', { class: 'num' }, String(b.activities_upserted)),
          h('td', {}, b.error || '—'), h('td', {}, fmtDate(b.created_at)),
          h('td', {}, b.status === 'failed' ? h('button', { type: 'button', class: 'small primary', onclick: async () => {
            try { const { job } = await post(`/backfills/${b.id}/resume`); takeJob({ ...job, kind: 'background' }); followed = job.id; renderJobs(); } catch (err) { fail(err); }
          } }, 'Resume') : ''))), '', 'stack')
      : h('p', { class: 'empty' }, 'No backfill jobs.'));
}

// ---- Cache ----
const cacheFilter = { athlete: '', kind: '' };
async function loadCache() {
  const body = bodyOf('cache');
  try {
    const q = new URLSearchParams();
    if (cacheFilter.athlete) q.set('athlete', cacheFilter.athlete);
    if (cacheFilter.kind) q.set('kind', cacheFilter.kind);
    const c = await api(`/cache?${q}`);
    const athleteInput = h('input', { id: 'c-athlete', inputmode: 'numeric', size: 10, value: cacheFilter.athlete });
    const kindSelect = h('select', { id: 'c-kind' }, ['', 'activities', 'streams', 'brief'].map((k) => h('option', { value: k, selected: k === cacheFilter.kind }, k || 'all')));
    const viewer = h('div', { id: 'cache-value' });
    fill(body, 
      h('h3', {}, 'Stores'),
      table(['Store', 'Kind', { label: 'Keys', cls: 'num' }, { label: 'Size', cls: 'num' }, { label: 'Expired', cls: 'num' }], c.stores.map((s) => h('tr', {}, h('td', {}, s.store), h('td', {}, s.kind), h('td', { class: 'num' }, String(s.count)), h('td', { class: 'num' }, fmtBytes(s.bytes)), h('td', { class: 'num' }, String(s.expired))))),
      h('h3', {}, 'Keys'),
      h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); cacheFilter.athlete = athleteInput.value.trim(); cacheFilter.kind = kindSelect.value; loadCache(); } },
        h('label', { for: 'c-athlete' }, 'Athlete', athleteInput), h('label', { for: 'c-kind' }, 'Kind', kindSelect), h('button', { type: 'submit' }, 'Filter'),
        h('button', { type: 'button', class: 'danger', id: 'purge-athlete', onclick: () => purge({ athleteId: Number(athleteInput.value.trim()) }, `every cache entry of athlete ${athleteInput.value.trim()}`, athleteInput.value.trim()) }, 'Purge athlete'),
        h('button', { type: 'button', class: 'danger', id: 'purge-kind', onclick: () => purge({ kind: kindSelect.value }, `every ${kindSelect.value} entry`, kindSelect.value) }, 'Purge kind')),
      h('p', { class: 'muted' }, `${c.total} key(s)${c.total > c.entries.length ? `, newest ${c.entries.length} shown` : ''}`),
      c.entries.length
        ? table(['Key', 'Store', 'Kind', 'Athlete', { label: 'Size', cls: 'num' }, 'Written', 'Expires', ''], c.entries.map((e) => h('tr', { class: e.expired ? 'muted' : '' },
            h('td', {}, h('code', {}, e.key)), h('td', {}, e.store), h('td', {}, e.kind), h('td', {}, e.athleteId === null ? '—' : String(e.athleteId)), h('td', { class: 'num' }, fmtBytes(e.size)),
            h('td', {}, fmtMs(e.updatedAt)), h('td', {}, e.expired ? 'expired' : fmtMs(e.expiresAt)),
            h('td', {}, h('span', { class: 'toolbar' },
              h('button', { type: 'button', class: 'small', onclick: () => viewValue(e, viewer) }, 'View'),
              h('button', { type: 'button', class: 'small danger', onclick: () => purge({ store: e.store, key: e.key }, `the key ${e.key}`, true) }, 'Purge'))))), '', 'stack')
        : h('p', { class: 'empty' }, 'No cache entries match.'),
      viewer);
  } catch (err) { fill(body, h('p', { class: 'empty' }, err.message)); }
}
async function viewValue(e, viewer) {
  try {
    const v = await api(`/cache/value?store=${encodeURIComponent(e.store)}&key=${encodeURIComponent(e.key)}`);
    fill(viewer, h('h3', {}, `Value of ${v.key}`), h('p', { class: 'muted' }, `${fmtBytes(v.size)}${v.truncated ? ' — truncated' : ''}`), h('pre', { tabindex: '0' }, v.text));
    viewer.scrollIntoView({ block: 'nearest' });
  } catch (err) { fail(err); }
}
async function purge(selector, what, given) {
  if (!given) return toast('Say which athlete or kind first');
  if (!(await confirmAction(`Purge ${what}? The next request will miss and refill the cache.`))) return;
  try {
    const r = await post('/cache/purge', selector);
    toast(`Purged ${r.purged} key(s)`);
    loadCache();
  } catch (err) { fail(err); }
}

// ---- Data ----
const dataState = { table: null, offset: 0, limit: 25, athlete: '' };
async function loadData() {
  const body = bodyOf('data');
  try {
    const { tables } = await api('/tables');
    const rowsBox = h('div', { id: 'rows-box' });
    const rlsBox = h('div', { id: 'rls-box' });
    fill(body, 
      table(['Table', { label: 'Rows', cls: 'num' }, 'RLS', ''], tables.map((t) => h('tr', {}, h('td', {}, h('code', {}, t.name)), h('td', { class: 'num' }, String(t.rows)), h('td', {}, t.rlsEnabled ? 'on' : 'OFF'),
        h('td', {}, h('button', { type: 'button', class: 'small', 'data-table': t.name, onclick: () => { dataState.table = t; dataState.offset = 0; dataState.athlete = ''; loadRows(rowsBox); } }, 'Browse'))))),
      rowsBox,
      h('h3', {}, 'Row-level security'),
      h('p', {}, h('button', { type: 'button', class: 'primary', id: 'run-rls', onclick: () => runRls(rlsBox) }, 'Run db test-rls'), h('span', { class: 'muted' }, ' in a rolled-back transaction')),
      rlsBox);
    if (dataState.table) loadRows(rowsBox);
  } catch (err) { fill(body, h('p', { class: 'empty' }, err.message)); }
}
async function loadRows(box) {
  const t = dataState.table;
  const q = new URLSearchParams({ offset: String(dataState.offset), limit: String(dataState.limit) });
  if (dataState.athlete) q.set('athlete_id', dataState.athlete);
  try {
    const page = await api(`/tables/${encodeURIComponent(t.name)}/rows?${q}`);
    const athleteInput = t.hasAthleteId ? h('input', { id: 'd-athlete', inputmode: 'numeric', size: 10, value: dataState.athlete }) : null;
    const end = Math.min(page.total, page.offset + page.rows.length);
    fill(box, 
      h('h3', {}, `public.${page.table}`),
      h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); dataState.athlete = athleteInput ? athleteInput.value.trim() : ''; dataState.offset = 0; loadRows(box); } },
        athleteInput ? [h('label', { for: 'd-athlete' }, 'athlete_id', athleteInput), h('button', { type: 'submit' }, 'Filter')] : '',
        h('button', { type: 'button', id: 'rows-prev', disabled: page.offset === 0, onclick: () => { dataState.offset = Math.max(0, dataState.offset - dataState.limit); loadRows(box); } }, '← Previous'),
        h('button', { type: 'button', id: 'rows-next', disabled: end >= page.total, onclick: () => { dataState.offset += dataState.limit; loadRows(box); } }, 'Next →'),
        h('span', { id: 'rows-range', role: 'status' }, page.total ? `rows ${page.offset + 1}–${end} of ${page.total}` : 'no rows')),
      table(page.columns, page.rows.map((r) => h('tr', {}, r.map((v) => h('td', { title: v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v) }, v === null ? '∅' : typeof v === 'object' ? JSON.stringify(v) : String(v))))), 'data', 'tall'));
  } catch (err) { fill(box, h('p', { class: 'empty' }, err.message)); }
}
async function runRls(box) {
  fill(box, h('p', { class: 'muted', role: 'status' }, 'running…'));
  try {
    const r = await post('/rls/run');
    const ops = [...new Map(r.checks.map((c) => [c.operation, c.identity])).entries()];
    const tables = [...new Set(r.checks.map((c) => c.table))];
    const cell = new Map(r.checks.map((c) => [`${c.table}\u0000${c.operation}`, c]));
    fill(box, 
      h('p', { role: 'status' }, h('span', { class: `badge ${r.passed ? 'pass' : 'fail'}`, id: 'rls-verdict' }, r.passed ? 'PASS' : 'FAIL'),
        ` ${r.summary.checks - r.summary.failedChecks}/${r.summary.checks} isolation checks passed`),
      table([{ label: 'Table' }, ...ops.map(([op, who]) => ({ label: h('span', {}, op, h('small', {}, who)), cls: 'rot' }))],
        tables.map((t) => h('tr', {}, h('th', { scope: 'row' }, t), ops.map(([op]) => {
          const c = cell.get(`${t}\u0000${op}`);
          if (!c) return h('td', {}, '');
          return h('td', { class: c.verdict === 'skip' ? 'skipv' : c.verdict, title: c.detail }, c.verdict.toUpperCase());
        }))), 'matrix'));
  } catch (err) { fill(box, h('p', { class: 'empty' }, err.message)); }
}

// ---- Athletes ----
async function loadAthletes() {
  const body = bodyOf('athletes');
  try {
    const { athletes } = await api('/athletes');
    const count = h('input', { id: 'seed-count', type: 'number', min: '1', max: '50', value: '2', size: 4 });
    fill(body, 
      h('form', { class: 'toolbar', onsubmit: async (e) => {
        e.preventDefault();
        const button = e.target.querySelector('button[type=submit]');
        button.disabled = true;
        try { const r = await post('/athletes/seed', { count: Number(count.value) }); toast(`Seeded ${r.seeded} athlete(s), ${r.activities} activities`); loadAthletes(); } catch (err) { fail(err); } finally { button.disabled = false; }
      } }, h('label', { for: 'seed-count' }, 'Athletes', count), h('button', { type: 'submit', class: 'primary' }, 'Seed more'),
        h('button', { type: 'button', class: 'danger', id: 'reset-demo', onclick: async () => {
          if (!(await confirmAction('Reset the demo data? Every seeded athlete, activity and cache entry is deleted and the demo athlete seeded again.'))) return;
          try { const r = await post('/athletes/reset', { confirm: true }); toast(`Reset: ${r.deletedUsers} user(s) deleted`); loadAthletes(); } catch (err) { fail(err); }
        } }, 'Reset demo data')),
      table(['Athlete', 'Name', { label: 'Activities', cls: 'num' }, 'Last ride', ''], athletes.map((a) => h('tr', {},
        h('td', {}, String(a.id), a.demo ? h('span', { class: 'muted' }, ' (demo)') : ''), h('td', {}, a.name || '—'), h('td', { class: 'num' }, String(a.activities)), h('td', {}, fmtDate(a.lastRide)),
        h('td', {}, tokenButton(a.id)))), '', 'stack'));
  } catch (err) { fill(body, h('p', { class: 'empty' }, err.message)); }
}

const loaders = { overview: loadOverview, requests: loadRequests, functions: loadFunctions, jobs: loadJobs, cache: loadCache, data: loadData, athletes: loadAthletes };
window.addEventListener('resize', () => current === 'requests' && scheduleRequests());
connect();
show(location.hash.slice(1) || 'overview');
