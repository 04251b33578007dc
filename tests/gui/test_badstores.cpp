// The browsers' models on stores that are not what they should be: a file that is not a
// database, a database locked by another connection, an R2 object whose blob file is gone.
// Each gives a clear message in the model (nothing crashes), writes nothing, and recovers
// when the cause goes away.

#include "d1tablemodel.h"
#include "kvkeysmodel.h"
#include "r2objectsmodel.h"
#include "r2transfer.h"
#include "stores/kvstore.h"
#include "stores/r2bucket.h"
#include "stores/r2reader.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace kiln;

class TestBadStores : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void notADatabase();
    void lockedThenReleased();
    void missingBlobFile();
};

namespace {

QByteArray hashOf(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

void TestBadStores::notADatabase() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("junk.sqlite"));
    QFile junk(path);
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write(QByteArray(8192, 'j'));
    junk.close();
    const QByteArray before = hashOf(path);
    KvKeysModel kv(path);
    QTRY_VERIFY(!kv.error().isEmpty());
    QVERIFY2(kv.error().contains(QLatin1String("not a database")), qPrintable(kv.error()));
    QCOMPARE(kv.rowCount(), 0);
    D1TableModel d1(path, QStringLiteral("t"));
    QTRY_VERIFY(!d1.error().isEmpty());
    QVERIFY2(d1.error().contains(QLatin1String("not a database")), qPrintable(d1.error()));
    QCOMPARE(hashOf(path), before); // nothing written
}

// An exclusive lock (a rollback-journal writer mid-transaction) makes reads fail at once as
// Busy, shown as an error; the listing comes back by itself once the lock goes.
void TestBadStores::lockedThenReleased() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("kv.sqlite"));
    {
        KvStore store(path);
        QVERIFY(store.open());
        QVERIFY(store.put("k", "v", std::nullopt, {}, 0));
    }
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
    QCOMPARE(
        sqlite3_exec(db, "PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE;", nullptr, nullptr, nullptr),
        SQLITE_OK);
    KvKeysModel model(path);
    QTRY_VERIFY(!model.error().isEmpty());
    QVERIFY2(model.error().contains(QLatin1String("locked")), qPrintable(model.error()));
    QCOMPARE(sqlite3_exec(db, "COMMIT; PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr),
             SQLITE_OK);
    sqlite3_close(db);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 3000);
    QCOMPARE(model.error(), QString());
}

// The index names a blob whose file was deleted behind Kiln's back: the listing still
// works, and a download says which object is damaged instead of writing a short file.
void TestBadStores::missingBlobFile() {
    QTemporaryDir dir;
    const QString bucket = dir.filePath(QStringLiteral("r2/b"));
    {
        R2Bucket b(bucket);
        QVERIFY(b.open());
        auto upload = b.beginUpload();
        QVERIFY(upload && (*upload)->append(QByteArray("some bytes")));
        QVERIFY(b.put("k", **upload, {}));
    }
    QDirIterator blobs(bucket + QStringLiteral("/blobs"), QDir::Files,
                       QDirIterator::Subdirectories);
    QVERIFY(blobs.hasNext());
    QVERIFY(QFile::remove(blobs.next()));
    R2ObjectsModel model(bucket);
    QTRY_COMPARE(model.rowCount(), 1);
    QCOMPARE(model.error(), QString());
    R2Transfer transfer(bucket);
    QSignalSpy finished(&transfer, &R2Transfer::finished);
    const QString out = dir.filePath(QStringLiteral("k.bin"));
    transfer.download("k", out);
    QVERIFY(finished.wait(10000));
    const QString error = finished.first().at(0).toString();
    QVERIFY2(error.startsWith(QLatin1String("k: ")) && error.contains(QLatin1String("missing")),
             qPrintable(error));
    QVERIFY(!QFile::exists(out));
}

QTEST_MAIN(TestBadStores)
#include "test_badstores.moc"
