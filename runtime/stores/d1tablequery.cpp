#include "stores/d1tablequery.h"

#include <QRegularExpression>

namespace kiln {

namespace {

// A typed comparison value: numbers compare as numbers (SQLite's affinity would turn a
// numeric TEXT into a number for an INTEGER column anyway; for an untyped one it would not).
SqlValue literal(const QString& text) {
    bool ok = false;
    if (const qint64 n = text.toLongLong(&ok); ok) return n;
    if (const double d = text.toDouble(&ok); ok) return d;
    return text;
}

QString likeEscaped(QString text) {
    text.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    text.replace(QLatin1Char('%'), QLatin1String("\\%"));
    text.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return text;
}

} // namespace

D1TableSql::D1TableSql(const D1TableQuery& query, const QString& rowid)
    : m_from(sqlQuoteIdentifier(query.table))
    , m_rowid(rowid) {
    static const QRegularExpression comparison(QStringLiteral("^\\s*(<=|>=|<>|!=|=|<|>)\\s*(.*)$"),
                                               QRegularExpression::DotMatchesEverythingOption);
    QStringList clauses;
    for (const D1ColumnFilter& filter : query.filters) {
        const QString text = filter.text.trimmed();
        if (text.isEmpty()) continue;
        const QString column = sqlQuoteIdentifier(filter.column);
        if (text.compare(QLatin1String("NULL"), Qt::CaseInsensitive) == 0 ||
            text.compare(QLatin1String("IS NULL"), Qt::CaseInsensitive) == 0) {
            clauses << column + QStringLiteral(" IS NULL");
        } else if (text.compare(QLatin1String("NOT NULL"), Qt::CaseInsensitive) == 0 ||
                   text.compare(QLatin1String("IS NOT NULL"), Qt::CaseInsensitive) == 0) {
            clauses << column + QStringLiteral(" IS NOT NULL");
        } else if (const auto m = comparison.match(text); m.hasMatch()) {
            const QString op =
                m.captured(1) == QLatin1String("!=") ? QStringLiteral("<>") : m.captured(1);
            clauses << QStringLiteral("%1 %2 ?").arg(column, op);
            m_params.push_back(literal(m.captured(2)));
        } else {
            clauses << QStringLiteral("CAST(%1 AS TEXT) LIKE ? ESCAPE '\\'").arg(column);
            m_params.push_back(QStringLiteral("%") + likeEscaped(text) + QStringLiteral("%"));
        }
    }
    if (!clauses.isEmpty())
        m_where = QStringLiteral(" WHERE ") + clauses.join(QLatin1String(" AND "));
    // Ties broken by rowid, so OFFSET pages never repeat or skip rows of equal sort keys.
    QStringList order;
    if (query.sortColumn)
        order << sqlQuoteIdentifier(*query.sortColumn) +
                     (query.descending ? QStringLiteral(" DESC") : QStringLiteral(" ASC"));
    if (!m_rowid.isEmpty())
        order << m_rowid +
                     (query.descending && !query.sortColumn ? QStringLiteral(" DESC") : QString());
    if (!order.isEmpty()) m_order = QStringLiteral(" ORDER BY ") + order.join(QLatin1String(", "));
}

QString D1TableSql::select() const {
    const QString columns =
        m_rowid.isEmpty() ? QStringLiteral("*") : m_rowid + QStringLiteral(", *");
    return QStringLiteral("SELECT %1 FROM %2%3%4 LIMIT ? OFFSET ?")
        .arg(columns, m_from, m_where, m_order);
}

QString D1TableSql::count() const {
    return QStringLiteral("SELECT count(*) FROM %1%2").arg(m_from, m_where);
}

} // namespace kiln
