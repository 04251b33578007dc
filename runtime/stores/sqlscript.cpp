#include "stores/sqlscript.h"

#include <sqlite3.h>

namespace kiln {

std::vector<SqlScript::Statement> SqlScript::split(const QString& text) {
    std::vector<Statement> out;
    qsizetype start = 0;
    const auto add = [&](qsizetype end, qsizetype next) {
        qsizetype first = start;
        while (first < end && text.at(first).isSpace())
            ++first;
        QString sql = text.mid(first, end - first).trimmed();
        // A piece of only comments is not a statement for SQLite either.
        if (!sql.isEmpty() && sqlite3_complete((sql + QLatin1Char(';')).toUtf8().constData()) &&
            !QString(sql).remove(QLatin1Char(';')).trimmed().isEmpty())
            out.push_back({sql, first, next});
        start = next;
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) != QLatin1Char(';')) continue;
        if (sqlite3_complete(text.mid(start, i + 1 - start).toUtf8().constData())) add(i, i + 1);
    }
    if (!text.mid(start).trimmed().isEmpty()) add(text.size(), text.size());
    return out;
}

int SqlScript::statementAt(const std::vector<Statement>& statements, qsizetype cursor) {
    int best = -1;
    for (int i = 0; i < int(statements.size()); ++i)
        if (statements[size_t(i)].start <= cursor) best = i;
    // In the blank after a statement's ';' still means that statement, as in other consoles.
    return best;
}

} // namespace kiln
