/**
 * Every setting veloready reads, with its flag, environment variable and default. `veloready
 * config` prints exactly this table, so adding a setting here documents it too.
 */
import { LOCAL_STRAVA_SUBSCRIPTION_ID } from '../strava/subscription.js';

export type SecretKind = 'value' | 'url';

export interface Setting {
  key: string;
  /** commander's camelCase option name, when a flag can set it. */
  flag?: string;
  env?: string;
  default?: string;
  secret?: SecretKind;
  description: string;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:8888';
export const DEFAULT_DATA_DIR = '.veloready';

export const SETTINGS = [
  { key: 'dataDir', flag: 'dataDir', env: 'VELOREADY_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'local state: blobs.sqlite, pg/, secrets.json' },
  { key: 'databaseUrl', flag: 'dbUrl', env: 'DATABASE_URL', secret: 'url', description: 'Postgres / Supabase connection string (embedded PGlite when unset)' },
  { key: 'migrationsDir', flag: 'dir', env: 'VELOREADY_MIGRATIONS_DIR', description: 'migrations folder (else ./supabase/migrations when present, else the shipped schema)' },
  { key: 'jwtSecret', flag: 'secret', env: 'SUPABASE_JWT_SECRET', secret: 'value', description: 'JWT secret (local secret in the data dir when unset)' },
  { key: 'apiUrl', flag: 'url', env: 'VELOREADY_API_URL', default: DEFAULT_API_URL, description: 'function API: a deployed site or a running serve' },
  { key: 'supabaseUrl', env: 'SUPABASE_URL', description: 'Supabase project URL' },
  { key: 'supabaseAnonKey', env: 'SUPABASE_ANON_KEY', secret: 'value', description: 'Supabase anon key' },
  { key: 'supabaseServiceRoleKey', env: 'SUPABASE_SERVICE_ROLE_KEY', secret: 'value', description: 'Supabase service-role key' },
  { key: 'netlifySiteId', env: 'NETLIFY_SITE_ID', description: 'Netlify site id (Netlify Blobs)' },
  { key: 'netlifyAuthToken', env: 'NETLIFY_AUTH_TOKEN', secret: 'value', description: 'Netlify personal access token' },
  { key: 'netlifyApiUrl', flag: 'apiUrl', env: 'NETLIFY_API_URL', default: 'https://api.netlify.com', description: 'Netlify API base URL' },
  { key: 'stravaClientId', env: 'STRAVA_CLIENT_ID', description: 'Strava API application id' },
  { key: 'stravaClientSecret', env: 'STRAVA_CLIENT_SECRET', secret: 'value', description: 'Strava API application secret' },
  { key: 'stravaVerifyToken', env: 'STRAVA_VERIFY_TOKEN', default: 'veloready-local', secret: 'value', description: 'Strava webhook subscription verify token' },
  { key: 'stravaSubscriptionId', env: 'STRAVA_SUBSCRIPTION_ID', default: String(LOCAL_STRAVA_SUBSCRIPTION_ID), description: "Strava push subscription id webhook deliveries must carry (1: serve's fake Strava)" },
  { key: 'openaiApiKey', env: 'OPENAI_API_KEY', secret: 'value', description: 'OpenAI key (offline brief generator when unset)' },
  { key: 'openaiBaseUrl', env: 'OPENAI_BASE_URL', default: 'https://api.openai.com/v1', description: 'OpenAI-compatible API base URL' },
] as const satisfies readonly Setting[];

export type SettingKey = (typeof SETTINGS)[number]['key'];
