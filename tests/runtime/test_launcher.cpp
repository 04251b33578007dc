// bin/kiln, the launcher (runtime/launcher): it execs libexec/kiln in place with glibc's
// malloc tunables added, passes arguments and the exit status through untouched, keeps what
// the user set, and says clearly when the real binary is missing.
#include "kilndevprocess.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

const QByteArray kTunable = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=4194304";

QString launcherPath() {
    return qEnvironmentVariable("KILN_BIN");
}

// A copy of the launcher in <dir>/bin with, when `withReal`, a stand-in libexec/kiln that
// prints its pid, GLIBC_TUNABLES and each argument on its own line, then exits with 7.
QString fakeInstall(const QTemporaryDir& dir, bool withReal) {
    QDir(dir.path()).mkpath(QStringLiteral("bin"));
    QDir(dir.path()).mkpath(QStringLiteral("libexec"));
    const QString launcher = dir.filePath(QStringLiteral("bin/kiln"));
    if (!QFile::copy(launcherPath(), launcher)) return {};
    if (withReal) {
        QFile real(dir.filePath(QStringLiteral("libexec/kiln")));
        if (!real.open(QIODevice::WriteOnly)) return {};
        real.write("#!/bin/sh\necho \"$$\"\necho \"tunables=$GLIBC_TUNABLES\"\n"
                   "for a in \"$@\"; do echo \"arg=$a\"; done\nexit 7\n");
        real.close();
        real.setPermissions(real.permissions() | QFileDevice::ExeOwner);
    }
    return launcher;
}

struct Run {
    int exitCode = -1;
    qint64 pid = 0;
    QByteArrayList lines;
    QByteArray errors;
};

Run run(const QString& program, const QStringList& args, const QByteArray& tunables,
        bool setTunables) {
    QProcess process;
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("GLIBC_TUNABLES"));
    if (setTunables) env.insert(QStringLiteral("GLIBC_TUNABLES"), QString::fromUtf8(tunables));
    process.setProcessEnvironment(env);
    process.start(program, args);
    Run result;
    if (!process.waitForStarted(10000)) return result;
    result.pid = process.processId();
    process.waitForFinished(30000);
    result.exitCode = process.exitCode();
    result.lines = process.readAllStandardOutput().trimmed().split('\n');
    result.errors = process.readAllStandardError();
    return result;
}

} // namespace

class TestLauncher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void execsInPlaceWithTheTunable() {
        QTemporaryDir dir;
        const QString launcher = fakeInstall(dir, true);
        QVERIFY(!launcher.isEmpty());
        const QStringList args{QStringLiteral("dev"), QStringLiteral("a folder with spaces"),
                               QStringLiteral(""), QStringLiteral("--port=0")};
        const Run r = run(launcher, args, {}, false);
        QCOMPARE(r.exitCode, 7);
        QCOMPARE(r.lines.size(), 2 + args.size());
        // The same process: a supervisor's pid is the real kiln's.
        QCOMPARE(r.lines.at(0).toLongLong(), r.pid);
        QCOMPARE(r.lines.at(1), "tunables=" + kTunable);
        for (int i = 0; i < args.size(); ++i)
            QCOMPARE(QString::fromUtf8(r.lines.at(2 + i)), QStringLiteral("arg=") + args.at(i));
    }

    void keepsTheUsersTunables_data() {
        QTest::addColumn<QByteArray>("given");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("others kept, ours added")
            << QByteArray("glibc.malloc.arena_max=2")
            << QByteArray("glibc.malloc.arena_max=2:") + kTunable;
        QTest::newRow("the user's hugetlb wins")
            << QByteArray("glibc.malloc.hugetlb=0")
            << QByteArray("glibc.malloc.hugetlb=0:glibc.malloc.top_pad=4194304");
        QTest::newRow("after others too")
            << QByteArray("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0")
            << QByteArray(
                   "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0:glibc.malloc.top_pad=4194304");
        QTest::newRow("the user's top_pad wins")
            << QByteArray("glibc.malloc.top_pad=0")
            << QByteArray("glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1");
        QTest::newRow("both the user's")
            << QByteArray("glibc.malloc.top_pad=1:glibc.malloc.hugetlb=0")
            << QByteArray("glibc.malloc.top_pad=1:glibc.malloc.hugetlb=0");
        QTest::newRow("a prefix is another name")
            << QByteArray("glibc.malloc.hugetlbx=1")
            << QByteArray("glibc.malloc.hugetlbx=1:") + kTunable;
        QTest::newRow("empty") << QByteArray() << kTunable;
    }

    void keepsTheUsersTunables() {
        QFETCH(QByteArray, given);
        QFETCH(QByteArray, expected);
        QTemporaryDir dir;
        const QString launcher = fakeInstall(dir, true);
        QVERIFY(!launcher.isEmpty());
        const Run r = run(launcher, {}, given, true);
        QCOMPARE(r.exitCode, 7);
        QCOMPARE(r.lines.value(1), "tunables=" + expected);
    }

    void saysWhenTheRealBinaryIsMissing() {
        QTemporaryDir dir;
        const QString launcher = fakeInstall(dir, false);
        QVERIFY(!launcher.isEmpty());
        const Run r = run(launcher, {QStringLiteral("--version")}, {}, false);
        QCOMPARE(r.exitCode, 127);
        QVERIFY2(r.errors.contains("kiln: cannot start ") &&
                     r.errors.contains("/bin/../libexec/kiln: No such file or directory"),
                 r.errors.constData());
    }

    // The build's own pair: a running kiln dev is libexec/kiln, with the tunable in effect.
    void realKilnRunsBehindIt() {
        const QString source = qEnvironmentVariable("KILN_SOURCE_DIR");
        QTemporaryDir state;
        KilnDevProcess kiln;
        QVERIFY2(kiln.start(source + QStringLiteral("/examples/hello"), state.path()),
                 qPrintable(kiln.output()));
        const QString exe =
            QFileInfo(QStringLiteral("/proc/%1/exe").arg(kiln.pid())).symLinkTarget();
        QCOMPARE(exe, QFileInfo(QFileInfo(launcherPath()).absolutePath() +
                                QStringLiteral("/../libexec/kiln"))
                          .canonicalFilePath());
        QFile environ(QStringLiteral("/proc/%1/environ").arg(kiln.pid()));
        QVERIFY(environ.open(QIODevice::ReadOnly));
        // glibc parses the list in place at start, a NUL where each ':' was.
        const QByteArray passed = environ.readAll();
        QVERIFY2(passed.contains(QByteArray("\0GLIBC_TUNABLES=", 16) +
                                 QByteArray(kTunable).replace(':', '\0') + '\0'),
                 passed.constData());
        const HttpResult hello = httpRequest(kiln.port(), "GET", "/");
        QCOMPARE(hello.status, 200);
        kiln.stop();
    }
};

QTEST_GUILESS_MAIN(TestLauncher)
#include "test_launcher.moc"
