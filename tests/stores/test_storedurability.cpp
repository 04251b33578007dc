// A writer process is killed with SIGKILL at random moments, 24 times per store, each time
// continuing after the last acknowledged write: every acknowledged record must be there
// with its value afterwards, and the file must pass PRAGMA integrity_check.
#include "stores/d1database.h"
#include "stores/kvstore.h"
#include "stores/r2bucket.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <csignal>

using namespace kiln;

class TestStoreDurability : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedWriterLosesNothing_data();
    void killedWriterLosesNothing();
};

static QString integrityCheck(const QString& path) {
    sqlite3* db = nullptr;
    // Read-write (never create): the killed writer may have left a WAL to recover, and a
    // read-only connection can be refused that recovery (SQLITE_READONLY_RECOVERY), which is
    // what the next real opener of the store does first anyway.
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READWRITE, nullptr) !=
        SQLITE_OK) {
        sqlite3_close(db); // a handle is allocated even when opening fails
        return QStringLiteral("cannot open");
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
        const QString why =
            QStringLiteral("cannot check: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_close(db);
        return why;
    }
    QString result;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        result += QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
}

static QByteArray valueFor(qint64 i) {
    return QByteArray(100 + i % 900, static_cast<char>('a' + i % 26));
}

void TestStoreDurability::killedWriterLosesNothing_data() {
    QTest::addColumn<QString>("kind");
    QTest::newRow("kv") << QStringLiteral("kv");
    QTest::newRow("d1") << QStringLiteral("d1");
    QTest::newRow("r2") << QStringLiteral("r2");
}

void TestStoreDurability::killedWriterLosesNothing() {
    QFETCH(QString, kind);
    const QString writer = qEnvironmentVariable("KILN_STOREWRITER");
    QVERIFY2(QFile::exists(writer),
             "KILN_STOREWRITER must name the kiln_storewriter helper (ctest sets it)");
    QTemporaryDir dir;
    // KV and D1 are one file; an R2 bucket is a folder with index.sqlite and blobs.
    const QString path =
        dir.filePath(kind == QLatin1String("r2") ? QStringLiteral("r2/bucket")
                                                 : kind + QStringLiteral("/store.sqlite"));
    const QString indexPath =
        kind == QLatin1String("r2") ? path + QStringLiteral("/index.sqlite") : path;
    qint64 acked = -1;
    int kills = 0;
    for (int round = 0; round < 24; ++round) {
        QProcess child;
        child.start(writer, {kind, path, QString::number(acked + 1)});
        QVERIFY(child.waitForStarted());
        // Let it write for a random 20-200 ms, then SIGKILL it mid-flight.
        QTest::qWait(20 + QRandomGenerator::global()->bounded(180));
        const qint64 pid = child.processId();
        // Never kill(0, ...): that would be this test's own process group.
        QVERIFY2(child.state() == QProcess::Running && pid > 0,
                 qPrintable(QStringLiteral("the writer stopped by itself (exit %1): %2")
                                .arg(child.exitCode())
                                .arg(QString::fromLocal8Bit(child.readAllStandardError()))));
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        QVERIFY(child.waitForFinished(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        ++kills;
        for (const QByteArray& line : child.readAllStandardOutput().split('\n'))
            if (line.startsWith("ack ")) acked = std::max(acked, line.mid(4).toLongLong());
        // A kill before the writer created its file (a slow start, as under ASan) leaves
        // nothing to check, and must not have acknowledged anything.
        if (acked < 0 && !QFile::exists(indexPath)) continue;
        QCOMPARE(integrityCheck(indexPath), QStringLiteral("ok"));
    }
    QCOMPARE(kills, 24);
    QVERIFY2(acked > 24, "the writer never got going");
    if (kind == QLatin1String("kv")) {
        KvStore store(path);
        QVERIFY(store.open());
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        for (qint64 i = 0; i <= acked; ++i) {
            auto got = store.get("k" + QByteArray::number(i).rightJustified(6, '0'), now);
            QVERIFY(got.has_value());
            QVERIFY2(got->has_value(),
                     qPrintable(QStringLiteral("acknowledged key %1 is missing").arg(i)));
            QCOMPARE((*got)->value, valueFor(i));
        }
    } else if (kind == QLatin1String("r2")) {
        R2Bucket bucket(path);
        QVERIFY(bucket.open());
        for (qint64 i = 0; i <= acked; ++i) {
            auto got = bucket.get("k" + QByteArray::number(i).rightJustified(6, '0'), {}, {});
            QVERIFY(got.has_value());
            QVERIFY2(got->has_value(),
                     qPrintable(QStringLiteral("acknowledged object %1 is missing").arg(i)));
            auto& body = *(**got).second;
            const auto bytes = body.read(body.remaining());
            QVERIFY(bytes.has_value());
            QCOMPARE(*bytes, valueFor(i));
        }
    } else {
        D1Database db(path);
        QVERIFY(db.open());
        auto rows = db.run({D1Statement{QStringLiteral("SELECT i, v FROM t ORDER BY i"), {}}});
        QVERIFY(rows);
        const auto& r = rows->front().rows;
        QVERIFY2(static_cast<qint64>(r.size()) >= acked + 1, "acknowledged rows are missing");
        for (qint64 i = 0; i <= acked; ++i) {
            QCOMPARE(std::get<qint64>(r[static_cast<size_t>(i)][0]), i);
            QCOMPARE(std::get<QByteArray>(r[static_cast<size_t>(i)][1]), valueFor(i));
        }
    }
    qInfo("%s: %lld acknowledged writes over %d kills, all present", qPrintable(kind),
          static_cast<long long>(acked + 1), kills);
}

QTEST_GUILESS_MAIN(TestStoreDurability)
#include "test_storedurability.moc"
