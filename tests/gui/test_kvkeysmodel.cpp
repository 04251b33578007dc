// KvKeysModel, the KV browser's model, over real namespace files: checked by
// QAbstractItemModelTester throughout; pages lazily through a million keys; shows keys that
// are not text; picks up a write made by another process (the `kiln kv` command) within a
// second, keeping the rows around it; writes through the store code with Cloudflare's limits.

#include "kvkeysmodel.h"
#include "stores/kvschema.h"
#include "stores/kvstore.h"
#include "stores/sqlitedb.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QElapsedTimer>
#include <QPersistentModelIndex>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestKvKeysModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void firstPageOfAMillionKeys();
    void keysThatAreNotText();
    void prefixAndSearch();
    void anotherProcessesWriteAppearsInPlace();
    void editsGoThroughTheStore();
    void missingStoreAppearsWhenWritten();

private:
    QString storePath() const {
        return m_dir->filePath(QStringLiteral(".kiln/state/kv/ns1.sqlite"));
    }
    void put(const QByteArray& key, const QByteArray& value, const QByteArray& metadata = {});
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestKvKeysModel::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestKvKeysModel::put(const QByteArray& key, const QByteArray& value,
                          const QByteArray& metadata) {
    KvStore store(storePath());
    QVERIFY(store.open());
    QVERIFY(store.put(key, value, std::nullopt, metadata, QDateTime::currentSecsSinceEpoch()));
}

void TestKvKeysModel::firstPageOfAMillionKeys() {
    {
        SqliteDb db;
        QVERIFY(db.open(storePath()));
        QVERIFY(db.exec(kvsql::kCreate));
        // Keys as BLOBs, as KvStore writes them (a TEXT key would sort before every BLOB).
        QVERIFY(
            db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 1000000) INSERT INTO kv SELECT "
                    "CAST(printf('key:%07d', i) AS BLOB), zeroblob(i % 100), NULL, NULL FROM n"));
    }
    QElapsedTimer clock;
    clock.start();
    KvKeysModel model(storePath(), nullptr, 200);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&model, &KvKeysModel::loaded);
    QVERIFY(loaded.wait(10000));
    qInfo("first page of 1,000,000 keys shown after %lld ms", clock.elapsed());
    QCOMPARE(model.rowCount(), 200);
    QCOMPARE(model.index(0, KvKeysModel::KeyColumn).data().toString(),
             QStringLiteral("key:0000001"));
    QCOMPARE(model.index(0, KvKeysModel::SizeColumn).data(KvKeysModel::SizeRole).toLongLong(), 1);
    QVERIFY(model.canFetchMore({}));
    model.fetchMore({});
    QVERIFY(!model.canFetchMore({})); // one read at a time
    QVERIFY(loaded.wait(10000));
    QCOMPARE(model.rowCount(), 400);
    QCOMPARE(model.index(399, 0).data().toString(), QStringLiteral("key:0000400"));
}

void TestKvKeysModel::keysThatAreNotText() {
    put(QByteArray("a\x00"
                   "b",
                   3),
        "v");
    put("caf\xc3\xa9", "v");
    put("bad\xff", "v");
    put("tab\there", "v");
    KvKeysModel model(storePath());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("a\\x00b"));
    QCOMPARE(model.index(0, 0).data(KvKeysModel::KeyBytesRole).toByteArray(), QByteArray("a\x00"
                                                                                         "b",
                                                                                         3));
    QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("bad\\xff"));
    QCOMPARE(model.index(2, 0).data().toString(), QStringLiteral("café"));
    QCOMPARE(model.index(3, 0).data().toString(), QStringLiteral("tab\\x09here"));
}

void TestKvKeysModel::prefixAndSearch() {
    for (const char* key : {"user:1", "user:2", "session:1", "users-count"})
        put(key, "v");
    KvKeysModel model(storePath());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 4);
    model.setFilter("user:");
    QTRY_COMPARE(model.rowCount(), 2);
    model.setFilter({}, ":1");
    QTRY_COMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("session:1"));
    QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("user:1"));
}

// `kiln kv key put` from another process: the new key appears between the others, a changed
// one updates, and the selected row (a persistent index) still points at its key.
void TestKvKeysModel::anotherProcessesWriteAppearsInPlace() {
    QFile config(m_dir->filePath(QStringLiteral("wrangler.jsonc")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(
        R"({"name": "t", "main": "src/entry.py", "compatibility_date": "2025-08-01", "compatibility_flags": ["python_workers"],
                    "kv_namespaces": [{"binding": "KV", "id": "ns1"}]})");
    config.close();
    QDir(m_dir->path()).mkpath(QStringLiteral("src"));
    QFile entry(m_dir->filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::WriteOnly));
    entry.close();
    put("a", "1");
    put("c", "3");
    KvKeysModel model(storePath());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 2);
    const QPersistentModelIndex selected = model.index(1, 0); // "c"
    const auto kiln = [&](const QStringList& args) {
        QProcess process;
        process.setWorkingDirectory(m_dir->path());
        process.start(qEnvironmentVariable("KILN_BIN"), args);
        QVERIFY(process.waitForFinished(30000));
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    };
    QElapsedTimer clock;
    clock.start();
    kiln({QStringLiteral("kv"), QStringLiteral("key"), QStringLiteral("put"), QStringLiteral("b"),
          QStringLiteral("22"), QStringLiteral("--binding"), QStringLiteral("KV")});
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 2000);
    qInfo("another process's write shown %lld ms after the command started", clock.elapsed());
    QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("b"));
    QVERIFY(selected.isValid());
    QCOMPARE(selected.row(), 2);
    QCOMPARE(selected.data().toString(), QStringLiteral("c"));
    kiln({QStringLiteral("kv"), QStringLiteral("key"), QStringLiteral("put"), QStringLiteral("c"),
          QStringLiteral("three"), QStringLiteral("--binding"), QStringLiteral("KV"),
          QStringLiteral("--metadata"), QStringLiteral("{\"n\":3}")});
    QTRY_COMPARE_WITH_TIMEOUT(model.index(2, KvKeysModel::MetadataColumn).data().toString(),
                              QStringLiteral("{\"n\":3}"), 2000);
    QCOMPARE(model.index(2, KvKeysModel::SizeColumn).data(KvKeysModel::SizeRole).toLongLong(), 5);
    QCOMPARE(selected.row(), 2);
}

void TestKvKeysModel::editsGoThroughTheStore() {
    put("keep", "v");
    KvKeysModel model(storePath());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 1);
    QString error = QStringLiteral("unset");
    model.put("new", "{\"a\":1}", QDateTime::currentSecsSinceEpoch() + 3600, "{\"m\":true}",
              [&](QString e) { error = e; });
    QTRY_COMPARE(error, QString());
    QTRY_COMPARE(model.rowCount(), 2);
    QVERIFY(!model.index(1, KvKeysModel::ExpirationColumn).data().toString().isEmpty());
    // Cloudflare's limits come from the store: a 513-byte key is refused, nothing written.
    error = QStringLiteral("unset");
    model.put(QByteArray(513, 'k'), "v", std::nullopt, {}, [&](QString e) { error = e; });
    QTRY_VERIFY(error != QLatin1String("unset"));
    QVERIFY2(error.contains(QLatin1String("414")) || error.contains(QLatin1String("512")),
             qPrintable(error));
    std::optional<KvEntry> value;
    model.loadValue("new", [&](auto r) { value = r ? *r : std::nullopt; });
    QTRY_VERIFY(value);
    QCOMPARE(value->value, QByteArray("{\"a\":1}"));
    QCOMPARE(value->metadata, QByteArray("{\"m\":true}"));
    error = QStringLiteral("unset");
    model.remove({"keep", "new"}, [&](QString e) { error = e; });
    QTRY_COMPARE(error, QString());
    QTRY_COMPARE(model.rowCount(), 0);
}

// A namespace the worker never wrote has no file: the model says so and shows the keys
// once something writes the first one.
void TestKvKeysModel::missingStoreAppearsWhenWritten() {
    KvKeysModel model(storePath());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(model.missing());
    QCOMPARE(model.error(), QString());
    QVERIFY(!QFile::exists(storePath())); // reading created nothing
    put("first", "v");
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 2000);
    QVERIFY(!model.missing());
}

QTEST_MAIN(TestKvKeysModel)
#include "test_kvkeysmodel.moc"
