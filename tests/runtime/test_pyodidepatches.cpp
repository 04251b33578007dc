// Kiln's edits to Pyodide's JS (runtime/engine/pyodidepatches.cpp) each look for an exact
// piece of the shipped glue and leave a glue that reads differently as it is, so a Pyodide
// upgrade would make one silently stop applying (a slower start, a copied stdlib). This test
// applies them to the Pyodide that the build ships and checks that every one took.
#include "engine/internal/pyodidepatches.h"
#include "engine/internal/wasmimportwrappers.h"
#include "engine/internal/wasmtablelayout.h"

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

    static std::optional<WasmStartTable> startTable(const QByteArray& module) {
        return readWasmStartTable(
            {reinterpret_cast<const uint8_t*>(module.constData()), size_t(module.size())});
    }

private Q_SLOTS:
    void everyGluePatchApplies() {
        const QByteArray original = shipped(QStringLiteral("pyodide.asm.mjs"));
        if (original.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        QByteArray patched = original;
        patchPyodideGlue(patched);
        // One marker of each edit: the entropy branch, the batched JS-function wrapping, the
        // main module's GOT and table lookups, the merge loop, the lazy main exports (the
        // glue's consent, the merge behind wasmImports, dlsym, the signature wrappers, Module's
        // exports answered on demand), the import notes a restore keeps and the mapped
        // snapshot restore, and the JS functions put on Module in one go.
        for (const char* marker :
             {"if(false){return view=>{if(!os.system)", "kilnWrapJsFunctions();",
              "var kilnUpdateMainGot=", "var kilnStartSlots=null",
              "var names=Object.keys(exports);", "globalThis.kilnGlueTakesLazyExports=true;",
              "Object.setPrototypeOf(wasmImports,exports)",
              "newSymIndex=kilnOwnSymbols(lib.exports).indexOf(symbol)",
              "var symName=kilnOwnSymbols(symDict)[symbolIndex]",
              "?Object.create(wasmExports):Object.assign({},wasmExports);",
              "kilnLazyModule(wasmExports,\"", "globalThis.kilnRestoreMemory?.(",
              "Object.assign(Module,{ERRNO_CODES,DNS,addRunDependency,"})
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

    // The table layout the glue's lookups start from (wasmtablelayout.h), read from a module
    // built here: two imported functions (0, 1) and three of its own (2, 3, 4), a table of
    // 6, an active segment at 1 putting 2, 3, 2, one with an explicit table index putting 4 at
    // 4, and a passive segment, which fills nothing.
    void startTableIsReadFromTheModule() {
        const QByteArray module =
            QByteArray::fromHex("0061736d01000000"
                                "010401600000" // types: () -> ()
                                "021403016d016100"
                                "00016d016200"
                                "00016d0167037f00" // imports: m.a, m.b, global m.g
                                "030403000000"     // functions: three of type 0
                                "040401700006"     // table: funcref, 6 slots
                                "091503"
                                "0041010b03020302"
                                "020041040b000104"
                                "01000100"); // the three segments
        const auto table = startTable(module);
        QVERIFY(table);
        QCOMPARE(table->length, 6u);
        QCOMPARE(table->slotOfFunction, (std::vector<int32_t>{0, 0, 3, 2, 4}));
    }

    void startTableRefusesWhatItDoesNotFollow() {
        auto read = [](const QByteArray& hex) { return startTable(QByteArray::fromHex(hex)); };
        const QByteArray head = "0061736d01000000"
                                "03020100"
                                "040401700002";
        QVERIFY(read(head + "0907010041000b0100"));  // i32.const offset: read
        QVERIFY(!read(head + "0907010023000b0100")); // global.get offset: not followed
        QVERIFY(!read(head + "0907010041020b0100")); // past the table's end
        QVERIFY(!read(head + "0907010041000b01"));   // cut short
        QVERIFY(!read("0061736d01000000"));          // no table
        QVERIFY(!read("not wasm at all"));
        // An imported table (m.t, funcref, 1 slot) is table 0: its contents are not the module's.
        QVERIFY(!read(QByteArray("0061736d01000000") + "020901016d017401700001" + "03020100" +
                      "040401700002" + "0907010041000b0100"));
    }

    void startTableOfTheShippedPyodide() {
        const QByteArray wasm = shipped(QStringLiteral("pyodide.asm.wasm"));
        if (wasm.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        const auto table = startTable(wasm);
        QVERIFY(table);
        QVERIFY(table->length > 1000);
        qsizetype placed = 0;
        for (int32_t slot : table->slotOfFunction) {
            QVERIFY(slot >= 0 && uint32_t(slot) < table->length);
            placed += slot > 0;
        }
        QVERIFY2(placed > 1000, qPrintable(QString::number(placed)));
    }

    // The one run of `Module["X"]=X;` becomes one Object.assign with the same names in the
    // same order; anything else in or beside the run stays a statement of its own.
    void moduleStoresAreAssignedInOneGo() {
        const QByteArray original = shipped(QStringLiteral("pyodide.asm.mjs"));
        if (original.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        QByteArray patched = original;
        patchPyodideGlue(patched);
        const qsizetype at = patched.indexOf("Object.assign(Module,{");
        QVERIFY(at >= 0);
        const qsizetype end = patched.indexOf("});", at);
        const QByteArrayList names = patched.mid(at + 22, end - at - 22).split(',');
        QVERIFY2(names.size() > 1000, qPrintable(QString::number(names.size())));
        qsizetype from = 0;
        for (const QByteArray& name : names) { // each was a store, in this order
            const qsizetype found =
                original.indexOf("Module[\"" + name + "\"]=" + name + ';', from);
            QVERIFY2(found >= from, name.constData());
            from = found;
        }
        QCOMPARE(patched.count("Module[\"ERRNO_CODES\"]=ERRNO_CODES;"), 0);

        QByteArray small = "var a;Module[\"x\"]=y;";
        for (int i = 0; i < 120; ++i)
            small += "Module[\"f" + QByteArray::number(i) + "\"]=f" + QByteArray::number(i) + ';';
        small += "Module[\"g\"]=h;";
        patchPyodideGlue(small);
        QVERIFY(small.startsWith("var a;Module[\"x\"]=y;Object.assign(Module,{f0,f1,f2,"));
        QVERIFY(small.endsWith(",f118,f119});Module[\"g\"]=h;"));
        QByteArray few = "Module[\"a\"]=a;Module[\"b\"]=b;"; // too short a run to bother
        patchPyodideGlue(few);
        QCOMPARE(few, QByteArray("Module[\"a\"]=a;Module[\"b\"]=b;"));
    }

    // The host-built module wrapping JS functions (wasmimportwrappers.h), byte for byte as the
    // glue's own JS writes it: types in order of first use, imports e.f<i>, exports f<i>
    // calling them with their arguments.
    void importWrapperModuleBytes() {
        std::array<uint8_t, 128> codes{};
        codes['i'] = 0x7f;
        codes['j'] = 0x7e;
        const auto module = importWrapperModule({"vi", "iij", "vi"}, codes);
        QVERIFY(module);
        QCOMPARE(module->toHex(), QByteArray("0061736d01000000"
                                             "010b02"
                                             "60017f00"
                                             "60027f7e017f"
                                             "021603"
                                             "016502663000"
                                             "00"
                                             "016502663100"
                                             "01"
                                             "016502663200"
                                             "00"
                                             "0304030001"
                                             "00"
                                             "071003"
                                             "0266300003"
                                             "0266310004"
                                             "0266320005"
                                             "0a1803"
                                             "06002000"
                                             "10000b"
                                             "0800200020011001"
                                             "0b"
                                             "060020001002"
                                             "0b"));
        QVERIFY(!importWrapperModule({"vx"}, codes)); // a letter without a code
        QVERIFY(!importWrapperModule({""}, codes));
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
