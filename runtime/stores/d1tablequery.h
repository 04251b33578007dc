#pragma once

#include "stores/sqlitedb.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace kiln {

// One column's filter as a person types it in a table browser (DB Browser for SQLite's
// grammar): `=5`, `<>x`, `>10`, `<=2.5`, `NULL`, `NOT NULL`, or any other text, which
// matches values containing it (LIKE, % and _ taken literally).
struct D1ColumnFilter {
    QString column;
    QString text;
};

// A page of a table or view, sorted and filtered, as the browser's grid asks for it.
struct D1TableQuery {
    QString table;
    std::vector<D1ColumnFilter> filters;
    std::optional<QString> sortColumn;
    bool descending = false;
    qint64 offset = 0;
    int limit = 256;
};

struct D1TablePage {
    QStringList columns;
    std::vector<std::vector<SqlValue>> rows;
    std::vector<qint64> rowids;  // one per row when the table has a rowid, else empty
    QString rowidName;           // "rowid", "_rowid_", "oid"; empty without one
    std::optional<qint64> count; // rows matching the filters, when asked for
};

// One entry of sqlite_schema: a table, view, index or trigger with the SQL that made it.
struct D1SchemaEntry {
    QString type; // "table", "view", "index", "trigger"
    QString name;
    QString table; // what an index or trigger belongs to
    QString sql;   // empty for the indexes SQLite makes itself (UNIQUE, PRIMARY KEY)
};

struct D1ForeignKey {
    QString from; // this table's column
    QString table;
    QString to; // the other table's column (empty: its primary key)
};

// What SQLite makes of one statement without running it (D1Reader::check).
struct D1SqlCheck {
    bool readsRows = false; // read-only and returns rows: safe to run read-only
    QString error;          // empty when it prepared
    qsizetype errorAt = -1; // where in the statement's text SQLite stopped, when it says
};

// The SQL for a D1TableQuery: identifiers quoted, every value a bound parameter. A plain
// value; D1Reader runs it. `rowid` names the table's rowid column ("rowid", "_rowid_" or
// "oid"), empty when it has none (WITHOUT ROWID, a view).
class D1TableSql {
public:
    D1TableSql(const D1TableQuery& query, const QString& rowid);
    // SELECT [rowid,] * ... WHERE ... ORDER BY ... LIMIT ? OFFSET ?
    QString select() const;
    // SELECT count(*) ... WHERE ...
    QString count() const;
    // Values for the WHERE clause's ?s, in order (select() adds LIMIT and OFFSET after).
    const std::vector<SqlValue>& params() const { return m_params; }

private:
    QString m_from;
    QString m_where;
    QString m_order;
    QString m_rowid;
    std::vector<SqlValue> m_params;
};

} // namespace kiln
