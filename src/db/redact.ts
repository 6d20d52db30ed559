/** A database URL fit for printing: the password replaced by `***`, query string dropped. */
export function redactDbUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<unparseable database URL>';
  }
  if (parsed.password) parsed.password = '***';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}
