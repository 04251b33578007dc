#pragma once

#include <QString>
#include <QStringList>

namespace kiln {

// The SQL of the D1 browser's schema changes, names quoted as identifiers: what the schema
// dialog shows before it runs anything. Column definitions ("price REAL NOT NULL DEFAULT 0")
// are the person's own SQL and pass through as written.
class D1SchemaSql {
public:
    static QString createTable(const QString& table, const QStringList& columnDefinitions);
    static QString dropTable(const QString& table);
    static QString addColumn(const QString& table, const QString& columnDefinition);
    static QString renameColumn(const QString& table, const QString& from, const QString& to);
    static QString dropColumn(const QString& table, const QString& column);
    static QString renameTable(const QString& from, const QString& to);
    static QString createIndex(const QString& index, const QString& table,
                               const QStringList& columns, bool unique);
    static QString dropIndex(const QString& index);
};

} // namespace kiln
