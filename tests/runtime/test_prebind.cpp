// Prebinding (runtime/prebind): in a fixture, references to its own functions are bound to
// them and still work when loaded, except to the functions this executable also defines and
// exports (as an executable's copies of inline functions are), which stay with the loader as
// its data does; what cannot be prebound is refused with its cause; the build's libnode for
// libexec/kiln is prebound, against what libexec/kiln exports now.

#include "prebind/prebind.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <dlfcn.h>

// Exported (ENABLE_EXPORTS), so the loader offers them to the fixture before its own.
extern "C" {
int fixture_data = 50;
int shared_global() {
    return 30;
}
int shared_weak() {
    return 40;
}
}

using kiln::prebindOwnFunctions;

class TestPrebind : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bindsOwnFunctionsTheExecutableLeaves();
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

void TestPrebind::bindsOwnFunctionsTheExecutableLeaves() {
    const QByteArray original = readAll(QStringLiteral(KILN_PREBIND_FIXTURE));
    QVERIFY(!original.isEmpty());
    QByteArray all = original;
    const auto everything = prebindOwnFunctions(all);
    QVERIFY(everything);
    QCOMPARE(everything->functions,
             (QSet<QByteArray>{"own_global", "own_weak", "shared_global", "shared_weak"}));

    const auto exported = kiln::exportedSymbols(readAll(QCoreApplication::applicationFilePath()));
    QVERIFY2(exported, qPrintable(exported ? QString() : exported.error()));
    QVERIFY(exported->contains("shared_global") && exported->contains("fixture_data"));
    QByteArray image = original;
    const auto report = prebindOwnFunctions(image, *exported);
    QVERIFY2(report, qPrintable(report ? QString() : report.error()));
    QCOMPARE(report->functions, (QSet<QByteArray>{"own_global", "own_weak"}));
    QVERIFY2(report->converted >= 3, "a PLT call, the GOT address and the table entry");
    QByteArray again = image;
    const auto second = prebindOwnFunctions(again, *exported);
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
    const auto probe = reinterpret_cast<int (*)(int)>(dlsym(handle, "fixture_probe"));
    const auto address = reinterpret_cast<void* (*)()>(dlsym(handle, "fixture_address"));
    QVERIFY(probe && address);
    // Its own functions (1, 2); this executable's functions and data (30, 40, 50), as the
    // loader chose them; the table's entries likewise.
    const QList<int> reached{probe(0), probe(1), probe(2), probe(3), probe(4), probe(5), probe(6)};
    QCOMPARE(reached, (QList<int>{1, 2, 30, 40, 50, 1, 30}));
    QCOMPARE(address(), dlsym(handle, "own_global"));
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
    const QByteArray built = readAll(prebound.filePath());
    // Made against what kiln exports as built now (its copies of V8's inline functions).
    const auto exported = kiln::exportedSymbols(readAll(QStringLiteral(KILN_HOST_BIN)));
    QVERIFY2(exported, qPrintable(exported ? QString() : exported.error()));
    QVERIFY(exported->contains("_ZN2v88Platform24OnCriticalMemoryPressureEv"));
    QByteArray original = readAll(QStringLiteral(KILN_LIBNODE_ORIGINAL));
    const auto report = prebindOwnFunctions(original, *exported);
    QVERIFY2(report, qPrintable(report ? QString() : report.error()));
    QVERIFY2(report->converted > 45000, qPrintable(QString::number(report->converted)));
    QVERIFY(!report->functions.contains("_ZN2v88Platform24OnCriticalMemoryPressureEv"));
    QCOMPARE(original, built);
}

QTEST_GUILESS_MAIN(TestPrebind)
#include "test_prebind.moc"
