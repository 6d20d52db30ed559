import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { packageRoot } from '../util/package-root.js';

/** The page's files ship as they are (package.json "files"): plain HTML, CSS and JS, no build, no CDN. */
export const ASSETS_DIR = 'src/inspector/assets';
const TOKEN_PLACEHOLDER = '__VELOREADY_TOKEN__';

const TYPES: Record<string, string> = {
  'inspector.js': 'text/javascript; charset=utf-8',
  'inspector.css': 'text/css; charset=utf-8',
};

/**
 * The page may load only its own files, talk only to its own origin and never be framed
 * (clickjacking an admin page); it is never cached (it carries the per-run token).
 */
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface InspectorPage {
  /** Answers `/_/` (the page with the token in a meta tag) or `/_/assets/<file>`; false for other paths. */
  serve(path: string, res: ServerResponse): boolean;
}

/** Reads the assets once; the token goes into the HTML (same-origin only, never in a URL). */
export function createInspectorPage(token: string, dir = join(packageRoot(), ASSETS_DIR)): InspectorPage {
  const html = readFileSync(join(dir, 'index.html'), 'utf8').replace(TOKEN_PLACEHOLDER, token);
  const files = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(join(dir, name))]));
  const send = (res: ServerResponse, type: string, body: string | Buffer): void => {
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return {
    serve(path, res) {
      if (path === '/_/' || path === '/_' || path === '/_/index.html') {
        send(res, 'text/html; charset=utf-8', html);
        return true;
      }
      const name = path.startsWith('/_/assets/') ? path.slice('/_/assets/'.length) : undefined;
      const file = name !== undefined ? files.get(name) : undefined;
      if (!file) return false;
      send(res, TYPES[name!]!, file);
      return true;
    },
  };
}
