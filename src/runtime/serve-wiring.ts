import { basename } from 'node:path';
import { OPENAI_ENDPOINT_PREFIX } from '../ai/openai-endpoint.js';
import { LOCAL_SITE_ID, encodeBlobsContext } from '../blobs/context.js';
import type { Scheduler } from '../emulator/scheduler.js';
import { localKeys } from '../supabase/keys.js';
import { buildFunctionEnv, type FunctionEnv } from './environment.js';
import type { ProjectRuntime } from './project.js';
import { watchProject } from './watch.js';

const STRAVA_ORIGIN = 'https://www.strava.com';
/** The deploy id functions see locally (`x-nf-deploy-id`, `context.deploy.id`). */
export const LOCAL_DEPLOY_ID = '0';

export interface ProjectServeInput {
  runtime: ProjectRuntime;
  projectDir: string;
  /** serve's own URL. */
  url: string;
  jwtSecret: string;
  /** The token serve's Blobs API takes (the data dir's). */
  blobsToken: string;
  databaseUrl?: string;
  /** The fake Strava's base URL, when serve mounts it. */
  fakeStravaUrl?: string;
  online?: boolean;
  useEnv?: string[];
  watch?: boolean;
  scheduler: Scheduler;
}

export interface ProjectServe {
  /** Project values serve replaced with its local ones (the banner names them). */
  replaced: FunctionEnv['replaced'];
  close(): void;
}

/** Connects the project's functions to the running serve: their environment, interception, reload. */
export function connectProject(input: ProjectServeInput): ProjectServe {
  const { runtime, projectDir, url } = input;
  const keys = localKeys(input.jwtSecret);
  const blobs = { url, token: input.blobsToken, siteID: LOCAL_SITE_ID, deployID: LOCAL_DEPLOY_ID };
  const envOf = (): FunctionEnv => buildFunctionEnv({
    projectDir,
    serveUrl: url,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    jwtSecret: input.jwtSecret,
    ...(input.databaseUrl ? { databaseUrl: input.databaseUrl } : {}),
    blobsContext: encodeBlobsContext(blobs),
    ...(input.useEnv?.length ? { useEnv: input.useEnv } : {}),
  });
  const fnEnv = envOf();
  let envJson = JSON.stringify(fnEnv.env);
  /** netlify.toml or .env saved: the instances restart when what they would see changed. */
  const refreshEnv = async (): Promise<void> => {
    try {
      const next = envOf();
      const json = JSON.stringify(next.env);
      if (json === envJson) return;
      envJson = json;
      await runtime.setEnv(next.env);
    } catch {
      /* an unreadable netlify.toml: the reload logs it; the instances keep their environment */
    }
  };
  runtime.connect({
    env: fnEnv.env,
    blobs,
    site: { id: LOCAL_SITE_ID, name: basename(projectDir), url },
    outbound: {
      rewrites: {
        // The fake Strava, or (--strava real) Strava itself let through while offline.
        'www.strava.com': input.fakeStravaUrl ?? STRAVA_ORIGIN,
        'api.openai.com': `${url}${OPENAI_ENDPOINT_PREFIX}`,
      },
      online: input.online ?? false,
    },
  });
  const offReload = runtime.onReload(() => input.scheduler.reload());
  if (input.watch === false) return { replaced: fnEnv.replaced, close: offReload };
  const watcher = watchProject(projectDir, (changed) => {
    void (changed ? Promise.resolve() : refreshEnv()).then(() => runtime.reload(changed));
  });
  watcher.update(runtime.watched());
  const offWatch = runtime.onReload(() => watcher.update(runtime.watched()));
  return {
    replaced: fnEnv.replaced,
    close() {
      offReload();
      offWatch();
      watcher.close();
    },
  };
}
