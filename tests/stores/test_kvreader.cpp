// KvReader: a KV namespace file read-only while something else may write it. Never creates
// or changes the file, never deletes expired keys, pages through hostile keys exactly once,
// and answers Busy at once (instead of waiting) when another connection holds a lock.
#include "stores/kvreader.h"
#include "stores/kvstore.h"

#include "rawsqlite.h"

#include <QDateTime>
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace kiln;
using kiln::test::LateRelease;
using kiln::test::RawSqlite;
using namespace std::chrono_literals;

class TestKvReader : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void missingStoreIsNeverCreated();
    void neverChangesTheFile();
    void expiredKeysHiddenNotDeleted();
    void pagingReturnsEveryKeyOnce_data();
    void pagingReturnsEveryKeyOnce();
    void valuesAndSizes();
    void searchMatchesBytesAnywhere();
    void dataVersionMovesOnOthersCommits();
    void readsWhileTheStoreWrites();
    void busyAtOnceThenRecovers();

private:
    QString storePath() const { return m_dir->filePath(QStringLiteral("state/kv/ns.sqlite")); }
    std::vector<QByteArray> hostileKeys() const;
    std::unique_ptr<QTemporaryDir> m_dir;
    const qint64 m_now = QDateTime::currentSecsSinceEpoch();
};

void TestKvReader::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestKvReader::cleanup() {
    m_dir.reset();
}

std::vector<QByteArray> TestKvReader::hostileKeys() const {
    std::vector<QByteArray> keys = {QByteArray("\x00", 1),
                                    QByteArray("\x00\x00", 2),
                                    QByteArray("\x00"
                                               "a",
                                               2),
                                    " ",
                                    "\t",
                                    "a",
                                    QByteArray("a\x00", 2),
                                    QByteArray("a\x00"
                                               "b",
                                               3),
                                    "a\xff",
                                    "a\xff"
                                    "b",
                                    "ab",
                                    "\xff",
                                    "\xff\xff",
                                    "\xff\xff\xff",
                                    "\x7f",
                                    "\x80",
                                    "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
                                    "...",
                                    "a/b",
                                    "/",
                                    "\\",
                                    "%00",
                                    QByteArray(512, 'z'),
                                    QByteArray(511, 'z') + "\xff",
                                    QByteArray(512, '\xff')};
    return keys;
}

void TestKvReader::missingStoreIsNeverCreated() {
    KvReader reader(storePath());
    auto opened = reader.open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StoreError::Code::Missing);
    QCOMPARE(opened.error().message, QStringLiteral("no such store file: %1").arg(storePath()));
    auto listed = reader.keys(std::nullopt, {}, 10, m_now);
    QVERIFY(!listed);
    QCOMPARE(listed.error().code, StoreError::Code::Missing);
    QVERIFY(!reader.value("k", m_now));
    QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("state")))); // not even the folder

    // With the folder there, still nothing appears in it.
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("state/kv"))));
    QCOMPARE(reader.keys(std::nullopt, {}, 10, m_now).error().code, StoreError::Code::Missing);
    QVERIFY(QDir(m_dir->filePath(QStringLiteral("state/kv")))
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)
                .isEmpty());

    // Once `kiln dev` creates it, the same reader opens it.
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        QVERIFY(store.put("k", "v", std::nullopt, {}, m_now));
    }
    auto page = reader.keys(std::nullopt, {}, 10, m_now);
    QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
    QCOMPARE(page->keys.size(), size_t(1));
}

void TestKvReader::neverChangesTheFile() {
    // A file another tool made, in rollback-journal mode and without the kv table: the
    // read-write store would switch it to WAL and create the table; the reader must not.
    const QString path = storePath();
    QVERIFY(QDir().mkpath(QFileInfo(path).path()));
    {
        RawSqlite raw(path);
        QVERIFY(raw.exec(
            "PRAGMA journal_mode=DELETE; CREATE TABLE other (x); INSERT INTO other VALUES (1);"));
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();

    KvReader reader(path);
    QVERIFY(reader.open());
    auto listed = reader.keys(std::nullopt, {}, 10, m_now);
    QVERIFY(!listed);
    QCOMPARE(listed.error().code, StoreError::Code::Other);
    QVERIFY2(listed.error().message.contains(QStringLiteral("no such table: kv")),
             qPrintable(listed.error().message));
    QVERIFY(!QFileInfo::exists(path + QStringLiteral("-wal")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
    file.close();
    RawSqlite raw(path);
    QCOMPARE(raw.scalar("PRAGMA journal_mode"), QStringLiteral("delete"));
    QCOMPARE(raw.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'kv'"),
             QStringLiteral("0"));

    // Not a database at all: Corrupt, and the bytes stay as they were.
    const QString junk = m_dir->filePath(QStringLiteral("junk.sqlite"));
    QFile out(junk);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QByteArray(8192, 'j'));
    out.close();
    auto bad = KvReader(junk).open();
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, StoreError::Code::Corrupt);
    QVERIFY(out.open(QIODevice::ReadOnly));
    QCOMPARE(out.readAll(), QByteArray(8192, 'j'));
}

void TestKvReader::expiredKeysHiddenNotDeleted() {
    // Written with a clock in the past: "old" expired long before the real now.
    const qint64 past = 1'000'000'000;
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        QVERIFY(store.put("old", "gone", past + 100, {}, past));
        QVERIFY(store.put("fresh", "here", std::nullopt, {}, past));
    }
    {
        KvReader reader(storePath());
        auto page = reader.keys(std::nullopt, {}, 10, m_now);
        QVERIFY(page);
        QCOMPARE(page->keys.size(), size_t(1));
        QCOMPARE(page->keys[0].name, QByteArray("fresh"));
        QVERIFY(!*reader.value("old", m_now));
        // Hidden by the `now` given, not gone: at the old clock it is there.
        auto then = reader.keys(std::nullopt, {}, 10, past);
        QVERIFY(then);
        QCOMPARE(then->keys.size(), size_t(2));
        QCOMPARE(then->keys[1].name, QByteArray("old"));
        QCOMPARE(then->keys[1].expiration, std::optional<qint64>(past + 100));
    }
    RawSqlite raw(storePath());
    QCOMPARE(raw.scalar("SELECT count(*) FROM kv WHERE key = CAST('old' AS BLOB)"),
             QStringLiteral("1"));
    raw.close();
    // The read-write store deletes it when it opens: the check above would have seen that.
    {
        KvStore store(storePath());
        QVERIFY(store.open());
    }
    RawSqlite after(storePath());
    QCOMPARE(after.scalar("SELECT count(*) FROM kv WHERE key = CAST('old' AS BLOB)"),
             QStringLiteral("0"));
}

void TestKvReader::pagingReturnsEveryKeyOnce_data() {
    QTest::addColumn<int>("limit");
    QTest::addColumn<QByteArray>("prefix");
    for (int limit : {1, 2, 3, 7, 1000})
        QTest::addRow("all-by-%d", limit) << limit << QByteArray();
    QTest::newRow("a-by-2") << 2 << QByteArray("a");
    QTest::newRow("ff-by-1") << 1 << QByteArray("\xff");
    QTest::newRow("ffff-by-2") << 2 << QByteArray("\xff\xff");
    QTest::newRow("nul-by-1") << 1 << QByteArray("\x00", 1);
    QTest::newRow("z-by-1") << 1 << QByteArray("z");
    QTest::newRow("none-by-3") << 3 << QByteArray("nothing");
}

void TestKvReader::pagingReturnsEveryKeyOnce() {
    QFETCH(int, limit);
    QFETCH(QByteArray, prefix);
    std::vector<QByteArray> keys = hostileKeys();
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        for (const auto& key : keys)
            QVERIFY2(store.put(key, key, std::nullopt, {}, m_now), key.toHex().constData());
        // An expired key among them is skipped without ending a page early.
        QVERIFY(store.put("a\x01", "x", m_now + 100, {}, m_now));
    }
    {
        // The empty key cannot be written through the API; a file written by another tool
        // may hold it, and listing after it must not restart from the beginning.
        RawSqlite raw(storePath());
        QVERIFY(raw.exec("INSERT INTO kv (key, value) VALUES (X'', X'00')"));
        keys.push_back(QByteArray(""));
    }
    std::vector<QByteArray> expected;
    for (const auto& key : keys)
        if (key.startsWith(prefix)) expected.push_back(key);
    std::sort(expected.begin(), expected.end());

    KvReader reader(storePath());
    std::vector<QByteArray> seen;
    std::optional<QByteArray> after;
    for (int pages = 0;; ++pages) {
        QVERIFY(pages <= int(keys.size()) + 1);
        auto page = reader.keys(after, prefix, limit, m_now + 1000); // "a\x01" has expired
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QVERIFY(int(page->keys.size()) <= limit);
        for (const auto& key : page->keys)
            seen.push_back(key.name);
        if (!page->more) break;
        QVERIFY(!page->keys.empty());
        after = page->keys.back().name;
    }
    QCOMPARE(seen, expected);
}

void TestKvReader::valuesAndSizes() {
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        QVERIFY(store.put("big", QByteArray(300000, 'b'), std::nullopt, "{\"m\":1}", m_now));
        QVERIFY(store.put("empty", {}, m_now + 3600, {}, m_now));
    }
    KvReader reader(storePath());
    auto page = reader.keys(std::nullopt, {}, 10, m_now);
    QVERIFY(page);
    QCOMPARE(page->keys.size(), size_t(2));
    QCOMPARE(page->keys[0].name, QByteArray("big"));
    QCOMPARE(page->keys[0].valueBytes, qint64(300000));
    QCOMPARE(page->keys[0].metadata, QByteArray("{\"m\":1}"));
    QVERIFY(!page->keys[0].expiration);
    QCOMPARE(page->keys[1].valueBytes, qint64(0));
    QCOMPARE(page->keys[1].expiration, std::optional<qint64>(m_now + 3600));
    auto big = reader.value("big", m_now);
    QVERIFY(big && *big);
    QCOMPARE((*big)->value, QByteArray(300000, 'b'));
    QCOMPARE((*big)->metadata, QByteArray("{\"m\":1}"));
    QVERIFY(!*reader.value("nope", m_now));
    QCOMPARE(reader.keys(std::nullopt, {}, 0, m_now).error().code, StoreError::Code::Other);
}

// The browser's search: keys holding the bytes anywhere (not only as a prefix), paged like
// a plain listing, NUL and non-UTF-8 bytes included, within a prefix when one is given.
void TestKvReader::searchMatchesBytesAnywhere() {
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        for (const QByteArray& key : {QByteArray("user:1:cart"), QByteArray("user:2:cart"),
                                      QByteArray("user:2:name"), QByteArray("cart"),
                                      QByteArray("x\x00"
                                                 "cart\xff",
                                                 7),
                                      QByteArray("session:9")})
            QVERIFY(store.put(key, "v", std::nullopt, {}, m_now));
    }
    KvReader reader(storePath());
    auto page = reader.keys(std::nullopt, {}, 2, m_now, "cart");
    QVERIFY(page);
    QCOMPARE(page->keys.size(), size_t(2));
    QCOMPARE(page->keys[0].name, QByteArray("cart"));
    QCOMPARE(page->keys[1].name, QByteArray("user:1:cart"));
    QVERIFY(page->more);
    auto rest = reader.keys(page->keys.back().name, {}, 10, m_now, "cart");
    QVERIFY(rest);
    QCOMPARE(rest->keys.size(), size_t(2));
    QCOMPARE(rest->keys[0].name, QByteArray("user:2:cart"));
    QCOMPARE(rest->keys[1].name, QByteArray("x\x00"
                                            "cart\xff",
                                            7));
    QVERIFY(!rest->more);
    auto within = reader.keys(std::nullopt, "user:", 10, m_now, "cart");
    QVERIFY(within);
    QCOMPARE(within->keys.size(), size_t(2));
    auto nul = reader.keys(std::nullopt, {}, 10, m_now, QByteArray("\x00", 1));
    QVERIFY(nul);
    QCOMPARE(nul->keys.size(), size_t(1));
}

// A commit by another connection moves data_version; reading does not.
void TestKvReader::dataVersionMovesOnOthersCommits() {
    KvStore store(storePath());
    QVERIFY(store.open());
    KvReader reader(storePath());
    auto before = reader.dataVersion();
    QVERIFY(before);
    QVERIFY(reader.keys(std::nullopt, {}, 10, m_now));
    QCOMPARE(*reader.dataVersion(), *before);
    QVERIFY(store.put("k", "v", std::nullopt, {}, m_now));
    auto after = reader.dataVersion();
    QVERIFY(after);
    QVERIFY(*after != *before);
    QVERIFY(!KvReader(m_dir->filePath(QStringLiteral("nope.sqlite"))).dataVersion());
}

void TestKvReader::readsWhileTheStoreWrites() {
    KvStore store(storePath()); // stays open, as in `kiln dev`
    QVERIFY(store.open());
    for (int i = 0; i < 10; ++i)
        QVERIFY(store.put("k" + QByteArray::number(i), "v", std::nullopt, {}, m_now));
    KvReader reader(storePath());
    auto first = reader.keys(std::nullopt, {}, 5, m_now);
    QVERIFY(first && first->more);
    // Writes between pages: the next page continues after the last key seen.
    QVERIFY(store.put("k35", "new", std::nullopt, {}, m_now));
    QVERIFY(store.remove("k7"));
    QVERIFY(store.put("k0", "rewritten", std::nullopt, {}, m_now));
    auto second = reader.keys(first->keys.back().name, {}, 100, m_now);
    QVERIFY(second && !second->more);
    QStringList names;
    for (const auto& k : second->keys)
        names << QString::fromUtf8(k.name);
    QCOMPARE(names.join(QLatin1Char(',')), QStringLiteral("k5,k6,k8,k9"));

    // Another connection in the middle of a write transaction: in WAL mode the reader is not
    // blocked and sees the last committed state.
    RawSqlite writer(storePath());
    QVERIFY(writer.exec("PRAGMA busy_timeout=10000; BEGIN EXCLUSIVE; INSERT INTO kv (key, value) "
                        "VALUES (CAST('pending' AS BLOB), X'01');"));
    auto during = reader.value("pending", m_now);
    QVERIFY2(during, qPrintable(during ? QString() : during.error().message));
    QVERIFY(!*during);
    auto listed = reader.keys(std::nullopt, {}, 100, m_now);
    QVERIFY(listed);
    QCOMPARE(listed->keys.size(), size_t(10));
    QVERIFY(writer.exec("COMMIT"));
    QVERIFY(*reader.value("pending", m_now));
    QCOMPARE(RawSqlite(storePath()).scalar("PRAGMA journal_mode"), QStringLiteral("wal"));
}

void TestKvReader::busyAtOnceThenRecovers() {
    {
        KvStore store(storePath());
        QVERIFY(store.open());
        QVERIFY(store.put("before", "v", std::nullopt, {}, m_now));
    }
    // A tool holding the file exclusively, in the middle of a write: locking_mode=EXCLUSIVE
    // keeps even WAL readers out. (It can only be taken while no other connection has the
    // file open; the rollback-journal case in test_d1reader locks out an open reader.)
    RawSqlite writer(storePath());
    QVERIFY2(writer.exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO kv (key, "
                         "value) VALUES (CAST('locked' AS BLOB), X'01');"),
             qPrintable(writer.error()));
    KvReader reader(storePath());
    {
        LateRelease release(1500ms, [&] {
            writer.exec("COMMIT");
            writer.close();
        });
        auto opened = reader.keys(std::nullopt, {}, 10, m_now);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, StoreError::Code::Busy);
        QVERIFY(opened.error().isBusy());
        auto got = reader.value("before", m_now);
        QVERIFY(!got);
        QCOMPARE(got.error().code, StoreError::Code::Busy);
        QCOMPARE(reader.open().error().code, StoreError::Code::Busy);
        release.wait();
    }
    // Released: the same reader simply asks again, and sees what was committed.
    auto now = reader.keys(std::nullopt, {}, 10, m_now);
    QVERIFY2(now, qPrintable(now ? QString() : now.error().message));
    QCOMPARE(now->keys.size(), size_t(2));
    auto again = reader.value("locked", m_now);
    QVERIFY(again && *again);
}

QTEST_GUILESS_MAIN(TestKvReader)
#include "test_kvreader.moc"
