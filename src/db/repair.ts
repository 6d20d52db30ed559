import { userInfo } from 'node:os';
import { usageError, VeloError } from '../errors.js';
import { ensureHistoryTable, lockMigrations, readHistory, repairApplied, repairReverted } from './history.js';
import { listMigrationFiles } from './migration-files.js';
import type { Sql } from './sql.js';

export type RepairStatus = 'applied' | 'reverted';

export interface RepairResult {
  version: string;
  name: string;
  status: RepairStatus;
  /** The version's state before: applied, drifted, missing (recorded, no file) or pending (not recorded). */
  before: 'applied' | 'drifted' | 'missing' | 'pending';
  by: string;
}

/** Who ran the repair, as recorded: the OS user (the database user is recorded beside it). */
export function repairer(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/**
 * `db repair --status applied|reverted VERSION`: marks one migration without running it.
 * `applied` records the file as it is now (clearing drift after a deliberate edit);
 * `reverted` removes the record (the file, if any, becomes pending again).
 */
export async function repairMigration(sql: Sql, opts: { dir: string; version: string; status: RepairStatus; by?: string }): Promise<RepairResult> {
  const by = opts.by ?? repairer();
  const file = listMigrationFiles(opts.dir).find((f) => f.version === opts.version);
  return sql.transaction(async (tx) => {
    await lockMigrations(tx);
    await ensureHistoryTable(tx);
    const recorded = (await readHistory(tx)).find((h) => h.version === opts.version);
    const before: RepairResult['before'] = !recorded ? 'pending' : !file ? 'missing' : file.checksum === recorded.checksum ? 'applied' : 'drifted';
    if (opts.status === 'applied') {
      if (!file) {
        throw usageError('MIGRATION_UNKNOWN_VERSION', `No migration with version ${opts.version} in ${opts.dir}.`, 'Run `veloready db status` to list versions, or pass --dir.');
      }
      await repairApplied(tx, file, by);
      return { version: file.version, name: file.name, status: opts.status, before, by };
    }
    if (!recorded) {
      throw new VeloError('MIGRATION_NOT_RECORDED', `Version ${opts.version} is not recorded as applied: nothing to revert.`, 'Run `veloready db status` to see what is applied.', 2);
    }
    await repairReverted(tx, opts.version, by);
    return { version: recorded.version, name: recorded.name, status: opts.status, before, by };
  });
}
