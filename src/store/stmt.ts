import type Database from 'better-sqlite3';
import type { DB } from './db.js';

const cache = new WeakMap<DB, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per database connection. */
export function stmt(db: DB, sql: string): Database.Statement {
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  let s = perDb.get(sql);
  if (!s) {
    s = db.prepare(sql);
    perDb.set(sql, s);
  }
  return s;
}

/** Runs `fn` in a transaction (IMMEDIATE, so concurrent writers serialise before reading). */
export function tx<T>(db: DB, fn: () => T): T {
  return db.transaction(fn).immediate();
}
