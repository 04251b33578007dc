// `kiln profile` on examples/hello: real `kiln dev` starts per mode, their phases, the Python
// import tree, deploy checks, --json, and a --trace file that is valid trace-event JSON with
// import spans nested inside their parents.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestProfile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void profilesHello();
    void badProjectSaysWhy();
};

void TestProfile::profilesHello() {
    QTemporaryDir dir;
    const QString trace = dir.filePath(QStringLiteral("trace.json"));
    QProcess p;
    p.start(qEnvironmentVariable("KILN_BIN"),
            {QStringLiteral("profile"),
             qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/hello"),
             QStringLiteral("--runs"), QStringLiteral("1"), QStringLiteral("--json"),
             QStringLiteral("--trace"), trace});
    QVERIFY(p.waitForFinished(240000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitCode(), 0);
    const QJsonObject report = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QVERIFY2(!report.isEmpty(), err.constData());
    for (const char* mode : {"no caches", "code cache", "baseline snapshot", "package snapshot",
                             "dedicated snapshot"}) {
        const QJsonObject figures = report.value("modes").toObject().value(mode).toObject();
        QVERIFY2(figures.value("first 200").toObject().value("median").toDouble() > 0, mode);
        QVERIFY(figures.value("peak RSS (MB)").toObject().value("median").toDouble() > 10);
        QVERIFY(figures.value("wasm memory (MB)").toObject().value("median").toDouble() > 10);
        // The snapshot restored: tens of MB of wasm memory, in the snapshot modes only.
        const double snapshot =
            figures.value("snapshot restored (MB)").toObject().value("median").toDouble();
        QVERIFY2(QByteArray(mode).endsWith("snapshot") ? snapshot > 10 : snapshot == 0, mode);
        // The worker's own boot phases, as rows.
        QVERIFY2(figures.contains("pyodide runtime") && figures.contains("import main module"),
                 qPrintable(QStringList(figures.keys()).join(QLatin1String(", "))));
    }
    // Every snapshot mode's start restored its tier (a key that changes between starts makes
    // each one boot and make it again).
    QVERIFY2(report.value("notes").toArray().isEmpty(),
             qPrintable(QJsonDocument(report.value("notes").toArray()).toJson()));
    // -X importtime inside Pyodide: the SDK and the main module are in the tree.
    QStringList modules;
    for (const QJsonValue& v : report.value("imports").toArray())
        modules << v.toObject().value("module").toString();
    QVERIFY2(modules.contains(QLatin1String("workers")) && modules.contains(QLatin1String("entry")),
             qPrintable(modules.join(QLatin1String(", "))));
    QStringList verdicts;
    for (const QJsonValue& v : report.value("checks").toArray())
        verdicts << v.toObject().value("name").toString() + QLatin1Char('=') +
                        v.toObject().value("verdict").toString();
    QVERIFY2(verdicts.contains(QLatin1String("startup CPU=pass")) &&
                 verdicts.contains(QLatin1String("size=pass")),
             qPrintable(verdicts.join(QLatin1String(", "))));

    // The trace: valid trace-event JSON; every span complete; imports nested in their parents.
    QFile file(trace);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonArray events = doc.object().value("traceEvents").toArray();
    QVERIFY(events.size() > 20);
    int importPid = 0;
    for (const QJsonValue& v : events) {
        const QJsonObject e = v.toObject();
        QVERIFY(e.contains("ph") && e.contains("pid") && e.contains("name"));
        if (e.value("ph") == QLatin1String("X"))
            QVERIFY(e.contains("ts") && e.value("dur").toDouble() >= 0);
        if (e.value("ph") == QLatin1String("M") &&
            e.value("args").toObject().value("name").toString().startsWith(
                QLatin1String("Python imports")))
            importPid = e.value("pid").toInt();
    }
    QVERIFY(importPid > 0);
    std::vector<std::pair<double, double>> spans;
    for (const QJsonValue& v : events)
        if (v["pid"].toInt() == importPid && v["ph"] == QLatin1String("X"))
            spans.emplace_back(v["ts"].toDouble(), v["ts"].toDouble() + v["dur"].toDouble());
    QVERIFY(spans.size() > 10);
    // Spans on one track either nest or do not overlap (what a flame view requires).
    for (const auto& a : spans)
        for (const auto& b : spans) {
            const bool disjoint = a.second <= b.first + 0.5 || b.second <= a.first + 0.5;
            const bool nested = (a.first >= b.first - 0.5 && a.second <= b.second + 0.5) ||
                                (b.first >= a.first - 0.5 && b.second <= a.second + 0.5);
            QVERIFY(disjoint || nested);
        }
}

void TestProfile::badProjectSaysWhy() {
    QTemporaryDir dir;
    QProcess p;
    p.start(qEnvironmentVariable("KILN_BIN"), {QStringLiteral("profile"), dir.path()});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 1);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("wrangler"), err.constData());
}

QTEST_GUILESS_MAIN(TestProfile)
#include "test_profile.moc"
