#include "cli/texttable.h"

#include <algorithm>
#include <cstdio>

namespace kiln {

namespace {

// A cell is one line: a multi-line text (a traceback) keeps its first line.
QString oneLine(const QString& text) {
    const qsizetype end = text.indexOf(QLatin1Char('\n'));
    return end < 0 ? text : text.left(end) + QStringLiteral(" \u2026");
}

} // namespace

void printTextTable(const QStringList& columns, const std::vector<QStringList>& rawRows) {
    std::vector<QStringList> rows;
    rows.reserve(rawRows.size());
    for (const QStringList& raw : rawRows) {
        QStringList row;
        for (const QString& cell : raw)
            row << oneLine(cell);
        rows.push_back(row);
    }
    std::vector<qsizetype> width(static_cast<size_t>(columns.size()));
    for (int i = 0; i < columns.size(); ++i)
        width[static_cast<size_t>(i)] = columns[i].size();
    for (const QStringList& row : rows)
        for (int i = 0; i < std::min(row.size(), columns.size()); ++i)
            width[static_cast<size_t>(i)] = std::max(width[static_cast<size_t>(i)], row[i].size());
    auto rule = [&](const char* left, const char* mid, const char* right) {
        QString line = QString::fromUtf8(left);
        for (size_t i = 0; i < width.size(); ++i)
            line += QString(width[i] + 2, QChar(0x2500)) +
                    QString::fromUtf8(i + 1 < width.size() ? mid : right);
        printf("%s\n", line.toUtf8().constData());
    };
    auto line = [&](const QStringList& cells) {
        QString text = QStringLiteral("\u2502");
        for (size_t i = 0; i < width.size(); ++i)
            text += QLatin1Char(' ') + cells.value(static_cast<int>(i)).leftJustified(width[i]) +
                    QStringLiteral(" \u2502");
        printf("%s\n", text.toUtf8().constData());
    };
    rule("\u250c", "\u252c", "\u2510");
    line(columns);
    rule("\u251c", "\u253c", "\u2524");
    for (const QStringList& row : rows)
        line(row);
    rule("\u2514", "\u2534", "\u2518");
}

} // namespace kiln
