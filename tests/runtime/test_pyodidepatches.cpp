// Kiln's edits to Pyodide's JS (runtime/engine/pyodidepatches.cpp) each look for an exact
// piece of the shipped glue and leave a glue that reads differently as it is, so a Pyodide
// upgrade would make one silently stop applying (a slower start, a copied stdlib). This test
// applies them to the Pyodide that the build ships and checks that every one took.
#include "engine/internal/pyodidepatches.h"

#include <QFile>
#include <QFileInfo>
#include <QTest>

using namespace kiln;

class TestPyodidePatches : public QObject {
    Q_OBJECT

private:
    static QByteArray shipped(const QString& name) {
        const QString bin = qEnvironmentVariable("KILN_BIN");
        if (bin.isEmpty()) return {};
        QFile file(QFileInfo(bin).absolutePath() + QStringLiteral("/../share/kiln/pyodide/") +
                   name);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private Q_SLOTS:
    void everyGluePatchApplies() {
        const QByteArray original = shipped(QStringLiteral("pyodide.asm.mjs"));
        if (original.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        QByteArray patched = original;
        patchPyodideGlue(patched);
        // One marker of each edit: the entropy branch, the batched JS-function wrapping, the
        // lazy GOT, the merge loop and the mapped snapshot restore.
        for (const char* marker :
             {"if(false){return view=>{if(!os.system)", "kilnWrapJsFunctions();",
              "var kilnGotLazy=new Map;", "var names=Object.keys(exports);",
              "globalThis.kilnRestoreMemory?.("})
            QVERIFY2(patched.contains(marker), marker);
        QByteArray twice = patched;
        patchPyodideGlue(twice);
        QCOMPARE(twice, patched); // applying again changes nothing
    }

    void theStdlibIsHandedOverNotCopied() {
        const QByteArray original = shipped(QStringLiteral("pyodide.mjs"));
        if (original.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        QByteArray patched = original;
        patchPyodideLoader(patched);
        QCOMPARE(patched.count("{canOwn:!0}"), original.count("{canOwn:!0}") + 1);
        QVERIFY(patched.contains("FS.writeFile(`/lib/python${i}${s}.zip`,r,{canOwn:!0})"));
    }

    void anUnexpectedGlueIsLeftAsItIs() {
        QByteArray other = "export default function createPyodideModule() {}";
        const QByteArray before = other;
        patchPyodideGlue(other);
        patchPyodideLoader(other);
        QCOMPARE(other, before);
    }
};

QTEST_GUILESS_MAIN(TestPyodidePatches)
#include "test_pyodidepatches.moc"
