// A writer process is killed with SIGKILL at random moments, 24 times, each time continuing
// where the last acknowledged write left off: every acknowledged key must be there with its
// value afterwards, and the file must pass PRAGMA integrity_check.
#include "stores/kvstore.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <csignal>

using namespace kiln;

class TestKvDurability : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedWriterLosesNothing();
};

static QString integrityCheck(const QString& path)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return QStringLiteral("cannot open");
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    QString result;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        result += QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
}

void TestKvDurability::killedWriterLosesNothing()
{
    const QString writer = qEnvironmentVariable("KILN_KVWRITER");
    QVERIFY2(QFile::exists(writer), "KILN_KVWRITER must name the kiln_kvwriter helper (ctest sets it)");
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("kv/ns.sqlite"));
    qint64 acked = -1;
    int kills = 0;
    for (int round = 0; round < 24; ++round) {
        QProcess child;
        child.start(writer, {path, QString::number(acked + 1)});
        QVERIFY(child.waitForStarted());
        // Let it write for a random 20-200 ms, then SIGKILL it mid-flight.
        QTest::qWait(20 + QRandomGenerator::global()->bounded(180));
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        ++kills;
        for (const QByteArray& line : child.readAllStandardOutput().split('\n'))
            if (line.startsWith("ack "))
                acked = std::max(acked, line.mid(4).toLongLong());
        QCOMPARE(integrityCheck(path), QStringLiteral("ok"));
    }
    QCOMPARE(kills, 24);
    QVERIFY2(acked > 24, "the writer never got going");
    KvStore store(path);
    QVERIFY(store.open());
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    for (qint64 i = 0; i <= acked; ++i) {
        const QByteArray key = "k" + QByteArray::number(i).rightJustified(6, '0');
        auto got = store.get(key, now);
        QVERIFY(got.has_value());
        QVERIFY2(got->has_value(), qPrintable(QStringLiteral("acknowledged key %1 is missing").arg(QString::fromLatin1(key))));
        QCOMPARE((*got)->value, QByteArray(100 + i % 900, static_cast<char>('a' + i % 26)));
        QCOMPARE((*got)->metadata, "{\"i\":" + QByteArray::number(i) + "}");
    }
    qInfo("%lld acknowledged writes over %d kills, all present", static_cast<long long>(acked + 1), kills);
}

QTEST_GUILESS_MAIN(TestKvDurability)
#include "test_kvdurability.moc"
