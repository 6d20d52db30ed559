import { existsSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import type { Clock } from '../clock.js';
import { createFunctionRegistry, type FunctionDef, type FunctionRegistry } from '../emulator/functions.js';
import { jsonError } from '../emulator/http-error.js';
import { createRouter, loadRedirects, loadSchedules, netlifyTomlPath, scheduleFor, type Router } from '../emulator/redirects.js';
import type { RequestLog } from '../emulator/request-log.js';
import { nextRunAfter } from '../emulator/schedule.js';
import type { FunctionKind, Handler, NetlifyResponse } from '../emulator/types.js';
import { buildFunction, describeProblem, type BuildResult } from './build.js';
import { readInSourceConfig, type InSourceConfig } from './config.js';
import { discoverFunctionFiles, functionFolders, readProjectToml, type FunctionFile, type ProjectToml } from './discover.js';
import { buildFailure, type FunctionFailure } from './failures.js';
import type { WorkerSetup } from './messages.js';
import { FunctionPool, SpareInstance, startWorker, type PoolLogLine } from './pool.js';
import { createProjectRouter, createSwitchableRouter, type FunctionRoutes } from './routes.js';

const BACKGROUND_SUFFIX = '-background';

/** What the instances need from the running serve (known once it listens). */
export interface RuntimeConnection {
  env: Record<string, string>;
  blobs: WorkerSetup['blobs'];
  site: WorkerSetup['site'];
  outbound: WorkerSetup['outbound'];
}

export interface ProjectRuntimeOptions {
  projectDir: string;
  /** `serve --functions DIR` instead of netlify.toml's directory / netlify/functions. */
  functionsDir?: string;
  /**
   * veloready's own handlers: the default for every name the project lacks (empty with --builtins
   * none). A scheduled one's `schedule` is its default: netlify.toml's `[functions."name"] schedule` wins.
   */
  builtins: readonly FunctionDef[];
  clock: Clock;
  log: RequestLog;
  maxInstances?: number;
  memoryMb?: number;
  /** Start one instance of each function ahead of its first request (at start and after a reload); default on. */
  prewarm?: boolean;
}

/** A project function as analysed (before or without a running pool). */
export interface ProjectFunction {
  name: string;
  file: string;
  kind: FunctionKind;
  schedule?: string;
  config: InSourceConfig;
}

export interface ReloadReport {
  added: string[];
  removed: string[];
  changed: string[];
  failed: string[];
}

export interface ProjectRuntime {
  /** Project functions over the built-ins; its contents change on reload. */
  readonly functions: FunctionRegistry;
  /** v2 `config.path` routes, then netlify.toml's redirects; swapped on reload. */
  readonly router: Router;
  /** Startup warnings (a scheduled file without a schedule, an unreadable config...). */
  readonly warnings: readonly string[];
  /** The netlify.toml honoured (the project's, else the default one). */
  tomlPath(): string;
  /** The folders and files the watcher should follow. */
  watched(): { folders: string[]; inputs: string[] };
  /** Gives the instances serve's URL, environment and interception; pools start here. */
  connect(connection: RuntimeConnection): void;
  /** New environment for the instances (.env or netlify.toml changed): every function gets fresh instances. */
  setEnv(env: Record<string, string>): Promise<void>;
  /** Picks up what changed: `changed` lists the files saved (all functions are rebuilt without it). */
  reload(changed?: Iterable<string>): Promise<ReloadReport>;
  onReload(listener: (report: ReloadReport) => void): () => void;
  /** Resolves once the instances started ahead of their first request are ready. */
  warmed(): Promise<void>;
  close(): Promise<void>;
}

interface Loaded {
  fn: ProjectFunction;
  build: BuildResult;
  failure?: FunctionFailure;
  pool?: FunctionPool;
  def: FunctionDef;
}

/** Kind and schedule the way Netlify reads them: the name or folder, the config, netlify.toml. */
export function analyse(file: FunctionFile, toml: ProjectToml, warn: (w: string) => void, projectDir: string): ProjectFunction {
  const reading = readInSourceConfig(file.file);
  const rel = relative(projectDir, file.file);
  if (reading.warning) warn(`${rel}: ${reading.warning}`);
  const schedule = toml.schedules[file.name] ?? reading.config.schedule;
  const background = file.name.endsWith(BACKGROUND_SUFFIX) || file.folder === 'background';
  let kind: FunctionKind = background ? 'background' : schedule ? 'scheduled' : 'sync';
  if (kind === 'scheduled') {
    try {
      nextRunAfter(schedule!, 0);
    } catch (err) {
      warn(`${rel}: schedule "${schedule}" is not a cron expression (${(err as Error).message}); it runs only when called`);
      kind = 'sync';
    }
  }
  if (file.folder === 'scheduled' && kind !== 'scheduled' && !schedule) {
    warn(`${rel} is in functions-scheduled/ but has no schedule, so it never runs on its own: add export const config = { schedule: '@daily' } or [functions."${file.name}"] schedule in netlify.toml`);
  }
  if (background && schedule) warn(`${rel}: a background function cannot be scheduled; its schedule is ignored`);
  return { name: file.name, file: file.file, kind, ...(kind === 'scheduled' ? { schedule: schedule! } : {}), config: reading.config };
}

/** A built-in scheduled function on netlify.toml's schedule for it, else its own. */
function withTomlSchedule(def: FunctionDef, schedules: Readonly<Record<string, string>>): FunctionDef {
  const schedule = scheduleFor(def, schedules);
  return schedule === def.schedule ? def : { ...def, schedule: schedule! };
}

/** Discovers, builds and serves the project's own functions; reload() picks up what changed. */
export async function createProjectRuntime(options: ProjectRuntimeOptions): Promise<ProjectRuntime> {
  const { projectDir, clock, log } = options;
  const loaded = new Map<string, Loaded>();
  const listeners = new Set<(r: ReloadReport) => void>();
  const warnings: string[] = [];
  let connection: RuntimeConnection | undefined;
  let toml: ProjectToml = { schedules: {} };
  let folders: string[] = [];
  let registry: FunctionRegistry = createFunctionRegistry(options.builtins);
  let reloading: Promise<ReloadReport> | undefined;
  let again = false;
  const router = createSwitchableRouter(createRouter([]));
  /** netlify.toml's redirects and `[functions."name"] schedule` entries as last read well. */
  let redirects: Router = createRouter([]);
  let tomlSchedules: Record<string, string> = {};

  const note = (fn: string, text: string, level: PoolLogLine['level'] = 'runtime'): void =>
    log.console({ time: new Date(clock.now()).toISOString(), requestId: null, function: fn, level, text });
  const poolLog = (line: PoolLogLine): void => log.console({ time: new Date(clock.now()).toISOString(), ...line });

  // Warm-ups run one at a time, behind whatever serve is doing: a cold instance costs a module load.
  let warming: Promise<void> = Promise.resolve();
  const prewarm = (pool: FunctionPool, spare: boolean): void => {
    if (options.prewarm === false) return;
    warming = warming.then(() => pool.warm({ spare }));
  };

  const setupFor = (l: Loaded): WorkerSetup => {
    if (!connection || !l.build.ok) throw new Error('no build to run');
    return { name: l.fn.name, bundle: l.build.bundle, source: l.fn.file, form: l.build.form, background: l.fn.kind === 'background', ...connection };
  };

  let spare: SpareInstance | undefined;
  /**
   * Started before the builds, so it is ready when serve is: a spare only where functions can
   * appear (a folder without them costs serve nothing). Its environment and serve's URL come with
   * the function it is given.
   */
  const startSpare = (): void => {
    if (options.prewarm === false || !folders.some((f) => existsSync(f))) return;
    const blank: WorkerSetup = {
      name: '',
      bundle: '',
      source: projectDir,
      form: 'v1',
      background: false,
      blobs: { url: '', token: '', siteID: '', deployID: '' },
      site: { id: '', name: '', url: '' },
      outbound: { rewrites: {}, online: false },
    };
    spare = new SpareInstance(() => startWorker(blank, {}, options.memoryMb));
    spare.fill();
  };

  /** `initial`: serve's start warms every function, leaving the spare to the first requests. */
  function startPool(l: Loaded, initial = false): void {
    if (!connection || !l.build.ok) return;
    l.pool = new FunctionPool({
      setup: setupFor(l),
      env: connection.env,
      projectDir,
      clock,
      log: poolLog,
      ...(options.maxInstances ? { maxInstances: options.maxInstances } : {}),
      ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}),
      ...(spare ? { spare: () => spare!.take() } : {}),
    });
    // Scheduled functions run rarely: their instance starts when they do.
    if (l.fn.kind !== 'scheduled') prewarm(l.pool, !initial);
  }

  function defFor(l: Loaded): FunctionDef {
    const { fn } = l;
    const handler: Handler = (event, context) => {
      if (l.failure) return Promise.reject(l.failure);
      if (!l.pool) return Promise.resolve<NetlifyResponse>(jsonError(503, 'NOT_READY', 'serve is still starting'));
      return l.pool.invoke(event, context);
    };
    return {
      name: fn.name,
      kind: fn.kind,
      ...(fn.schedule ? { schedule: fn.schedule } : {}),
      handler,
      source: relative(projectDir, fn.file),
      ...(fn.config.path ? { routes: fn.config.path } : {}),
    };
  }

  const bundles: string[] = [];
  async function load(fn: ProjectFunction): Promise<Loaded> {
    const build = await buildFunction(projectDir, fn.name, fn.file);
    if (build.ok) bundles.push(build.bundle);
    const l = { fn, build } as Loaded;
    if (!build.ok) {
      l.failure = buildFailure(fn.name, build.problem);
      note(fn.name, `does not build: ${describeProblem(build.problem)}`, 'error');
    }
    l.def = defFor(l);
    return l;
  }

  /** Swaps in the registry and routes; at startup an unreadable netlify.toml stops serve, later it is logged. */
  function publish(strict = false): void {
    const tomlFile = netlifyTomlPath(projectDir);
    const reread = <T>(read: () => T, keep: T, what: string): T => {
      try {
        return read();
      } catch (err) {
        if (strict) throw err;
        note('netlify.toml', `${(err as Error).message}; keeping the previous ${what}`, 'error');
        return keep;
      }
    };
    redirects = reread(() => createRouter(loadRedirects(tomlFile)), redirects, 'redirects');
    tomlSchedules = reread(() => loadSchedules(tomlFile), tomlSchedules, 'schedules');
    const own = [...loaded.values()].map((l) => l.def);
    const names = new Set(own.map((d) => d.name));
    const builtins = options.builtins.filter((b) => !names.has(b.name)).map((b) => withTomlSchedule(b, tomlSchedules));
    registry = createFunctionRegistry([...own, ...builtins]);
    const routes: FunctionRoutes[] = [...loaded.values()]
      .filter((l) => l.fn.config.path)
      .map((l) => ({
        functionName: l.fn.name,
        paths: l.fn.config.path!,
        ...(l.fn.config.excludedPath ? { excludedPaths: l.fn.config.excludedPath } : {}),
        ...(l.fn.config.method ? { methods: l.fn.config.method } : {}),
      }));
    router.set(createProjectRouter(routes, redirects));
  }

  async function scan(collect: (w: string) => void): Promise<ProjectFunction[]> {
    toml = readProjectToml(projectDir);
    const where = functionFolders(projectDir, toml, options.functionsDir);
    folders = where.map((w) => w.dir);
    const found = discoverFunctionFiles(projectDir, where);
    for (const w of found.warnings) collect(w);
    return found.files.map((f) => analyse(f, toml, collect, projectDir));
  }

  const sameFunction = (a: ProjectFunction, b: ProjectFunction): boolean =>
    a.file === b.file && a.kind === b.kind && a.schedule === b.schedule && JSON.stringify(a.config) === JSON.stringify(b.config);

  /** Rebuilds what `changed` touches (everything when undefined), picks up added and removed files. */
  async function doReload(changed?: ReadonlySet<string>): Promise<ReloadReport> {
    const report: ReloadReport = { added: [], removed: [], changed: [], failed: [] };
    const seenWarnings: string[] = [];
    let fns: ProjectFunction[];
    try {
      fns = await scan((w) => seenWarnings.push(w));
    } catch (err) {
      note('netlify.toml', (err as Error).message, 'error');
      return report;
    }
    for (const w of seenWarnings) if (!warnings.includes(w)) note('-', w, 'warn');
    const retired: Array<FunctionPool | undefined> = [];
    const names = new Set(fns.map((f) => f.name));
    for (const [name, old] of loaded) {
      if (!names.has(name)) {
        report.removed.push(name);
        retired.push(old.pool);
        loaded.delete(name);
      }
    }
    const touches = (old: Loaded): boolean => !changed || !old.build.ok || old.build.inputs.some((p) => changed.has(p));
    const next = await Promise.all(
      fns.map(async (fn) => {
        const old = loaded.get(fn.name);
        return { fn, old, l: !old || touches(old) || old.fn.file !== fn.file ? await load(fn) : undefined };
      }),
    );
    for (const { fn, old, l } of next) {
      if (!l) {
        // Not rebuilt: only its kind, schedule or routes (netlify.toml, its config) may have changed.
        if (old && !sameFunction(old.fn, fn)) {
          old.fn = fn;
          old.def = defFor(old);
          if (old.build.ok) old.pool?.reload(setupFor(old));
          report.changed.push(fn.name);
        }
        continue;
      }
      if (old && old.build.ok && l.build.ok && old.build.hash === l.build.hash && sameFunction(old.fn, l.fn)) {
        rmSync(l.build.bundle, { force: true });
        continue;
      }
      if (!l.build.ok && old) {
        // A file that does not build keeps its routes, so its requests get the build error, not a 404.
        l.fn = { ...l.fn, kind: old.fn.kind, ...(old.fn.schedule ? { schedule: old.fn.schedule } : {}), config: old.fn.config };
        l.def = defFor(l);
      }
      if (!l.build.ok) report.failed.push(fn.name);
      else if (old) report.changed.push(fn.name);
      else report.added.push(fn.name);
      if (old?.pool && l.build.ok) {
        // The warm instances load the new build in place.
        l.pool = old.pool;
        l.pool.reload(setupFor(l));
      } else {
        retired.push(old?.pool);
        startPool(l);
      }
      loaded.set(fn.name, l);
    }
    publish();
    await Promise.all(retired.map((p) => p?.retire()));
    for (const name of report.added) note(name, `added (${relative(projectDir, loaded.get(name)!.fn.file)})`);
    for (const name of report.changed) note(name, 'reloaded: the next request runs the new code');
    for (const name of report.removed) note(name, 'removed: its file is gone');
    for (const l of listeners) l(report);
    return report;
  }

  // Startup: the first scan's warnings are returned for the banner instead of logged.
  const fns = await scan((w) => warnings.push(w));
  startSpare();
  try {
    for (const l of await Promise.all(fns.map(load))) loaded.set(l.fn.name, l);
    publish(true);
  } catch (err) {
    await spare?.close();
    throw err;
  }

  const functions: FunctionRegistry = { get: (name) => registry.get(name), list: () => registry.list() };
  // Changes seen while a reload runs make one more reload after it, with everything they touched.
  let pending: Set<string> | undefined;
  let pendingAll = false;
  const reload = (changed?: Iterable<string>): Promise<ReloadReport> => {
    if (reloading) {
      again = true;
      if (!changed) pendingAll = true;
      else for (const p of changed) (pending ??= new Set()).add(p);
      return reloading;
    }
    reloading = doReload(changed ? new Set(changed) : undefined).finally(() => {
      reloading = undefined;
      if (again) {
        const next = pendingAll ? undefined : pending;
        again = false;
        pending = undefined;
        pendingAll = false;
        void reload(next);
      }
    });
    return reloading;
  };

  return {
    functions,
    router,
    warnings,
    tomlPath: () => netlifyTomlPath(projectDir),
    watched: () => ({ folders, inputs: [...loaded.values()].flatMap((l) => l.build.inputs) }),
    connect(c) {
      connection = c;
      for (const l of loaded.values()) if (!l.pool) startPool(l, true);
    },
    reload,
    async setEnv(env) {
      if (!connection) return;
      connection = { ...connection, env };
      const retired = [...loaded.values()].map((l) => l.pool);
      for (const l of loaded.values()) {
        l.pool = undefined;
        startPool(l);
      }
      await Promise.all(retired.map((p) => p?.retire()));
      for (const l of loaded.values()) note(l.fn.name, 'environment changed: new instances');
    },
    warmed: () => warming,
    onReload(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await Promise.all([...[...loaded.values()].map((l) => l.pool?.close()), spare?.close()]);
      // Older bundles stay until here: an instance may still be importing one when a newer build lands.
      for (const bundle of bundles) rmSync(bundle, { force: true });
      loaded.clear();
    },
  };
}
