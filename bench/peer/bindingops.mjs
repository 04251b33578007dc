// The host ops Kiln's KV and D1 binding classes call (resources/js/kvnamespace.mjs and
// d1database.mjs: see runtime/engine/OPS.md), for the bench peer: the same JS binding classes
// over better-sqlite3 (bench/peer/sqlite, npm-installed by bench/handlers.py), one SQLite file
// in WAL mode per namespace or database, as Kiln keeps them. Enough of each op for the bench's
// handlers (get/put/delete, one statement or a batch, exec); kvList is not here. Every op
// answers a settled promise, as Kiln's reads do; `promiseResult` knows none (node cannot read a
// promise's state), so the binding classes take their `then()` path.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const decoder = new TextDecoder();

export function makeBindingOps(stateDir) {
  const Database = createRequire(path.join(here, "sqlite", "package.json"))("better-sqlite3");
  fs.mkdirSync(stateDir, { recursive: true });
  const open = (file) => {
    const db = new Database(path.join(stateDir, file));
    db.pragma("journal_mode = WAL");
    return db;
  };
  const kv = [];
  const d1 = [];
  const statements = new Map(); // `${handle}\n${sql}` -> prepared statement
  const prepared = (handle, sql) => {
    const key = `${handle}\n${sql}`;
    let statement = statements.get(key);
    if (!statement) statements.set(key, statement = d1[handle].prepare(sql));
    return statement;
  };
  const param = (v) => (typeof v === "boolean" ? Number(v) : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
  const cell = (v) => (Buffer.isBuffer(v) ? [...v] : v); // BLOBs as arrays of byte values, as D1's
  // One statement's result in ops.d1Run's shape: [columns, rows, [duration, changes,
  // last_row_id, changed_db, size_after, rows_read, rows_written]].
  const runOne = (handle, sql, params) => {
    const started = performance.now();
    const statement = prepared(handle, sql);
    if (statement.reader) {
      const columns = statement.columns().map((c) => c.name);
      const rows = statement.raw(true).all(...params.map(param)).map((row) => row.map(cell));
      return [columns, rows, [performance.now() - started, 0, 0, false, 0, rows.length, 0]];
    }
    const info = statement.run(...params.map(param));
    return [[], [], [performance.now() - started, info.changes, Number(info.lastInsertRowid),
      info.changes > 0, 0, 0, info.changes]];
  };
  return {
    promiseResult: (promise, otherwise) => otherwise,
    kvOpen(id) {
      const db = open(`kv-${id}.sqlite`);
      db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB, metadata TEXT, expiration INTEGER)");
      kv.push({
        get: db.prepare("SELECT value, metadata, expiration FROM kv WHERE key = ?"),
        put: db.prepare("INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)"),
        delete: db.prepare("DELETE FROM kv WHERE key = ?"),
      });
      return kv.length - 1;
    },
    kvGet(handle, key, text) {
      const row = kv[handle].get.get(key);
      const value = row && (text ? decoder.decode(row.value) : new Uint8Array(row.value));
      return Promise.resolve(row ? [value, row.metadata, row.expiration] : null);
    },
    kvPut(handle, key, bytes, expiration, metadata) {
      kv[handle].put.run(key, Buffer.from(bytes), metadata, expiration);
      return Promise.resolve();
    },
    kvDelete(handle, key) {
      kv[handle].delete.run(key);
      return Promise.resolve();
    },
    d1Open(id) {
      d1.push(open(`d1-${id}.sqlite`));
      return d1.length - 1;
    },
    d1Run(handle, list) {
      try {
        const run = () => list.map(([sql, params]) => runOne(handle, sql, params));
        return Promise.resolve(list.length > 1 ? d1[handle].transaction(run)() : run());
      } catch (e) {
        return Promise.reject(new Error(`D1_ERROR: ${e.message}`));
      }
    },
    d1Exec(handle, sql) {
      const started = performance.now();
      d1[handle].exec(sql);
      statements.clear(); // a schema change invalidates what was prepared
      return Promise.resolve({ count: sql.split(";").filter((s) => s.trim()).length, duration: performance.now() - started });
    },
  };
}
