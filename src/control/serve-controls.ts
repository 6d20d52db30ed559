import type { Clock } from '../clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { Mount } from '../emulator/server.js';
import type { Scheduler } from '../emulator/scheduler.js';
import { VeloError } from '../errors.js';
import type { LocalState } from '../snapshot/snapshot.js';
import type { AdminGuard } from './admin-guard.js';
import { adminMount } from './admin-route.js';
import { CLOCK_API_PATH, clockApi } from './clock-api.js';
import { SNAPSHOTS_API_PATH, snapshotsApi } from './snapshot-api.js';

/**
 * serve's control mounts (`/_/api/clock`, `/_/api/snapshots`) behind the admin guard. The scheduler
 * and the live state exist only after the emulator does, hence the getters.
 */
export function controlMounts(o: { guard: AdminGuard; clock: Clock; scheduler: () => Scheduler; state: () => LocalState | undefined }): Mount[] {
  const clock = o.clock;
  let snapshots: ReturnType<typeof snapshotsApi> | undefined;
  return [
    adminMount(CLOCK_API_PATH, o.guard, async (req) => {
      if (!(clock instanceof VirtualClock)) throw new VeloError('CLOCK_NOT_VIRTUAL', 'this serve runs on a clock that cannot be changed');
      return clockApi(clock, o.scheduler())(req);
    }),
    adminMount(SNAPSHOTS_API_PATH, o.guard, async (req) => {
      const state = o.state();
      if (!state) throw new VeloError('SNAPSHOT_UNSUPPORTED', 'snapshots cover the embedded database; this serve runs on --db-url', 'use pg_dump for a Postgres server');
      return (snapshots ??= snapshotsApi(state))(req);
    }),
  ];
}
