/** Hosts of managed Postgres services: a URL there is presumed to be someone's production database. */
const MANAGED_HOSTS: Array<[RegExp, string]> = [
  [/\.supabase\.(co|com|net)$/i, 'Supabase'],
  [/\.rds\.amazonaws\.com$/i, 'Amazon RDS'],
  [/\.amazonaws\.com$/i, 'AWS'],
  [/\.neon\.tech$/i, 'Neon'],
  [/\.postgres\.database\.azure\.com$/i, 'Azure Database for PostgreSQL'],
  [/\.render\.com$/i, 'Render'],
  [/\.(railway\.app|rlwy\.net)$/i, 'Railway'],
  [/\.aivencloud\.com$/i, 'Aiven'],
  [/\.db\.ondigitalocean\.com$/i, 'DigitalOcean'],
  [/\.timescale\.com$/i, 'Timescale'],
  [/\.cockroachlabs\.cloud$/i, 'CockroachDB Cloud'],
  [/\.crunchybridge\.com$/i, 'Crunchy Bridge'],
  [/\.xata\.sh$/i, 'Xata'],
];

/** The managed service a database URL points at (`Supabase`, `Amazon RDS`…), or undefined. */
export function managedDatabaseProvider(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  return MANAGED_HOSTS.find(([re]) => re.test(host))?.[1];
}
