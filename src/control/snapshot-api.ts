import { HttpError } from '../emulator/http-error.js';
import { snapshotPath } from '../snapshot/names.js';
import type { LocalState } from '../snapshot/snapshot.js';
import type { AdminHandler } from './admin-route.js';

export const SNAPSHOTS_API_PATH = '/_/api/snapshots';

/**
 * `GET /_/api/snapshots` lists the data dir's snapshots; `POST /_/api/snapshots`
 * `{"action":"save"|"load","name":"NAME"}` (or `"file":"/abs/path.tar.gz"`) saves or loads one
 * while serve runs: requests wait during the swap, none fail.
 */
export function snapshotsApi(state: LocalState): AdminHandler {
  // One save or load at a time.
  let busy: Promise<unknown> = Promise.resolve();
  return async ({ method, body }) => {
    const { listSnapshots, loadSnapshot, saveSnapshot } = await import('../snapshot/snapshot.js');
    if (method === 'GET' || method === 'HEAD') return { snapshots: await listSnapshots(state.dataDir) };
    if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET or POST /_/api/snapshots');
    const name = typeof body.name === 'string' ? body.name : undefined;
    const file = typeof body.file === 'string' ? body.file : undefined;
    if (file !== undefined && !file.startsWith('/')) throw new HttpError(400, 'INVALID_SNAPSHOT_FILE', '"file" must be an absolute path');
    const path = snapshotPath(state.dataDir, name, file);
    const run = async (): Promise<unknown> => {
      if (body.action === 'save') return saveSnapshot(state, path);
      if (body.action === 'load') return loadSnapshot(state, path);
      throw new HttpError(400, 'INVALID_SNAPSHOT_ACTION', '"action" must be save or load');
    };
    const result = busy.then(run, run);
    busy = result.catch(() => undefined);
    return result;
  };
}
