// D1Reader: a D1 database read-only while something else may write it. Tables and views,
// columns, rows paged by rowid (and by offset where there is none), SELECTs only, and Busy
// at once when a rollback-journal database is locked by a writer.
#include "stores/d1database.h"
#include "stores/d1reader.h"

#include "rawsqlite.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <set>

using namespace kiln;
using kiln::test::LateRelease;
using kiln::test::RawSqlite;
using namespace std::chrono_literals;

class TestD1Reader : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void missingDatabaseIsNeverCreated();
    void tablesAndColumns();
    void rowsPageByRowid();
    void rowsWithoutRowidPageByOffset();
    void queryOnlyReads();
    void selectSortsFiltersAndCounts();
    void filterTextIsNeverSql();
    void schemaListsEverything();
    void busyAtOnceThenRecovers();

private:
    void exec(const QString& sql);
    // Every row of `table` through pages of `limit`, checked page by page.
    std::vector<std::vector<SqlValue>> allRows(D1Reader& reader, const QString& table, int limit,
                                               bool byOffset);
    QString path() const { return m_dir->filePath(QStringLiteral("state/d1/db.sqlite")); }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<D1Database> m_db;
};

void TestD1Reader::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = std::make_unique<D1Database>(path());
    QVERIFY(m_db->open());
}

void TestD1Reader::cleanup() {
    m_db.reset();
    m_dir.reset();
}

void TestD1Reader::exec(const QString& sql) {
    auto r = m_db->exec(sql);
    QVERIFY2(r, qPrintable(r ? QString() : r.error()));
}

std::vector<std::vector<SqlValue>> TestD1Reader::allRows(D1Reader& reader, const QString& table,
                                                         int limit, bool byOffset) {
    std::vector<std::vector<SqlValue>> rows;
    D1RowCursor cursor;
    for (int pages = 0; pages < 10000; ++pages) {
        auto page = reader.rows(table, cursor, limit);
        if (!page) {
            qWarning("%s", qPrintable(page.error().message));
            return {};
        }
        if (page->byOffset != byOffset || int(page->rows.size()) > limit) return {};
        if (!byOffset && page->rowids.size() != page->rows.size()) return {};
        rows.insert(rows.end(), page->rows.begin(), page->rows.end());
        if (!page->more) return rows;
        cursor = page->next;
    }
    return {};
}

void TestD1Reader::missingDatabaseIsNeverCreated() {
    const QString missing = m_dir->filePath(QStringLiteral("other/d1/none.sqlite"));
    D1Reader reader(missing);
    auto tables = reader.tables();
    QVERIFY(!tables);
    QCOMPARE(tables.error().code, StoreError::Code::Missing);
    QCOMPARE(tables.error().message, QStringLiteral("no such store file: %1").arg(missing));
    QCOMPARE(reader.query(QStringLiteral("SELECT 1"), 1).error().code, StoreError::Code::Missing);
    QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("other"))));
}

void TestD1Reader::tablesAndColumns() {
    exec(QStringLiteral("CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT "
                        "NULL DEFAULT 'anon', \"odd \"\"name\" BLOB);"
                        "CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                        "CREATE VIEW named AS SELECT name FROM users;"
                        "INSERT INTO users (name) VALUES ('a'), ('b'), ('c');"));
    D1Reader reader(path());
    auto tables = reader.tables();
    QVERIFY2(tables, qPrintable(tables ? QString() : tables.error().message));
    QStringList names;
    for (const auto& t : *tables)
        names << t.name + QLatin1Char(':') + t.type +
                     (t.withoutRowid ? QStringLiteral(":wr") : QString());
    // sqlite_sequence (from AUTOINCREMENT) and sqlite_schema are SQLite's, not the user's.
    QCOMPARE(names, (QStringList{"kv:table:wr", "named:view", "users:table"}));
    QVERIFY(!(*tables)[0].rowCount);
    auto counted = reader.tables(true);
    QVERIFY(counted);
    QCOMPARE((*counted)[0].rowCount, std::optional<qint64>(0));
    QCOMPARE((*counted)[1].rowCount, std::optional<qint64>(3));
    QCOMPARE((*counted)[2].rowCount, std::optional<qint64>(3));

    auto columns = reader.columns(QStringLiteral("users"));
    QVERIFY(columns);
    QCOMPARE(columns->size(), size_t(3));
    QCOMPARE((*columns)[0].name, QStringLiteral("id"));
    QCOMPARE((*columns)[0].type, QStringLiteral("INTEGER"));
    QCOMPARE((*columns)[0].primaryKey, 1);
    QCOMPARE((*columns)[1].name, QStringLiteral("name"));
    QVERIFY((*columns)[1].notNull);
    QCOMPARE((*columns)[1].defaultValue, std::optional<QString>(QStringLiteral("'anon'")));
    QCOMPARE((*columns)[2].name, QStringLiteral("odd \"name"));
    QCOMPARE((*columns)[2].primaryKey, 0);
    QVERIFY(!(*columns)[2].defaultValue);
    auto none = reader.columns(QStringLiteral("nope"));
    QVERIFY(!none);
    QVERIFY(none.error().message.contains(QStringLiteral("no such table: nope")));
}

void TestD1Reader::rowsPageByRowid() {
    exec(QStringLiteral("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, data BLOB);"
                        "CREATE TABLE \"we\"\"ird\" (rowid TEXT, v);"));
    // Negative, zero and sparse rowids, and values of every type.
    std::vector<qint64> ids = {-9'000'000'000, -5, 0, 1, 2, 10, 1000, 9'000'000'000};
    for (int i = 0; i < 40; ++i)
        ids.push_back(2000 + i * 3);
    std::sort(ids.begin(), ids.end());
    for (qint64 id : ids) {
        auto r = m_db->run({D1Statement{QStringLiteral("INSERT INTO items VALUES (?, ?, ?)"),
                                        {SqlValue(id), SqlValue(QStringLiteral("n%1").arg(id)),
                                         SqlValue(QByteArray("\x00\xff", 2))}}});
        QVERIFY(r);
    }
    // A column named rowid: the pages must use another name for the real rowid.
    for (int i = 0; i < 9; ++i)
        exec(QStringLiteral("INSERT INTO \"we\"\"ird\" VALUES ('same', %1)").arg(i));

    D1Reader reader(path());
    for (int limit : {1, 3, 7, 100}) {
        const auto rows = allRows(reader, QStringLiteral("items"), limit, false);
        QCOMPARE(rows.size(), ids.size());
        for (size_t i = 0; i < rows.size(); ++i) {
            QCOMPARE(std::get<qint64>(rows[i][0]), ids[i]);
            QCOMPARE(std::get<QString>(rows[i][1]), QStringLiteral("n%1").arg(ids[i]));
            QCOMPARE(std::get<QByteArray>(rows[i][2]), QByteArray("\x00\xff", 2));
        }
        const auto weird = allRows(reader, QStringLiteral("we\"ird"), limit, false);
        QCOMPARE(weird.size(), size_t(9));
        std::set<qint64> values;
        for (const auto& row : weird) {
            QCOMPARE(row.size(), size_t(2));
            QCOMPARE(std::get<QString>(row[0]), QStringLiteral("same"));
            values.insert(std::get<qint64>(row[1]));
        }
        QCOMPARE(values.size(), size_t(9));
    }

    auto first = reader.rows(QStringLiteral("items"), {}, 3);
    QVERIFY(first && first->more);
    QCOMPARE(first->columns, (QStringList{"id", "name", "data"}));
    QCOMPARE(first->rowids, (std::vector<qint64>{-9'000'000'000, -5, 0}));
    QCOMPARE(first->next.afterRowid, std::optional<qint64>(0));
    // Rows written and deleted between pages: the next page starts after the last rowid
    // seen, so nothing repeats.
    exec(QStringLiteral("DELETE FROM items WHERE id = 1; INSERT INTO items VALUES (-1, 'behind', "
                        "NULL), (5, 'ahead', NULL)"));
    auto second = reader.rows(QStringLiteral("items"), first->next, 3);
    QVERIFY(second);
    QCOMPARE(second->rowids, (std::vector<qint64>{2, 5, 10}));
    QVERIFY(std::holds_alternative<std::monostate>(second->rows[1][2]));
    auto end = reader.rows(QStringLiteral("items"), D1RowCursor{9'000'000'000, 0}, 3);
    QVERIFY(end && end->rows.empty() && !end->more);
    QCOMPARE(end->next.afterRowid, std::optional<qint64>(9'000'000'000));
    QCOMPARE(reader.rows(QStringLiteral("missing"), {}, 3).error().code, StoreError::Code::Other);
}

void TestD1Reader::rowsWithoutRowidPageByOffset() {
    exec(QStringLiteral("CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                        "CREATE VIEW odd AS SELECT k FROM kv WHERE v % 2 = 1;"));
    for (int i = 0; i < 25; ++i)
        exec(QStringLiteral("INSERT INTO kv VALUES ('k%1', %2)")
                 .arg(i, 2, 10, QLatin1Char('0'))
                 .arg(i));
    D1Reader reader(path());
    for (int limit : {1, 4, 25, 30}) {
        const auto rows = allRows(reader, QStringLiteral("kv"), limit, true);
        QCOMPARE(rows.size(), size_t(25));
        for (int i = 0; i < 25; ++i)
            QCOMPARE(std::get<QString>(rows[size_t(i)][0]),
                     QStringLiteral("k%1").arg(i, 2, 10, QLatin1Char('0')));
        QCOMPARE(allRows(reader, QStringLiteral("odd"), limit, true).size(), size_t(12));
    }
    auto page = reader.rows(QStringLiteral("kv"), {}, 10);
    QVERIFY(page && page->byOffset && page->more && page->rowids.empty());
    QCOMPARE(page->columns, (QStringList{"k", "v"}));
    QCOMPARE(page->next.offset, qint64(10));
}

void TestD1Reader::queryOnlyReads() {
    exec(QStringLiteral("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3), (4), (5);"));
    D1Reader reader(path());
    auto all = reader.query(QStringLiteral("SELECT x, x * 2 AS twice FROM t ORDER BY x"), 10);
    QVERIFY(all);
    QCOMPARE(all->columns, (QStringList{"x", "twice"}));
    QCOMPARE(all->rows.size(), size_t(5));
    QVERIFY(!all->truncated);
    auto some = reader.query(QStringLiteral("SELECT x FROM t ORDER BY x; -- trailing comment"), 2);
    QVERIFY(some && some->truncated);
    QCOMPARE(some->rows.size(), size_t(2));
    QCOMPARE(std::get<qint64>(some->rows[1][0]), qint64(2));
    QVERIFY(reader.query(QStringLiteral("PRAGMA table_info(t)"), 10));

    const QStringList refused = {QStringLiteral("INSERT INTO t VALUES (6)"),
                                 QStringLiteral("DELETE FROM t RETURNING x"),
                                 QStringLiteral("SELECT 1; DELETE FROM t"),
                                 QStringLiteral("BEGIN"),
                                 QStringLiteral("ATTACH '%1' AS other")
                                     .arg(m_dir->filePath(QStringLiteral("attached.sqlite"))),
                                 QStringLiteral("PRAGMA journal_mode=DELETE"),
                                 QStringLiteral("   -- only a comment"),
                                 QStringLiteral("SELEC nonsense")};
    for (const QString& sql : refused) {
        auto r = reader.query(sql, 10);
        QVERIFY2(!r, qPrintable(sql));
        QCOMPARE(r.error().code, StoreError::Code::Other);
    }
    QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("attached.sqlite"))));
    QCOMPARE(
        std::get<qint64>(reader.query(QStringLiteral("SELECT count(*) FROM t"), 1)->rows[0][0]),
        qint64(5));
    QCOMPARE(RawSqlite(path()).scalar("PRAGMA journal_mode"), QStringLiteral("wal"));
    QCOMPARE(reader.query(QStringLiteral("SELECT 1"), 0).error().code, StoreError::Code::Other);
}

// The browser's grid: sorted by a column (ties by rowid), filtered per column with the
// typed grammar, paged by offset, with each row's rowid and the matching count.
void TestD1Reader::selectSortsFiltersAndCounts() {
    exec(QStringLiteral("CREATE TABLE t (name TEXT, n INTEGER, note TEXT)"));
    exec(QStringLiteral("INSERT INTO t VALUES ('b', 2, '50%% off'), ('a', 2, NULL), "
                        "('c', 1, 'x_y'), ('d', 10, 'plain')"));
    D1Reader reader(path());
    D1TableQuery query;
    query.table = QStringLiteral("T"); // names match as SQLite matches them
    query.sortColumn = QStringLiteral("n");
    query.descending = true;
    query.limit = 2;
    auto page = reader.select(query, true);
    QVERIFY2(page, page ? "" : qPrintable(page.error().message));
    QCOMPARE(page->count, std::optional<qint64>(4));
    QCOMPARE(page->rowidName, QStringLiteral("rowid"));
    QCOMPARE(page->columns, QStringList({"name", "n", "note"}));
    QCOMPARE(page->rows.size(), size_t(2));
    QCOMPARE(std::get<QString>(page->rows[0][0]), QStringLiteral("d"));
    QCOMPARE(std::get<QString>(page->rows[1][0]), QStringLiteral("b")); // n = 2, lower rowid
    QCOMPARE(page->rowids, (std::vector<qint64>{4, 1}));
    query.offset = 2;
    page = reader.select(query, false);
    QVERIFY(page && !page->count);
    QCOMPARE(std::get<QString>(page->rows[0][0]), QStringLiteral("a"));
    QCOMPARE(std::get<QString>(page->rows[1][0]), QStringLiteral("c"));

    const auto matching = [&](std::vector<D1ColumnFilter> filters) {
        D1TableQuery q;
        q.table = QStringLiteral("t");
        q.filters = std::move(filters);
        auto r = reader.select(q, true);
        return r ? *r->count : qint64(-1);
    };
    QCOMPARE(matching({{"n", ">1"}}), qint64(3));
    QCOMPARE(matching({{"n", "= 2"}}), qint64(2));
    QCOMPARE(matching({{"n", "!=2"}}), qint64(2));
    QCOMPARE(matching({{"n", "<=2"}, {"name", "a"}}), qint64(1));
    QCOMPARE(matching({{"note", "NULL"}}), qint64(1));
    QCOMPARE(matching({{"note", "not null"}}), qint64(3));
    QCOMPARE(matching({{"note", "%"}}), qint64(1)); // % and _ are literal
    QCOMPARE(matching({{"note", "_"}}), qint64(1));
    QCOMPARE(matching({{"n", "1"}}), qint64(2)); // plain text: contains (1 and 10)
    QVERIFY(!reader.select(D1TableQuery{QStringLiteral("nope"), {}, {}, false, 0, 5}, false));
}

// Whatever is typed into a filter is a bound value: it can never become SQL.
void TestD1Reader::filterTextIsNeverSql() {
    exec(QStringLiteral("CREATE TABLE t (a TEXT)"));
    exec(QStringLiteral("INSERT INTO t VALUES ('x')"));
    D1Reader reader(path());
    for (const QString& hostile :
         {QStringLiteral("'; DROP TABLE t; --"), QStringLiteral("= 1 OR 1=1"),
          QStringLiteral("x' OR '1'='1"), QStringLiteral("\\")}) {
        D1TableQuery q;
        q.table = QStringLiteral("t");
        q.filters = {{QStringLiteral("a"), hostile}};
        auto page = reader.select(q, true);
        QVERIFY2(page, page ? "" : qPrintable(page.error().message));
        QCOMPARE(*page->count, qint64(0));
    }
    D1TableQuery badColumn;
    badColumn.table = QStringLiteral("t");
    badColumn.sortColumn = QStringLiteral("a\" DESC; DROP TABLE t; --");
    QVERIFY(!reader.select(badColumn, false)); // an unknown column, quoted: an error
    auto tables = reader.tables();
    QVERIFY(tables && tables->size() == 1);
}

void TestD1Reader::schemaListsEverything() {
    exec(QStringLiteral("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"));
    exec(QStringLiteral("CREATE TABLE books (id INTEGER PRIMARY KEY, author INTEGER "
                        "REFERENCES authors(id), title TEXT)"));
    exec(QStringLiteral("CREATE INDEX books_title ON books(title)"));
    exec(QStringLiteral("CREATE VIEW titles AS SELECT title FROM books"));
    exec(QStringLiteral("CREATE TRIGGER stamp AFTER INSERT ON books BEGIN SELECT 1; END"));
    D1Reader reader(path());
    auto schema = reader.schema();
    QVERIFY(schema);
    QStringList seen;
    for (const D1SchemaEntry& e : *schema)
        seen << e.type + QLatin1Char(':') + e.name;
    QCOMPARE(seen, QStringList({"table:authors", "table:books", "view:titles", "index:books_title",
                                "trigger:stamp"}));
    QVERIFY(schema->at(1).sql.startsWith(QLatin1String("CREATE TABLE books")));
    QCOMPARE(schema->at(3).table, QStringLiteral("books"));
    auto keys = reader.foreignKeys(QStringLiteral("books"));
    QVERIFY(keys && keys->size() == 1);
    QCOMPARE(keys->at(0).from, QStringLiteral("author"));
    QCOMPARE(keys->at(0).table, QStringLiteral("authors"));
    QCOMPARE(keys->at(0).to, QStringLiteral("id"));
}

void TestD1Reader::busyAtOnceThenRecovers() {
    // A database another tool keeps in rollback-journal mode: there a writer's exclusive
    // lock keeps every reader out until it commits.
    const QString rollback = m_dir->filePath(QStringLiteral("state/d1/rollback.sqlite"));
    RawSqlite writer(rollback);
    QVERIFY(
        writer.exec("PRAGMA journal_mode=DELETE; CREATE TABLE t (x); INSERT INTO t VALUES (1);"));
    D1Reader early(rollback);
    QVERIFY(early.open());
    QVERIFY(writer.exec("BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);"));
    {
        LateRelease release(1500ms, [&] { writer.exec("COMMIT"); });
        D1Reader late(rollback);
        auto tables = late.tables();
        QVERIFY(!tables);
        QCOMPARE(tables.error().code, StoreError::Code::Busy);
        auto rows = early.rows(QStringLiteral("t"), {}, 10);
        QVERIFY(!rows);
        QCOMPARE(rows.error().code, StoreError::Code::Busy);
        auto query = early.query(QStringLiteral("SELECT count(*) FROM t"), 1);
        QVERIFY(!query);
        QCOMPARE(query.error().code, StoreError::Code::Busy);
        release.wait();
        auto after = late.rows(QStringLiteral("t"), {}, 10);
        QVERIFY2(after, qPrintable(after ? QString() : after.error().message));
        QCOMPARE(after->rows.size(), size_t(2));
    }
    QCOMPARE(std::get<qint64>(early.query(QStringLiteral("SELECT count(*) FROM t"), 1)->rows[0][0]),
             qint64(2));
    QCOMPARE(writer.scalar("PRAGMA journal_mode"), QStringLiteral("delete"));
    QVERIFY(!QFileInfo::exists(rollback + QStringLiteral("-wal")));
}

QTEST_GUILESS_MAIN(TestD1Reader)
#include "test_d1reader.moc"
