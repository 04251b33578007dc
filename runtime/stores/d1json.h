#pragma once

#include "stores/d1database.h"

#include <QByteArray>
#include <QByteArrayView>

#include <expected>
#include <vector>

namespace kiln {

// D1 statements and results as JSON text: what crosses between the Python SDK and the
// host in one string each way (a point select spent more time building and walking JS
// objects than in SQLite).
//
// Statements: [[sql, [param, ...]], ...] where a param is null, true/false (-> 0/1), a
// number, a string, {"b64": "<base64>"} (a BLOB) or {"float": "inf" | "-inf" | "nan"}.
// Results: [{"columns": [...], "rows": [[...], ...], "meta": {...}}, ...], meta as D1 names
// it; BLOBs as arrays of byte values and integers beyond 2^53 as doubles, which is what
// the JS binding (and so Pyodide) would hand over. Infinity is written as Python's json
// reads it. Without meta, results carry only columns and rows.
class D1Json {
public:
    static std::expected<std::vector<D1Statement>, QString> parseStatements(QByteArrayView text);
    // A result written as the statement steps (no copy of the rows in between):
    // beginResult, appendRow per row, endResult with the meta or without.
    static void beginResult(QByteArray& out, sqlite3_stmt* stmt);
    static void appendRow(QByteArray& out, sqlite3_stmt* stmt, bool first);
    static void endResult(QByteArray& out, const D1Meta* meta);
};

} // namespace kiln
