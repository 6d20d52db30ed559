// STAND-IN until the outbound helper's src/runtime/environment.ts is merged (it replaces this file).
export interface FunctionEnvInput {
  projectDir: string;
  serveUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  databaseUrl?: string;
  blobsContext: string;
  useEnv?: string[];
}

export interface FunctionEnv {
  env: Record<string, string>;
  replaced: Array<{ name: string; projectValue: string }>;
}

export function buildFunctionEnv(input: FunctionEnvInput): FunctionEnv {
  return {
    env: {
      SUPABASE_URL: input.serveUrl,
      SUPABASE_ANON_KEY: input.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: input.serviceRoleKey,
      SUPABASE_JWT_SECRET: input.jwtSecret,
      ...(input.databaseUrl ? { DATABASE_URL: input.databaseUrl } : {}),
      URL: input.serveUrl,
      DEPLOY_URL: input.serveUrl,
      CONTEXT: 'dev',
      NETLIFY_DEV: 'true',
      NETLIFY_BLOBS_CONTEXT: input.blobsContext,
    },
    replaced: [],
  };
}
