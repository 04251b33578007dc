#include "d1schemasql.h"

#include "stores/sqlitedb.h"

#include <QRegularExpression>

namespace kiln {

namespace {

QString quoted(const QString& name) {
    return sqlQuoteIdentifier(name.trimmed());
}

} // namespace

QString D1SchemaSql::createTable(const QString& table, const QStringList& columnDefinitions) {
    QStringList lines;
    for (const QString& line : columnDefinitions)
        if (!line.trimmed().isEmpty())
            lines << QStringLiteral("  ") +
                         line.trimmed().remove(QRegularExpression(QStringLiteral(",$")));
    return QStringLiteral("CREATE TABLE %1 (\n%2\n)")
        .arg(quoted(table), lines.join(QStringLiteral(",\n")));
}

QString D1SchemaSql::dropTable(const QString& table) {
    return QStringLiteral("DROP TABLE %1").arg(quoted(table));
}

QString D1SchemaSql::addColumn(const QString& table, const QString& columnDefinition) {
    return QStringLiteral("ALTER TABLE %1 ADD COLUMN %2")
        .arg(quoted(table), columnDefinition.trimmed());
}

QString D1SchemaSql::renameColumn(const QString& table, const QString& from, const QString& to) {
    return QStringLiteral("ALTER TABLE %1 RENAME COLUMN %2 TO %3")
        .arg(quoted(table), quoted(from), quoted(to));
}

QString D1SchemaSql::dropColumn(const QString& table, const QString& column) {
    return QStringLiteral("ALTER TABLE %1 DROP COLUMN %2").arg(quoted(table), quoted(column));
}

QString D1SchemaSql::renameTable(const QString& from, const QString& to) {
    return QStringLiteral("ALTER TABLE %1 RENAME TO %2").arg(quoted(from), quoted(to));
}

QString D1SchemaSql::createIndex(const QString& index, const QString& table,
                                 const QStringList& columns, bool unique) {
    QStringList names;
    for (const QString& column : columns)
        if (!column.trimmed().isEmpty()) names << quoted(column);
    return QStringLiteral("CREATE %1INDEX %2 ON %3 (%4)")
        .arg(unique ? QStringLiteral("UNIQUE ") : QString(), quoted(index), quoted(table),
             names.join(QStringLiteral(", ")));
}

QString D1SchemaSql::dropIndex(const QString& index) {
    return QStringLiteral("DROP INDEX %1").arg(quoted(index));
}

} // namespace kiln
