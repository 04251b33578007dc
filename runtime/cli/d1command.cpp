#include "cli/d1command.h"

#include "cli/storeoptions.h"
#include "cli/texttable.h"
#include "session/terminal.h"
#include "stores/d1database.h"
#include "stores/statelayout.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cstdio>

namespace kiln {

namespace {

QJsonValue jsonOf(const SqlValue& value) {
    if (const auto* i = std::get_if<qint64>(&value)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&value)) return *d;
    if (const auto* s = std::get_if<QString>(&value)) return *s;
    if (const auto* b = std::get_if<QByteArray>(&value)) {
        QJsonArray bytes;
        for (char c : *b)
            bytes.append(static_cast<unsigned char>(c));
        return bytes;
    }
    return QJsonValue::Null;
}

QString cellText(const SqlValue& value) {
    const QJsonValue v = jsonOf(value);
    if (v.isNull()) return QStringLiteral("null");
    if (v.isString()) return v.toString();
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return QString::number(v.toDouble(), 'g', 17);
}

QJsonObject resultJson(const D1Result& r) {
    QJsonArray rows;
    for (const auto& row : r.rows) {
        QJsonObject object;
        for (int i = 0; i < r.columns.size(); ++i)
            object.insert(r.columns[i], jsonOf(row[static_cast<size_t>(i)]));
        rows.append(object);
    }
    return QJsonObject{
        {QStringLiteral("results"), rows},
        {QStringLiteral("success"), true},
        {QStringLiteral("meta"),
         QJsonObject{{QStringLiteral("served_by"), QStringLiteral("kiln")},
                     {QStringLiteral("duration"), r.meta.durationMs},
                     {QStringLiteral("changes"), double(r.meta.changes)},
                     {QStringLiteral("last_row_id"), double(r.meta.lastRowId)},
                     {QStringLiteral("changed_db"), r.meta.changedDb},
                     {QStringLiteral("size_after"), double(r.meta.sizeAfter)},
                     {QStringLiteral("rows_read"), double(r.meta.rowsRead)},
                     {QStringLiteral("rows_written"), double(r.meta.rowsWritten)}}},
    };
}

// A boxed table like wrangler's, for results that have columns.
void printTable(const D1Result& r) {
    std::vector<QStringList> rows;
    rows.reserve(r.rows.size());
    for (const auto& row : r.rows) {
        QStringList cells;
        for (const auto& v : row)
            cells << cellText(v);
        rows.push_back(cells);
    }
    printTextTable(r.columns, rows);
}

struct Migration {
    QString name;
    QString path;
};

std::vector<Migration> migrationFiles(const QString& dir) {
    std::vector<Migration> out;
    const QStringList names =
        QDir(dir).entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
    for (const QString& name : names)
        out.push_back({name, QDir(dir).filePath(name)});
    return out;
}

// The migrations not yet recorded in d1_migrations (wrangler's table), in file-name order.
std::expected<std::vector<Migration>, QString> pending(D1Database& db, const QString& dir) {
    auto made = db.exec(QStringLiteral(
        "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"));
    if (!made) return std::unexpected(made.error());
    auto applied = db.run({D1Statement{QStringLiteral("SELECT name FROM d1_migrations"), {}}});
    if (!applied) return std::unexpected(applied.error());
    QSet<QString> done;
    for (const auto& row : applied->front().rows)
        done.insert(std::get<QString>(row.front()));
    std::vector<Migration> out;
    for (auto& m : migrationFiles(dir))
        if (!done.contains(m.name)) out.push_back(std::move(m));
    return out;
}

} // namespace

int runD1Command(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Query and manage a D1 database's local data."));
    parser.addHelpOption();
    parser.addPositionalArgument(
        QStringLiteral("action"),
        QStringLiteral("execute DB | migrations list|apply DB | export DB"));
    parser.addOption(
        {QStringLiteral("command"), QStringLiteral("execute: SQL to run."), QStringLiteral("sql")});
    parser.addOption({QStringLiteral("file"), QStringLiteral("execute: a .sql file to run."),
                      QStringLiteral("file")});
    parser.addOption(
        {QStringLiteral("json"), QStringLiteral("execute: print the results as JSON.")});
    parser.addOption({QStringLiteral("yes"),
                      QStringLiteral("Accepted for wrangler compatibility (never asks).")});
    parser.addOption({QStringLiteral("table"),
                      QStringLiteral("export: only this table (repeat for more)."),
                      QStringLiteral("name")});
    parser.addOption({QStringLiteral("no-schema"), QStringLiteral("export: rows only.")});
    parser.addOption({QStringLiteral("no-data"), QStringLiteral("export: schema only.")});
    parser.addOption({QStringLiteral("output"), QStringLiteral("export: the .sql file to write."),
                      QStringLiteral("file")});
    addStoreOptions(parser);
    parser.process(args);

    QStringList pos = parser.positionalArguments();
    const QString action = pos.value(0);
    const bool migrations = action == QLatin1String("migrations");
    const QString name = pos.value(migrations ? 2 : 1);
    if (name.isEmpty() ||
        (action != QLatin1String("execute") && action != QLatin1String("export") && !migrations))
        return commandFailed(
            QStringLiteral("usage: kiln d1 execute DB --command SQL | --file F [--json]; kiln d1 "
                           "migrations list|apply DB; kiln d1 export DB --output F"));

    auto loaded = loadStoreProject(parser, "D1 (preview_database_id)");
    if (!loaded) return commandFailed(loaded.error());
    const D1DatabaseDecl* decl = nullptr;
    QStringList known;
    for (const auto& db : loaded->project.d1Databases) {
        known << db.binding;
        if (db.binding == name || db.databaseName == name) decl = &db;
    }
    if (!decl)
        return commandFailed(
            QStringLiteral("%1 has no D1 database named or bound as \"%2\" (d1_databases: %3)")
                .arg(loaded->project.configFile, name,
                     known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))));
    D1Database db(StateLayout(loaded->persistDir).d1File(decl->databaseId));
    if (auto r = db.open(); !r) return commandFailed(r.error());

    if (action == QLatin1String("execute")) {
        QString sql = parser.value(QStringLiteral("command"));
        if (parser.isSet(QStringLiteral("file"))) {
            QFile file(parser.value(QStringLiteral("file")));
            if (!file.open(QIODevice::ReadOnly))
                return commandFailed(
                    QStringLiteral("%1: %2").arg(file.fileName(), file.errorString()));
            sql = QString::fromUtf8(file.readAll());
        }
        if (sql.trimmed().isEmpty())
            return commandFailed(
                QStringLiteral("kiln d1 execute needs --command SQL or --file FILE"));
        auto results = db.runScript(sql);
        if (!results && parser.isSet(QStringLiteral("json"))) {
            // As wrangler: with --json a failure is JSON on stdout too (and exit 1), so a
            // script reading stdout learns why.
            const QJsonObject error{{QStringLiteral("text"), results.error()},
                                    {QStringLiteral("notes"), QJsonArray()},
                                    {QStringLiteral("kind"), QStringLiteral("error")}};
            fputs(QJsonDocument(QJsonObject{{QStringLiteral("error"), error}})
                      .toJson(QJsonDocument::Indented)
                      .constData(),
                  stdout);
            return 1;
        }
        if (!results) return commandFailed(results.error());
        if (parser.isSet(QStringLiteral("json"))) {
            QJsonArray out;
            for (const auto& r : *results)
                out.append(resultJson(r));
            fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
            return 0;
        }
        qint64 changes = 0;
        for (const auto& r : *results) {
            if (!r.columns.isEmpty()) printTable(r);
            changes += r.meta.changes;
        }
        terminalInfo(QStringLiteral("Executed %1 command%2 (%3 row%4 changed) on %5")
                         .arg(results->size())
                         .arg(results->size() == 1 ? "" : "s")
                         .arg(changes)
                         .arg(changes == 1 ? "" : "s")
                         .arg(db.path()));
        return 0;
    }
    if (migrations) {
        const QString sub = pos.value(1);
        auto todo = pending(db, decl->migrationsDir);
        if (!todo) return commandFailed(todo.error());
        if (sub == QLatin1String("list")) {
            if (todo->empty()) {
                printf("No migrations to apply (folder %s).\n", qPrintable(decl->migrationsDir));
                return 0;
            }
            printf("Migrations to be applied:\n");
            for (const auto& m : *todo)
                printf("  %s\n", qPrintable(m.name));
            return 0;
        }
        if (sub != QLatin1String("apply"))
            return commandFailed(QStringLiteral("kiln d1 migrations list|apply DB"));
        for (const auto& m : *todo) {
            QFile file(m.path);
            if (!file.open(QIODevice::ReadOnly))
                return commandFailed(QStringLiteral("%1: %2").arg(m.path, file.errorString()));
            // The migration and its record commit together, or neither does.
            const QString sql = QString::fromUtf8(file.readAll()) +
                                QStringLiteral(";\nINSERT INTO d1_migrations (name) VALUES ('") +
                                QString(m.name).replace(QLatin1Char('\''), QLatin1String("''")) +
                                QStringLiteral("');");
            if (auto r = db.runScript(sql); !r)
                return commandFailed(
                    QStringLiteral("%1: %2 (nothing of it was applied)").arg(m.path, r.error()));
            terminalInfo(QStringLiteral("applied %1").arg(m.name));
        }
        if (todo->empty()) printf("No migrations to apply.\n");
        return 0;
    }
    if (!parser.isSet(QStringLiteral("output")))
        return commandFailed(QStringLiteral("kiln d1 export needs --output FILE"));
    D1Database::DumpOptions dumpOptions;
    dumpOptions.tables = parser.values(QStringLiteral("table"));
    dumpOptions.schema = !parser.isSet(QStringLiteral("no-schema"));
    dumpOptions.data = !parser.isSet(QStringLiteral("no-data"));
    if (!dumpOptions.schema && !dumpOptions.data)
        return commandFailed(QStringLiteral("--no-schema and --no-data together would export "
                                            "nothing; give at most one"));
    auto dump = db.dump(dumpOptions);
    if (!dump) return commandFailed(dump.error());
    QSaveFile out(parser.value(QStringLiteral("output")));
    if (!out.open(QIODevice::WriteOnly) || out.write(dump->toUtf8()) < 0 || !out.commit())
        return commandFailed(QStringLiteral("%1: %2").arg(out.fileName(), out.errorString()));
    terminalInfo(QStringLiteral("exported %1 to %2")
                     .arg(decl->databaseName.isEmpty() ? decl->binding : decl->databaseName,
                          out.fileName()));
    return 0;
}

} // namespace kiln
