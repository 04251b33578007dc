// Pyodide's module rewritten with its exports moved into its function table
// (runtime/engine/internal/wasmlazyexports.h): on a module built here, where each export goes
// (the slots the glue's updateGOT would give, aliases sharing one, Emscripten's internal
// symbols and what is not a constant left as exports), what the rewriter refuses, the shipped
// Pyodide, and the internal-symbol list against the shipped glue's. That the rewritten Pyodide
// instantiates to the same table and GOT as Pyodide's own glue builds is test_gluelayout's.

#include "engine/internal/wasmlazyexports.h"
#include "engine/internal/wasmtablelayout.h"

#include <QFile>
#include <QFileInfo>
#include <QTest>

using namespace kiln;

namespace {

std::span<const uint8_t> bytesOf(const QByteArray& bytes) {
    return {reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())};
}

QByteArray leb(uint32_t value) {
    QByteArray out;
    do {
        uint8_t b = value & 0x7f;
        value >>= 7;
        if (value) b |= 0x80;
        out.append(char(b));
    } while (value);
    return out;
}

QByteArray section(uint8_t id, const QByteArray& body) {
    return char(id) + leb(uint32_t(body.size())) + body;
}

QByteArray exportEntry(const QByteArray& name, uint8_t kind, uint8_t index) {
    return leb(uint32_t(name.size())) + name + char(kind) + char(index);
}

// One function import (m.a, function 0) and four functions of its own (1-4); a table of 3
// with function 1 at slot 1; an immutable i32 global (42) and a mutable one; and `exports`.
QByteArray module(const QList<QByteArray>& exports, const QByteArray& data = {}) {
    QByteArray body = leb(uint32_t(exports.size()));
    for (const QByteArray& e : exports)
        body += e;
    return QByteArray::fromHex("0061736d01000000") + section(1, QByteArray::fromHex("01600000")) +
           section(2, QByteArray::fromHex("01016d01610000")) +
           section(3, QByteArray::fromHex("0400000000")) +
           section(4, QByteArray::fromHex("01700003")) + section(5, QByteArray::fromHex("010001")) +
           section(6, QByteArray::fromHex("027f00412a0b7f0141070b")) + section(7, body) +
           section(9, QByteArray::fromHex("010041010b0101")) +
           section(10, QByteArray::fromHex("0402000b02000b02000b02000b")) +
           (data.isEmpty() ? QByteArray() : section(11, data));
}

// Two active segments: "abc" at 16, "xyz" at 100.
const QByteArray kData = QByteArray::fromHex("02"
                                             "0041100b03616263"
                                             "0041e4000b0378797a");

// The body of the module's first section `id`.
QByteArray sectionBody(const QByteArray& module, uint8_t id) {
    qsizetype at = 8;
    while (at < module.size()) {
        const uint8_t sid = uint8_t(module.at(at++));
        uint32_t size = 0;
        for (int shift = 0;; shift += 7) {
            const uint8_t b = uint8_t(module.at(at++));
            size |= uint32_t(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        if (sid == id) return module.mid(at, size);
        at += size;
    }
    return {};
}

QByteArray shipped(const QString& name) {
    const QString bin = qEnvironmentVariable("KILN_BIN");
    if (bin.isEmpty()) return {};
    QFile file(QFileInfo(bin).absolutePath() + QStringLiteral("/../share/kiln/pyodide/") + name);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestWasmLazyExports : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exportsMoveToTheirSlots() {
        const QByteArray original = module(
            {exportEntry("a", 0, 1), exportEntry("b", 0, 2), exportEntry("__wasm_call_ctors", 0, 3),
             exportEntry("c", 0, 4), exportEntry("b2", 0, 2), exportEntry("g", 3, 0),
             exportEntry("m", 3, 1), exportEntry("memory", 2, 0)});
        QVERIFY(readWasmStartTable(bytesOf(original)));
        const auto rewritten = rewriteWasmExports(bytesOf(original));
        QVERIFY(rewritten);

        // Function 1 keeps slot 1; 2 and 4 are appended in export order (b2 shares b's slot);
        // the internal symbol's function 3 gets none, as updateGOT skips it.
        const auto table = readWasmStartTable(bytesOf(*rewritten));
        QVERIFY(table);
        QCOMPARE(table->length, 5u);
        QCOMPARE(table->slotOfFunction, (std::vector<int32_t>{0, 1, 3, 0, 4}));

        const auto listed = readLazyExports(bytesOf(*rewritten));
        QVERIFY(listed);
        QStringList got;
        for (const auto& e : *listed)
            got << QStringLiteral("%1:%2:%3")
                       .arg(QString::fromStdString(e.name))
                       .arg(int(e.kind))
                       .arg(e.value);
        QCOMPARE(got, (QStringList{"a:1:1", "b:1:3", "__wasm_call_ctors:0:0", "c:1:4", "b2:1:3",
                                   "g:2:42", "m:0:0", "memory:0:0"}));
        // What is left in the export section: the internal symbol, the mutable global, the
        // memory.
        QCOMPARE(sectionBody(*rewritten, 7), leb(3) + exportEntry("__wasm_call_ctors", 0, 3) +
                                                 exportEntry("m", 3, 1) +
                                                 exportEntry("memory", 2, 0));
        // The code is untouched.
        QCOMPARE(sectionBody(*rewritten, 10), sectionBody(original, 10));
        QVERIFY(!rewriteWasmExports(bytesOf(*rewritten))); // rewritten already
        QVERIFY(!readLazyExports(bytesOf(original)));      // no listing in the original
    }

    // The data segments are emptied (same count and offsets) and copied by the host after
    // instantiation, from the original; a module with a passive segment keeps its data.
    void dataSegmentsMoveToTheHost() {
        const QByteArray original = module({exportEntry("b", 0, 2)}, kData);
        const auto rewritten = rewriteWasmExports(bytesOf(original));
        QVERIFY(rewritten);
        QVERIFY(hasMovedData(bytesOf(*rewritten)));
        QCOMPARE(sectionBody(*rewritten, 11), QByteArray::fromHex("02"
                                                                  "0041100b00"
                                                                  "0041e4000b00"));
        QByteArray memory(128, '\0');
        QVERIFY(copyDataSegments(
            bytesOf(original), {reinterpret_cast<uint8_t*>(memory.data()), size_t(memory.size())}));
        QCOMPARE(memory.mid(16, 3), QByteArray("abc"));
        QCOMPARE(memory.mid(100, 3), QByteArray("xyz"));
        QCOMPARE(memory.count('\0'), 128 - 6);
        QByteArray small(64, '\0'); // "xyz" would not fit: nothing is copied
        QVERIFY(!copyDataSegments(
            bytesOf(original), {reinterpret_cast<uint8_t*>(small.data()), size_t(small.size())}));
        QCOMPARE(small.count('\0'), 64);

        const QByteArray passive =
            module({exportEntry("b", 0, 2)}, QByteArray::fromHex("010103616263"));
        const auto kept = rewriteWasmExports(bytesOf(passive));
        QVERIFY(kept);
        QVERIFY(!hasMovedData(bytesOf(*kept)));
        QCOMPARE(sectionBody(*kept, 11), sectionBody(passive, 11));
    }

    void whatItDoesNotFollowIsRefused() {
        // A re-exported import: its slot would come from the glue, not the module.
        QVERIFY(!rewriteWasmExports(bytesOf(module({exportEntry("imp", 0, 0)}))));
        QVERIFY(!rewriteWasmExports(bytesOf(QByteArray("not wasm at all"))));
        const QByteArray good = module({exportEntry("b", 0, 2)});
        QVERIFY(rewriteWasmExports(bytesOf(good)));
        QVERIFY(!rewriteWasmExports(bytesOf(good.left(good.size() - 5)))); // cut short
    }

    void theShippedPyodideIsRewritten() {
        const QByteArray wasm = shipped(QStringLiteral("pyodide.asm.wasm"));
        if (wasm.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        const auto before = readWasmStartTable(bytesOf(wasm));
        const auto rewritten = rewriteWasmExports(bytesOf(wasm));
        QVERIFY(before && rewritten);
        const auto after = readWasmStartTable(bytesOf(*rewritten));
        const auto listed = readLazyExports(bytesOf(*rewritten));
        QVERIFY(after && listed);
        int functions = 0, globals = 0;
        for (const auto& e : *listed) {
            if (e.kind == LazyExport::Function) {
                ++functions;
                QVERIFY(e.value > 0 && uint32_t(e.value) < after->length);
            }
            globals += e.kind == LazyExport::Global;
        }
        QVERIFY2(
            functions > 5000 && globals > 500,
            qPrintable(QStringLiteral("%1 functions, %2 globals").arg(functions).arg(globals)));
        // Functions already in the table keep their slots; the others follow the old end.
        for (size_t f = 0; f < before->slotOfFunction.size(); ++f)
            if (before->slotOfFunction[f])
                QCOMPARE(after->slotOfFunction[f], before->slotOfFunction[f]);
        QVERIFY(after->length > before->length + 1000);
        QVERIFY(hasMovedData(bytesOf(*rewritten)));
        QVERIFY2(
            rewritten->size() < wasm.size() - (2 << 20),
            qPrintable(QStringLiteral("%1 -> %2 bytes").arg(wasm.size()).arg(rewritten->size())));
    }

    // The rewriter decides which exports get a slot by Emscripten's isInternalSym; the glue
    // Kiln ships must have the same list (else the slots would differ from the glue's own).
    void internalSymbolsMatchTheGlue() {
        const QByteArray glue = shipped(QStringLiteral("pyodide.asm.mjs"));
        if (glue.isEmpty()) QSKIP("KILN_BIN is not set or its share/kiln/pyodide is missing");
        // var
        // isInternalSym=symName=>["memory",...].includes(symName)||symName.startsWith("__em_js__");
        const QByteArray head = "var isInternalSym=symName=>[";
        const QByteArray middle = "].includes(symName)||symName.startsWith(\"";
        const qsizetype from = glue.indexOf(head), to = glue.indexOf(middle, from);
        QVERIFY2(from >= 0 && to > from, "the glue's isInternalSym reads differently");
        const QByteArray list = glue.mid(from + head.size(), to - from - head.size());
        const qsizetype prefixAt = to + middle.size();
        const QByteArray prefix = glue.mid(prefixAt, glue.indexOf('"', prefixAt) - prefixAt);
        const QStringList names =
            QString::fromLatin1(list).remove(QLatin1Char('"')).split(QLatin1Char(','));
        QCOMPARE(names.size(), 19);
        for (const QString& name : names)
            QVERIFY2(isEmscriptenInternalSymbol(name.toStdString()), qPrintable(name));
        QCOMPARE(prefix, QByteArray("__em_js__"));
        QVERIFY(isEmscriptenInternalSymbol("__em_js__anything"));
        QVERIFY(!isEmscriptenInternalSymbol("PyLong_FromLong"));
        QVERIFY(!isEmscriptenInternalSymbol("memory2"));
    }
};

QTEST_GUILESS_MAIN(TestWasmLazyExports)
#include "test_wasmlazyexports.moc"
