// The JS half of a D1 binding (`env.DB`), shaped like workerd's D1Database and
// D1PreparedStatement: prepare/bind/first/all/run/raw, batch, exec. SQL runs in the host
// (runtime/bindings/d1binding.cpp over runtime/stores/d1database.cpp) on a plain SQLite file.
import { promised, thenNow } from "./settled.mjs";

const kDb = Symbol("db");

function checkValue(value) {
  const type = typeof value;
  if (value == null) return null; // undefined as null, as workerd's `r == null` lets it through
  if (type === "number" || type === "string" || type === "boolean") return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) return new Uint8Array(value);
  // A plain Error, as workerd throws it (a Python int past 2**53 arrives as a bigint and
  // fails here on Cloudflare too).
  throw new Error(`D1_TYPE_ERROR: Type '${type}' not supported for value '${String(value)}'`);
}

// ops.d1Run answers each statement's result as [columns, rows, meta numbers] (arrays are
// what the host makes quickest); these make workerd's shapes from it.
function objectOf(columns, row) {
  const out = {};
  columns.forEach((name, i) => { out[name] = row[i]; });
  return out;
}

function objects([columns, rows]) {
  return rows.map((row) => objectOf(columns, row));
}

function metaOf([, , [duration, changes, last_row_id, changed_db, size_after, rows_read, rows_written]]) {
  return { served_by: "kiln", duration, changes, last_row_id, changed_db, size_after, rows_read, rows_written };
}

function resultOf(result) {
  return { success: true, results: objects(result), meta: metaOf(result) };
}

// A statement's {db, sql, params}, for D1Database.batch.
let stateOf;

export class D1PreparedStatement {
  // A private field, not a hidden property: Object.defineProperty was a quarter of a point
  // select's JS time (a statement is made twice per query: prepare, then bind).
  #state;

  static {
    stateOf = (statement) => statement.#state;
  }

  constructor(db, sql, params) {
    this.#state = { db, sql, params };
  }

  bind(...values) {
    const { db, sql } = this.#state;
    return new D1PreparedStatement(db, sql, values.map(checkValue));
  }

  // A promise of f(the statement's result), any throw a rejection. Not `async`: a lone read
  // answers a promise already fulfilled (settled.mjs).
  #run(f) {
    const { db, sql, params } = this.#state;
    const { ops, handle } = db[kDb];
    return thenNow(ops, ops.d1Run(handle, [[sql, params]]), ([result]) => f(result));
  }

  first(column = undefined) {
    return promised(() => this.#run(([columns, rows]) => {
      if (rows.length === 0) return null;
      if (column === undefined) return objectOf(columns, rows[0]);
      const index = columns.lastIndexOf(String(column));
      if (index === -1) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return rows[0][index];
    }));
  }

  all() {
    return promised(() => this.#run(resultOf));
  }

  run() {
    return promised(() => this.all());
  }

  raw(options = undefined) {
    return promised(() => this.#run(([columns, rows]) => options?.columnNames ? [columns, ...rows] : rows));
  }

  get statement() { return this.#state.sql; }
}
Object.defineProperty(D1PreparedStatement.prototype, Symbol.toStringTag, { value: "D1PreparedStatement" });

export class D1Database {
  constructor(ops, id) {
    Object.defineProperty(this, kDb, { value: { ops, handle: ops.d1Open(id) } });
  }

  prepare(query) {
    if (query === undefined) throw new TypeError("D1Database.prepare() requires a SQL query.");
    return new D1PreparedStatement(this, String(query), []);
  }

  // One transaction: every statement commits, or none does.
  async batch(statements) {
    if (!Array.isArray(statements) || !statements.every((s) => s instanceof D1PreparedStatement))
      throw new TypeError("D1Database.batch() expects an array of D1PreparedStatement objects.");
    if (statements.length === 0) return [];
    const { ops, handle } = this[kDb];
    const results = await ops.d1Run(handle, statements.map((s) => {
      const { sql, params } = stateOf(s);
      return [sql, params];
    }));
    return results.map(resultOf);
  }

  async exec(query) {
    const { ops, handle } = this[kDb];
    return ops.d1Exec(handle, String(query));
  }

  async dump() {
    throw new Error("D1_DUMP_ERROR: dump() is deprecated and not available locally; use `kiln d1 export DB --output FILE`.");
  }

  withSession() {
    return this; // one local copy: every session sees every write
  }
}
Object.defineProperty(D1Database.prototype, Symbol.toStringTag, { value: "D1Database" });

const SHAPES = { first: 0, all: 1, run: 1, raw: 2 };

// Kiln's own (the entrypoint helper's callStatement, for the Python SDK): what
// `db.prepare(sql).bind(...params)[name]()` answers, for first/all/run/raw without arguments
// over values bind() takes as they are, as callRpc would encode it ("j" + JSON text), written by
// the host from the result in one op (ops.d1Answer). undefined, with nothing run, for anything
// else; undefined too when the host has no such answer (an integer past 2^53, say), having run
// a lone read once: the caller then runs the statement itself, which answers as always.
export function statementAnswer(db, sql, name, params) {
  const shape = SHAPES[name];
  if (shape === undefined || !(db instanceof D1Database) || typeof sql !== "string") return undefined;
  for (const value of params) {
    const type = typeof value;
    if (value !== null && type !== "string" && type !== "number" && type !== "boolean") return undefined;
  }
  const { ops, handle } = db[kDb];
  return ops.d1Answer(handle, sql, params, shape);
}
