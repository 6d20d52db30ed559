import Database from 'better-sqlite3';

/**
 * A better-sqlite3 connection whose native objects are never garbage-collected.
 *
 * better-sqlite3 12 builds its connections, statements and iterators on node::ObjectWrap. Since
 * Node 24.19 the destructor of ObjectWrap removes an environment cleanup hook, and that aborts
 * the process (`RemoveEnvironmentCleanupHook … (env) != nullptr`) when the garbage collector runs
 * it, because V8 runs those callbacks with no context entered (nodejs/node#65446). A build of the
 * addon against those headers (any source build on Node 24.19+) so dies at the first collection
 * of a statement. What is still alive when the thread ends is deleted by Node's cleanup instead,
 * where that is safe: so every object made here stays reachable until then. They are few:
 * statements are prepared once per connection, and close() frees a connection's SQLite handles.
 */
const kept: object[] = [];
const keep = <T extends object>(o: T): T => {
  kept.push(o);
  return o;
};

/** No backup(): its native object is made and dropped inside the library. VACUUM INTO copies a database instead. */
export type SqliteConnection = Omit<Database.Database, 'backup'>;

export function openSqlite(path: string, options?: Database.Options): SqliteConnection {
  const db = keep(new Database(path, options));
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => keepStatement(prepare(source))) as typeof db.prepare;
  // The library's pragma() drops the statement it prepares; this one keeps it, and answers alike.
  db.pragma = ((source: string, opts?: Database.PragmaOptions) => {
    const stmt = db.prepare(`PRAGMA ${source}`);
    if (!stmt.reader) {
      stmt.run(); // e.g. `synchronous = NORMAL`: no rows
      return opts?.simple ? undefined : [];
    }
    return opts?.simple ? stmt.pluck().get() : stmt.all();
  }) as typeof db.pragma;
  return db;
}

function keepStatement(stmt: Database.Statement<unknown[]>): Database.Statement<unknown[]> {
  keep(stmt);
  const iterate = stmt.iterate.bind(stmt);
  stmt.iterate = (...params: unknown[]) => keep(iterate(...params));
  return stmt;
}
