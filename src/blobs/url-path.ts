/**
 * Path segments as the official @netlify/blobs client sends them. It builds URLs with
 * `new URL('/api/v1/blobs/site/site:name/a:b', base)`, so RFC 3986 pchar characters (`:` `@` and the
 * sub-delims) arrive raw; a server that stores names as they arrive (Netlify's own BlobsServer) only
 * finds our writes, and we only find its, when we send them raw too. `%`, `?`, `#`, spaces and
 * non-ASCII (which the client mangles or `new URL` escapes anyway) are percent-encoded.
 */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

export function encodePathSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (PCHAR.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A key in a URL path: each `/`-separated segment encoded, the slashes kept. */
export const keyUrlPath = (key: string): string => key.split('/').map(encodePathSegment).join('/');
