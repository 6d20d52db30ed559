import type { Queryable, Sql } from './sql.js';

class RollbackSignal extends Error {
  constructor(readonly value: unknown) {
    super('rolled back on purpose');
  }
}

/** Runs fn in a transaction that is always rolled back: whatever fn writes is never kept. */
export async function inRolledBackTransaction<T>(sql: Sql, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    await sql.transaction(async (tx) => {
      throw new RollbackSignal(await fn(tx));
    });
  } catch (err) {
    if (err instanceof RollbackSignal) return err.value as T;
    throw err;
  }
  throw new Error('unreachable: transaction committed');
}

const SAVEPOINT = 'veloready_check';

/** Runs fn under a savepoint and undoes it afterwards (role and settings included). */
export async function undone<T>(tx: Queryable, fn: () => Promise<T>): Promise<T> {
  await tx.exec(`savepoint ${SAVEPOINT}`);
  try {
    return await fn();
  } finally {
    // Released too, so a long check does not pile up one open subtransaction per operation.
    await tx.exec(`rollback to savepoint ${SAVEPOINT}; release savepoint ${SAVEPOINT}`);
  }
}
