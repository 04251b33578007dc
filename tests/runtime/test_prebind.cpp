// Prebinding (runtime/prebind): in a fixture, references to its own global function are bound
// to it and still work when loaded, while its weak function and its data stay with the loader
// (this executable defines all three, as an executable's inline copies and copy relocations
// do); what cannot be prebound is refused with its cause; the build's libnode for libexec/kiln
// is prebound, and kiln defines none of the functions it binds.

#include "prebind/prebind.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <dlfcn.h>

// Exported (ENABLE_EXPORTS), so the loader offers them to the fixture before its own.
extern "C" {
int fixture_data = 9;
int fixture_weak() {
    return 5;
}
int fixture_global() {
    return 4;
}
int fixture_called() {
    return 8;
}
}

using kiln::prebindOwnFunctions;

class TestPrebind : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bindsOwnGlobalFunctionsOnly();
    void refusesWhatItCannotBind_data();
    void refusesWhatItCannotBind();
    void libnodeForKilnIsPrebound();
};

namespace {

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

void TestPrebind::bindsOwnGlobalFunctionsOnly() {
    QByteArray image = readAll(QStringLiteral(KILN_PREBIND_FIXTURE));
    QVERIFY(!image.isEmpty());
    const auto report = prebindOwnFunctions(image);
    QVERIFY2(report, qPrintable(report ? QString() : report.error()));
    QCOMPARE(report->functions, (QSet<QByteArray>{"fixture_global", "fixture_called"}));
    QVERIFY2(report->converted >= 3, "the PLT call, the GOT address and the table entry");
    QByteArray again = image;
    const auto second = prebindOwnFunctions(again);
    QVERIFY(second);
    QCOMPARE(second->converted, 0);
    QCOMPARE(again, image);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("libprebound.so"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly) && out.write(image) == image.size());
    out.close();
    void* handle = dlopen(QFile::encodeName(path).constData(), RTLD_NOW | RTLD_LOCAL);
    QVERIFY2(handle, dlerror());
    const auto calls = reinterpret_cast<int (*)()>(dlsym(handle, "fixture_calls"));
    const auto tableSum = reinterpret_cast<int (*)()>(dlsym(handle, "fixture_table_sum"));
    const auto address = reinterpret_cast<void* (*)()>(dlsym(handle, "fixture_address"));
    QVERIFY(calls && tableSum && address);
    // Its own globals (3, 1), this executable's weak (5) and data (9): the loader chose those.
    QCOMPARE(calls(), 1000 * 3 + 100 * 1 + 10 * 5 + 9);
    QCOMPARE(tableSum(), 1 + 5);
    QCOMPARE(address(), dlsym(handle, "fixture_global"));
    QVERIFY(address() != reinterpret_cast<void*>(&fixture_global));
    dlclose(handle);
}

void TestPrebind::refusesWhatItCannotBind_data() {
    QTest::addColumn<QByteArray>("image");
    QTest::addColumn<QString>("cause");
    const QByteArray fixture = readAll(QStringLiteral(KILN_PREBIND_FIXTURE));
    QTest::newRow("lazily bound") << readAll(QStringLiteral(KILN_PREBIND_FIXTURE_LAZY))
                                  << "BIND_NOW";
    QTest::newRow("not ELF") << QByteArray("#!/bin/sh\nexit 0\n") << "not an ELF file";
    QTest::newRow("cut short") << fixture.left(fixture.size() / 2) << "past the end of the file";
    QTest::newRow("an executable")
        << readAll(QCoreApplication::applicationFilePath()) << "not a shared object";
    QByteArray wrongMachine = fixture;
    wrongMachine[18] = char(183); // e_machine: AArch64
    QTest::newRow("another machine") << wrongMachine << "x86-64";
}

void TestPrebind::refusesWhatItCannotBind() {
    QFETCH(QByteArray, image);
    QFETCH(QString, cause);
    QVERIFY(!image.isEmpty());
    const QByteArray before = image;
    const auto report = prebindOwnFunctions(image);
    QVERIFY(!report);
    QVERIFY2(report.error().contains(cause), qPrintable(report.error()));
    QCOMPARE(image, before);
}

void TestPrebind::libnodeForKilnIsPrebound() {
    const QFileInfo prebound(QStringLiteral(KILN_LIBNODE_PREBOUND));
    QVERIFY2(prebound.isFile() && !prebound.isSymLink(), qPrintable(prebound.filePath()));
    QByteArray built = readAll(prebound.filePath());
    const auto rebound = prebindOwnFunctions(built);
    QVERIFY2(rebound, qPrintable(rebound ? QString() : rebound.error()));
    QCOMPARE(rebound->converted, 0);

    QByteArray original = readAll(QStringLiteral(KILN_LIBNODE_ORIGINAL));
    const auto report = prebindOwnFunctions(original);
    QVERIFY2(report, qPrintable(report ? QString() : report.error()));
    QVERIFY2(report->converted > 30000, qPrintable(QString::number(report->converted)));
    QCOMPARE(original, built);

    // An executable that defined one of them would lose its claim to it: kiln defines none.
    const auto exported = kiln::exportedSymbols(readAll(QStringLiteral(KILN_HOST_BIN)));
    QVERIFY2(exported, qPrintable(exported ? QString() : exported.error()));
    QVERIFY(!exported->isEmpty());
    const QSet<QByteArray> claimed = *exported & report->functions;
    QVERIFY2(claimed.isEmpty(), claimed.isEmpty() ? "" : claimed.values().first().constData());
}

QTEST_GUILESS_MAIN(TestPrebind)
#include "test_prebind.moc"
