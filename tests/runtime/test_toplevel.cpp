// Cloudflare's rules for the top level (before the first request), in a real kiln dev:
// randomness there fails as it does on Cloudflare (random's functions with RuntimeError,
// os.urandom and what uses it with OSError 29) with the file and line; what workerd allows
// at import (import random, seeded Random, SystemRandom, multiprocessing, tempfile names)
// works; fetch() and timers with a delay throw workerd's "Disallowed operation called within
// global scope" (setTimeout(fn, 0) runs fn as a microtask); and inside requests all of it
// works, freshly seeded, without ending the interpreter.

#include "kilndevprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

// A project whose main module runs `top` at its top level and answers `handler`'s value.
bool writeProject(const QString& dir, const QByteArray& top, const QByteArray& handler) {
    QDir().mkpath(dir + QStringLiteral("/src"));
    QFile config(dir + QStringLiteral("/wrangler.jsonc"));
    QFile entry(dir + QStringLiteral("/src/entry.py"));
    if (!config.open(QIODevice::WriteOnly) || !entry.open(QIODevice::WriteOnly)) return false;
    config.write(R"({"name": "top", "main": "src/entry.py", "compatibility_date": "2026-09-08",
 "compatibility_flags": ["python_workers"]})");
    entry.write("import json\nimport os\nimport random\nimport uuid\n"
                "from workers import Response, WorkerEntrypoint\n" +
                top +
                "\n\nclass Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
                "        return Response(json.dumps(" +
                handler + "))\n");
    return true;
}

} // namespace

class TestTopLevel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void entropyAtTopLevelFails_data();
    void entropyAtTopLevelFails();
    void allowedAtTopLevelAndEverythingInRequests();
    void nodeProcessGlobal();
    void vendoredModules();
    void userModuleNamedLikeTheSdk();
};

void TestTopLevel::entropyAtTopLevelFails_data() {
    QTest::addColumn<QByteArray>("top");
    QTest::addColumn<QString>("error");
    QTest::newRow("random.random") << QByteArray("X = random.random()")
                                   << "RuntimeError: Cannot use random.random() outside of "
                                      "request context";
    QTest::newRow("from random import choice")
        << QByteArray("from random import choice\nX = choice([1, 2])")
        << "RuntimeError: Cannot use random.choice() outside of request context";
    QTest::newRow("os.urandom") << QByteArray("X = os.urandom(4)")
                                << "OSError: [Errno 29] Cannot get entropy outside of request "
                                   "context";
    QTest::newRow("uuid4") << QByteArray("X = uuid.uuid4()")
                           << "OSError: [Errno 29] Cannot get entropy outside of request context";
    QTest::newRow("unseeded Random") << QByteArray("X = random.Random()")
                                     << "OSError: [Errno 29] Cannot get entropy outside of "
                                        "request context";
    // I/O and timers: workerd's error, thrown where the call is made.
    const QString disallowed = QStringLiteral(
        "Error: Disallowed operation called within global scope. Asynchronous I/O (ex: fetch() "
        "or connect()), setting a timeout, and generating random values are not allowed within "
        "global scope.");
    QTest::newRow("fetch") << QByteArray("import js\nX = js.fetch('https://example.com/')")
                           << disallowed;
    QTest::newRow("setTimeout with a delay")
        << QByteArray("import js\nfrom pyodide.ffi import create_once_callable\n"
                      "X = js.setTimeout(create_once_callable(lambda: None), 5)")
        << disallowed;
    QTest::newRow("setInterval") << QByteArray(
                                        "from js import setInterval\nX = setInterval(print, 5)")
                                 << disallowed;
}

void TestTopLevel::entropyAtTopLevelFails() {
    QFETCH(QByteArray, top);
    QFETCH(QString, error);
    QTemporaryDir project, state;
    QVERIFY(writeProject(project.path(), top, "{}"));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(r.status, 500);
    QVERIFY2(r.body.contains(error.toUtf8()), r.body.constData());
    // Where: the user's line (the 6th of the generated module, or the 7th after an import).
    QVERIFY2(r.body.contains("entry.py\", line "), r.body.constData());
    QVERIFY2(dev.waitForOutput(error), qPrintable(dev.output()));
    dev.stop();
}

void TestTopLevel::allowedAtTopLevelAndEverythingInRequests() {
    QTemporaryDir project, state;
    QVERIFY(writeProject(
        project.path(),
        "import multiprocessing\nimport secrets\nimport tempfile\nfrom random import randint\n"
        "import js\nfrom pyodide.ffi import create_once_callable\nLATER = []\n"
        "js.setTimeout(create_once_callable(lambda: LATER.append(1)), 0)\n"
        "SEEDED = random.Random(42).random()\nSYSTEM = random.SystemRandom\n"
        "NAME = next(tempfile._get_candidate_names())\n",
        "{'seeded': SEEDED, 'name': NAME, 'r': random.random(), 'i': randint(1, 6), "
        "'u': str(uuid.uuid4()), 'b': os.urandom(4).hex(), 't': secrets.token_hex(4), "
        "'s': SYSTEM().random() < 1, 'later': LATER}"));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));
    const HttpResult first = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(first.status, 200);
    const QJsonObject a = QJsonDocument::fromJson(first.body).object();
    QCOMPARE(a.value("seeded").toDouble(), 0.6394267984578837); // Random(42), as CPython gives
    QCOMPARE(a.value("name").toString().size(), 8);
    QCOMPARE(a.value("u").toString().size(), 36);
    QCOMPARE(a.value("b").toString().size(), 8);
    QVERIFY(a.value("s").toBool());
    // setTimeout(fn, 0) at the top level runs fn soon after, as workerd's patch does.
    QCOMPARE(a.value("later").toArray().size(), 1);
    const QJsonObject b =
        QJsonDocument::fromJson(httpRequest(dev.port(), "GET", "/").body).object();
    QVERIFY(a.value("r") != b.value("r")); // a live generator, not one fixed at the top level
    QVERIFY(a.value("u") != b.value("u"));
    QVERIFY2(!dev.output().contains(QLatin1String("fatal")), qPrintable(dev.output()));
    dev.stop();
}

// Node.js's `process` as workerd gives it: with nodejs_compat (env populated with the text
// bindings from 2025-04-01), and for every worker from 2026-08-04; before that, without the
// flag, there is none.
void TestTopLevel::nodeProcessGlobal() {
    const QByteArray entry =
        "import json\nfrom workers import Response, WorkerEntrypoint\n"
        "from pyodide.ffi import create_once_callable\n"
        "try:\n    from js import process\nexcept ImportError:\n    process = None\n"
        "TICKED = []\n"
        "if process is not None:\n"
        "    process.nextTick(create_once_callable(lambda: TICKED.append(1)))\n\n"
        "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
        "        if process is None:\n            return Response('none')\n"
        "        return Response(json.dumps({'env': process.env.to_py(), 'node': "
        "process.versions.node, 'v8': process.versions.v8, 'ticked': TICKED}))\n";
    const auto run = [&](const QByteArray& dateAndFlags) -> QByteArray {
        QTemporaryDir project, state;
        QDir().mkpath(project.filePath(QStringLiteral("src")));
        QFile config(project.filePath(QStringLiteral("wrangler.jsonc")));
        QFile main(project.filePath(QStringLiteral("src/entry.py")));
        if (!config.open(QIODevice::WriteOnly) || !main.open(QIODevice::WriteOnly)) return {};
        config.write(
            R"({"name": "p", "main": "src/entry.py", "vars": {"MODE": "dev", "CONF": {"a": 1}}, )" +
            dateAndFlags + "}");
        main.write(entry);
        config.close();
        main.close();
        KilnDevProcess dev;
        if (!dev.start(project.path(), state.path())) return dev.output().toUtf8();
        return httpRequest(dev.port(), "GET", "/").body;
    };
    const QJsonObject on =
        QJsonDocument::fromJson(
            run(R"("compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers", "nodejs_compat"])"))
            .object();
    QCOMPARE(on.value("env").toObject(), (QJsonObject{{"MODE", "dev"}})); // text bindings only
    QCOMPARE(on.value("node").toString(), QStringLiteral("22.19.0"));
    QCOMPARE(on.value("v8").toString(), QString(""));
    QCOMPARE(on.value("ticked").toArray().size(), 1);
    const QJsonObject byDate =
        QJsonDocument::fromJson(
            run(R"("compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"])"))
            .object();
    QCOMPARE(byDate.value("node").toString(), QStringLiteral("22.19.0"));
    QCOMPARE(
        run(R"("compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"])"),
        QByteArray("none"));
}

// python_modules/ as workerd places it: after the standard library (a vendored colorsys.py,
// named like a stdlib module nothing imports first, does not shadow it), its .pth files read when
// python_process_pth_files is on (from 2026-05-26).
void TestTopLevel::vendoredModules() {
    const auto run = [&](const QByteArray& flags) -> QByteArray {
        QTemporaryDir project, state;
        const QString modules = project.filePath(QStringLiteral("python_modules"));
        QDir().mkpath(modules + QStringLiteral("/extra_dir"));
        QDir().mkpath(project.filePath(QStringLiteral("src")));
        const QList<QPair<QString, QByteArray>> files{
            {QStringLiteral("wrangler.jsonc"),
             R"({"name": "v", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": )" +
                 flags + "}"},
            {QStringLiteral("python_modules/colorsys.py"), "SHADOWED = True\n"},
            {QStringLiteral("python_modules/vendored.py"), "X = 'vendored'\n"},
            {QStringLiteral("python_modules/extra.pth"), "extra_dir\n"},
            {QStringLiteral("python_modules/extra_dir/extramod.py"), "VALUE = 7\n"},
            {QStringLiteral("src/entry.py"),
             "import colorsys\nimport json\nimport vendored\n"
             "from workers import Response, WorkerEntrypoint\n"
             "try:\n    import extramod\n    EXTRA = extramod.VALUE\nexcept ImportError:\n"
             "    EXTRA = None\n\n"
             "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
             "        return Response(json.dumps({'shadowed': hasattr(colorsys, 'SHADOWED'), "
             "'vendored': vendored.X, 'extra': EXTRA}))\n"},
        };
        for (const auto& [name, text] : files) {
            QFile file(project.filePath(name));
            if (!file.open(QIODevice::WriteOnly)) return {};
            file.write(text);
        }
        KilnDevProcess dev;
        if (!dev.start(project.path(), state.path())) return dev.output().toUtf8();
        return httpRequest(dev.port(), "GET", "/").body;
    };
    const QByteArray on = run(R"(["python_workers"])");
    QCOMPARE(QJsonDocument::fromJson(on).object(),
             (QJsonObject{{"shadowed", false}, {"vendored", "vendored"}, {"extra", 7}}));
    const QByteArray off = run(R"(["python_workers", "disable_python_process_pth_files"])");
    QCOMPARE(QJsonDocument::fromJson(off).object(),
             (QJsonObject{{"shadowed", false}, {"vendored", "vendored"}, {"extra", QJsonValue()}}));
}

// A project file named workers.py does not stand in for the SDK, in Kiln's glue or in the
// user's own `from workers import …` (workerd fixed the same), with snapshots and without.
void TestTopLevel::userModuleNamedLikeTheSdk() {
    for (const bool snapshots : {true, false}) {
        QTemporaryDir project, state;
        QVERIFY(writeProject(project.path(), "", "'ok'"));
        QFile shadow(project.filePath(QStringLiteral("src/workers.py")));
        QVERIFY(shadow.open(QIODevice::WriteOnly));
        shadow.write("raise RuntimeError('the workers.py of the project was imported')\n");
        shadow.close();
        if (!snapshots) qputenv("KILN_NO_SNAPSHOT", "1");
        KilnDevProcess dev;
        const bool started = dev.start(project.path(), state.path());
        qunsetenv("KILN_NO_SNAPSHOT");
        QVERIFY2(started, qPrintable(dev.output()));
        const HttpResult r = httpRequest(dev.port(), "GET", "/");
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.body, QByteArray("\"ok\""));
    }
}

QTEST_GUILESS_MAIN(TestTopLevel)
#include "test_toplevel.moc"
