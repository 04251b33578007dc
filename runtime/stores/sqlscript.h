#pragma once

#include <QString>

#include <vector>

namespace kiln {

// Splits SQL text into its statements the way SQLite reads them (sqlite3_complete: a `;`
// inside a string, a comment or a trigger body does not end one), keeping where each starts
// and ends in the text, so a console can run the statement under the cursor and point at
// an error in the person's own text.
class SqlScript {
public:
    struct Statement {
        QString sql;     // trimmed, without its closing ';'
        qsizetype start; // in the text given, the first character of `sql`
        qsizetype end;   // one past its ';' (or the end of the text)
    };
    static std::vector<Statement> split(const QString& text);
    // The statement the cursor is in, or the one just before it; -1 when there is none.
    static int statementAt(const std::vector<Statement>& statements, qsizetype cursor);
};

} // namespace kiln
