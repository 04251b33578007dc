// Workflows end to end: Python WorkflowEntrypoints in a real kiln dev (tests/runtime/projects/
// workflows), driven through the binding over HTTP and through `kiln workflows` on the same
// store, including restarts, kill -9 in the middle of a run and a hundred instances at once.
// A KV namespace counts how often each step body really ran.

#include "kilndevprocess.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

QJsonValue parse(const QByteArray& text) {
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]");
    return doc.array().at(0);
}

qint64 isoMs(const QJsonValue& v) {
    return QDateTime::fromString(v.toString(), Qt::ISODateWithMs).toMSecsSinceEpoch();
}

} // namespace

class TestWorkflows : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void completesAndReports();
    void bindingErrors();
    void contextAndEvent();
    void dependencies();
    void retriesWaitTheirBackoff_data();
    void retriesWaitTheirBackoff();
    void nonRetryableFailsAtOnce();
    void failures();
    void waitForEvent();
    void control();
    void cli();
    void hundredConcurrentInstances();
    void sleepAndStepsSurviveRestart();
    void runsResumeOnceAcrossReloads();
    void killNineLosesNoCompletedStep();
    void exampleDagRunsUnchanged();

private:
    HttpResult post(const QByteArray& path, const QByteArray& body = "{}");
    QString create(const QByteArray& mode, const QByteArray& query = {},
                   const QJsonObject& extra = {});
    QJsonObject status(const QString& id, KilnDevProcess* dev = nullptr);
    // Polls until the instance has `want` (or time runs out); answers the last status.
    QJsonObject waitFor(const QString& id, const QString& want, int timeoutMs = 30000,
                        KilnDevProcess* dev = nullptr);
    int runs(const QString& key, KilnDevProcess* dev = nullptr);
    QByteArray cli(const QStringList& args, int* exitCode = nullptr, const QString& state = {});
    QJsonObject describe(const QString& id, const QString& state = {});

    QString m_project;
    QTemporaryDir m_state;
    KilnDevProcess m_dev;
};

void TestWorkflows::initTestCase() {
    m_project = qEnvironmentVariable("KILN_SOURCE_DIR") +
                QStringLiteral("/tests/runtime/projects/workflows");
    QVERIFY2(m_dev.start(m_project, m_state.path()), qPrintable(m_dev.output()));
}

void TestWorkflows::cleanupTestCase() {
    m_dev.stop();
}

HttpResult TestWorkflows::post(const QByteArray& path, const QByteArray& body) {
    return httpRequest(m_dev.port(), "POST", path, {{"content-type", "application/json"}}, body);
}

QString TestWorkflows::create(const QByteArray& mode, const QByteArray& query,
                              const QJsonObject& extra) {
    QJsonObject params = extra;
    params.insert(QStringLiteral("mode"), QString::fromUtf8(mode));
    const HttpResult r = post("/create" + (query.isEmpty() ? QByteArray() : "?" + query),
                              QJsonDocument(params).toJson(QJsonDocument::Compact));
    if (r.status != 201) qWarning("create %s: %d %s", mode.constData(), r.status, r.body.data());
    return parse(r.body).toObject().value(QStringLiteral("id")).toString();
}

QJsonObject TestWorkflows::status(const QString& id, KilnDevProcess* dev) {
    const HttpResult r = httpRequest((dev ? dev : &m_dev)->port(), "GET", "/status/" + id.toUtf8());
    return parse(r.body).toObject();
}

QJsonObject TestWorkflows::waitFor(const QString& id, const QString& want, int timeoutMs,
                                   KilnDevProcess* dev) {
    QElapsedTimer clock;
    clock.start();
    QJsonObject last;
    while (clock.elapsed() < timeoutMs) {
        last = status(id, dev);
        if (last.value(QStringLiteral("status")).toString() == want) return last;
        QTest::qWait(100);
    }
    qWarning("%s: wanted %s, still %s\n%s", qPrintable(id), qPrintable(want),
             QJsonDocument(last).toJson().constData(),
             qPrintable((dev ? dev : &m_dev)->output().right(4000)));
    return last;
}

int TestWorkflows::runs(const QString& key, KilnDevProcess* dev) {
    return httpRequest((dev ? dev : &m_dev)->port(), "GET", "/runs/" + key.toUtf8()).body.toInt();
}

QByteArray TestWorkflows::cli(const QStringList& args, int* exitCode, const QString& state) {
    QProcess p;
    p.start(qEnvironmentVariable("KILN_BIN"),
            QStringList{QStringLiteral("workflows")} + args +
                QStringList{QStringLiteral("-c"), m_project, QStringLiteral("--persist-to"),
                            state.isEmpty() ? m_state.path() : state});
    p.waitForFinished(30000);
    if (exitCode) *exitCode = p.exitCode();
    return p.readAllStandardOutput() + p.readAllStandardError();
}

QJsonObject TestWorkflows::describe(const QString& id, const QString& state) {
    return parse(cli({QStringLiteral("instances"), QStringLiteral("describe"),
                      QStringLiteral("flow"), id, QStringLiteral("--json")},
                     nullptr, state))
        .toObject();
}

void TestWorkflows::completesAndReports() {
    const QString id = create("quick", "id=first");
    QCOMPARE(id, QStringLiteral("first"));
    const QJsonObject s = waitFor(id, QStringLiteral("complete"));
    QCOMPARE(s.value("output").toObject(), (QJsonObject{{"id", "first"}, {"n", 2}}));
    // One `one` step per call: the second call is the step's second occurrence.
    const QJsonArray steps = describe(id).value("steps").toArray();
    QCOMPARE(steps.size(), 3);
    QCOMPARE(steps.at(0).toObject().value("name").toString(), QStringLiteral("one"));
    QCOMPARE(steps.at(1).toObject().value("type").toString(), QStringLiteral("sleep"));
    QCOMPARE(steps.at(2).toObject().value("name").toString(), QStringLiteral("one"));
    // A random id when none is given.
    const QString random = create("quick");
    QCOMPARE(random.size(), 36);
    waitFor(random, QStringLiteral("complete"));
}

void TestWorkflows::bindingErrors() {
    QVERIFY(!create("quick", "id=dup").isEmpty());
    HttpResult r = post("/create?id=dup", R"({"mode":"quick"})");
    QCOMPARE(r.status, 400);
    QVERIFY2(r.body.contains("(instance.already_exists) Workflow instance with id \\\"dup\\\" "
                             "already exists"),
             r.body.constData());
    r = post("/create?id=-bad", R"({"mode":"quick"})");
    QVERIFY2(r.body.contains("Workflow instance has invalid id"), r.body.constData());
    r = httpRequest(m_dev.port(), "GET", "/status/nobody");
    QCOMPARE(r.status, 400);
    QVERIFY2(r.body.contains("instance.not_found"), r.body.constData());
    r = post("/batch?n=101&prefix=big");
    QVERIFY2(r.body.contains("batchCreate only supports 100 instances at a time"),
             r.body.constData());
    waitFor(QStringLiteral("dup"), QStringLiteral("complete"));
}

void TestWorkflows::contextAndEvent() {
    const QString id = create("context", "id=ctx");
    const QJsonObject out = waitFor(id, QStringLiteral("complete")).value("output").toObject();
    QCOMPARE(out.value("workflow").toString(), QStringLiteral("flow"));
    QCOMPARE(out.value("id").toString(), QStringLiteral("ctx"));
    QVERIFY(out.value("has_timestamp").toBool());
    const QJsonObject ctx = out.value("ctx").toObject();
    QCOMPARE(ctx.value("name").toString(), QStringLiteral("ctx-step"));
    QCOMPARE(ctx.value("count").toInt(), 1);
    QCOMPARE(ctx.value("attempt").toInt(), 1);
    QVERIFY(ctx.value("has_config").toBool());
}

void TestWorkflows::dependencies() {
    // compatibility_date 2026-03-01 implies python_workflows_implicit_dependencies.
    QCOMPARE(waitFor(create("implicit"), QStringLiteral("complete")).value("output").toObject(),
             (QJsonObject{{"combined", 6}}));
    const QJsonObject refused = waitFor(create("depends"), QStringLiteral("errored"));
    QCOMPARE(refused.value("error").toObject().value("name").toString(),
             QStringLiteral("TypeError"));
    QVERIFY(refused.value("error").toObject().value("message").toString().contains(
        QLatin1String("no_python_workflows_implicit_dependencies")));
    // `Legacy` uses depends=[...] (the signature before the flag), refused the same way; the
    // orders conformance case runs it with no_python_workflows_implicit_dependencies.
    const QJsonObject legacy =
        waitFor(create("legacy", "flow=legacy") + QStringLiteral("?flow=legacy"),
                QStringLiteral("errored"));
    QVERIFY(legacy.value("error").toObject().value("message").toString().contains(
        QLatin1String("depends")));
}

void TestWorkflows::retriesWaitTheirBackoff_data() {
    QTest::addColumn<QString>("backoff");
    QTest::addColumn<QList<int>>("waits");
    QTest::newRow("constant") << QStringLiteral("constant") << QList<int>{200, 200, 200};
    QTest::newRow("linear") << QStringLiteral("linear") << QList<int>{200, 400, 600};
    QTest::newRow("exponential") << QStringLiteral("exponential") << QList<int>{200, 400, 800};
}

void TestWorkflows::retriesWaitTheirBackoff() {
    QFETCH(QString, backoff);
    QFETCH(QList<int>, waits);
    const QString id = create("retry", {}, {{"backoff", backoff}});
    const QJsonObject s = waitFor(id, QStringLiteral("complete"));
    QCOMPARE(s.value("output").toObject(), (QJsonObject{{"attempt", 4}}));
    const QJsonObject step = describe(id).value("steps").toArray().at(0).toObject();
    QCOMPARE(
        step.value("config").toObject().value("retries").toObject().value("backoff").toString(),
        backoff);
    const QJsonArray attempts = step.value("attempts").toArray();
    QCOMPARE(attempts.size(), 4);
    for (int i = 0; i < 3; ++i) {
        const QJsonObject a = attempts.at(i).toObject();
        QCOMPARE(a.value("success").toBool(true), false);
        QCOMPARE(a.value("error").toObject().value("name").toString(),
                 QStringLiteral("ValueError"));
        QCOMPARE(a.value("error").toObject().value("message").toString(),
                 QStringLiteral("attempt %1 failed").arg(i + 1));
        // The next attempt starts no sooner than the backoff says ("200 millis" base).
        const qint64 gap =
            isoMs(attempts.at(i + 1).toObject().value("start")) - isoMs(a.value("end"));
        QVERIFY2(
            gap >= waits[i] - 2,
            qPrintable(QStringLiteral("wait %1: %2 ms, want %3").arg(i).arg(gap).arg(waits[i])));
    }
    QVERIFY(attempts.at(3).toObject().value("success").toBool());
}

void TestWorkflows::nonRetryableFailsAtOnce() {
    const QString id = create("fatal");
    const QJsonObject s = waitFor(id, QStringLiteral("errored"));
    // Before compatibility_date 2026-05-14 (workflows_preserve_non_retryable_error_message)
    // Cloudflare reports a WorkflowFatalError in place of the NonRetryableError.
    QCOMPARE(
        s.value("error").toObject(),
        (QJsonObject{{"name", "WorkflowFatalError"},
                     {"message", "The execution of the Workflow instance was terminated, as "
                                 "a step threw an NonRetryableError and it was not handled"}}));
    QCOMPARE(runs(id + QStringLiteral(":boom")), 1);
    const QJsonArray attempts =
        describe(id).value("steps").toArray().at(0).toObject().value("attempts").toArray();
    QCOMPARE(attempts.size(), 1);
    QCOMPARE(attempts.at(0).toObject().value("error").toObject().value("message").toString(),
             QStringLiteral("Step threw a NonRetryableError with message \"do not retry\""));
}

void TestWorkflows::failures() {
    QJsonObject s = waitFor(create("timeout"), QStringLiteral("errored"));
    QCOMPARE(s.value("error").toObject().value("name").toString(),
             QStringLiteral("WorkflowTimeoutError"));
    s = waitFor(create("unserialisable"), QStringLiteral("errored"));
    QVERIFY2(s.value("error").toObject().value("message").toString().contains(
                 QLatin1String("not serialisable")),
             QJsonDocument(s).toJson().constData());
    s = waitFor(create("tuple"), QStringLiteral("complete"));
    QCOMPARE(s.value("output").toObject(),
             (QJsonObject{{"pair", QJsonArray{1, QStringLiteral("two")}}}));
    s = waitFor(create("catch"), QStringLiteral("complete"));
    QCOMPARE(s.value("output").toObject(),
             (QJsonObject{{"caught", "TypeError"}, {"message", "TypeError: intentional failure"}}));
    s = waitFor(create("nonsense"), QStringLiteral("errored"));
    QCOMPARE(s.value("error").toObject(),
             (QJsonObject{{"name", "ValueError"}, {"message", "unknown mode nonsense"}}));
    // The server kept serving.
    QCOMPARE(waitFor(create("quick"), QStringLiteral("complete")).value("status").toString(),
             QStringLiteral("complete"));
}

void TestWorkflows::waitForEvent() {
    const QString id = create("event", "id=ev1");
    waitFor(id, QStringLiteral("waiting"));
    QCOMPARE(post("/event/ev1?type=other", R"({"ignored":true})").status, 200);
    QTest::qWait(500);
    QCOMPARE(status(id).value("status").toString(), QStringLiteral("waiting"));
    QCOMPARE(post("/event/ev1?type=approve", R"({"ok":true})").status, 200);
    QCOMPARE(waitFor(id, QStringLiteral("complete")).value("output").toObject(),
             (QJsonObject{{"payload", QJsonObject{{"ok", true}}}, {"type", "approve"}}));

    // Sent from the CLI to a running kiln dev.
    const QString byCli = create("event", "id=ev2");
    waitFor(byCli, QStringLiteral("waiting"));
    int code = -1;
    const QByteArray said =
        cli({QStringLiteral("instances"), QStringLiteral("send-event"), QStringLiteral("flow"),
             byCli, QStringLiteral("--type"), QStringLiteral("approve"),
             QStringLiteral("--payload"), QStringLiteral(R"({"from":"cli"})")},
            &code);
    QCOMPARE(code, 0);
    QVERIFY2(said.contains("was sent to the instance \"ev2\""), said.constData());
    QCOMPARE(waitFor(byCli, QStringLiteral("complete"))
                 .value("output")
                 .toObject()
                 .value("payload")
                 .toObject(),
             (QJsonObject{{"from", "cli"}}));

    // No event in time: the wait fails the run.
    const QString late = create("event", {}, {{"timeout", "1 second"}});
    const QJsonObject s = waitFor(late, QStringLiteral("errored"));
    QVERIFY2(!s.value("error").toObject().value("message").toString().isEmpty(),
             QJsonDocument(s).toJson().constData());
}

void TestWorkflows::control() {
    // Pause while waiting, an event arrives meanwhile, resume: it completes.
    const QString id = create("event", "id=ctl");
    waitFor(id, QStringLiteral("waiting"));
    int code = -1;
    QByteArray said = cli(
        {QStringLiteral("instances"), QStringLiteral("pause"), QStringLiteral("flow"), id}, &code);
    QCOMPARE(code, 0);
    QVERIFY2(said.contains("was paused successfully"), said.constData());
    waitFor(id, QStringLiteral("paused"));
    QCOMPARE(post("/event/ctl?type=approve", R"({"n":1})").status, 200);
    QTest::qWait(600);
    QCOMPARE(status(id).value("status").toString(), QStringLiteral("paused"));
    cli({QStringLiteral("instances"), QStringLiteral("resume"), QStringLiteral("flow"), id}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(waitFor(id, QStringLiteral("complete")).value("output").toObject().value("payload"),
             QJsonValue(QJsonObject{{"n", 1}}));

    // Terminate through the binding; a finished instance cannot be terminated.
    const QString gone = create("event", "id=gone");
    waitFor(gone, QStringLiteral("waiting"));
    QCOMPARE(post("/control/gone/terminate").status, 200);
    waitFor(gone, QStringLiteral("terminated"));
    const HttpResult again = post("/control/gone/terminate");
    QCOMPARE(again.status, 400);
    QVERIFY2(again.body.contains("instance.cannot_terminate"), again.body.constData());

    // Restart from the CLI runs it from the top: the step body runs again.
    const QString fatal = create("fatal", "id=again");
    waitFor(fatal, QStringLiteral("errored"));
    QCOMPARE(runs(QStringLiteral("again:boom")), 1);
    cli({QStringLiteral("instances"), QStringLiteral("restart"), QStringLiteral("flow"), fatal},
        &code);
    QCOMPARE(code, 0);
    QElapsedTimer clock;
    clock.start();
    while (runs(QStringLiteral("again:boom")) < 2 && clock.elapsed() < 20000)
        QTest::qWait(100);
    QCOMPARE(runs(QStringLiteral("again:boom")), 2);
    waitFor(fatal, QStringLiteral("errored"));
}

void TestWorkflows::cli() {
    int code = -1;
    QByteArray out =
        cli({QStringLiteral("trigger"), QStringLiteral("flow"),
             QStringLiteral(R"({"mode":"quick"})"), QStringLiteral("--id"), QStringLiteral("cli1")},
            &code);
    QCOMPARE(code, 0);
    QVERIFY2(out.contains("Workflow instance \"cli1\" has been queued successfully"),
             out.constData());
    QCOMPARE(waitFor(QStringLiteral("cli1"), QStringLiteral("complete")).value("output"),
             QJsonValue(QJsonObject{{"id", "cli1"}, {"n", 2}}));
    // "latest" is the newest instance.
    QCOMPARE(describe(QStringLiteral("latest")).value("id").toString(), QStringLiteral("cli1"));
    out = cli({QStringLiteral("instances"), QStringLiteral("describe"), QStringLiteral("flow"),
               QStringLiteral("cli1")});
    for (const char* field :
         {"Workflow Name:", "Instance Id:", "Status:", "Duration:", "Last Successful Step:",
          "Steps:", "Name:", "Type:", "Config:", "Output:", "Attempt"})
        QVERIFY2(
            out.contains(field),
            qPrintable(
                QStringLiteral("no %1 in\n%2").arg(QLatin1String(field), QString::fromUtf8(out))));
    const QJsonArray complete = parse(cli({QStringLiteral("instances"), QStringLiteral("list"),
                                           QStringLiteral("flow"), QStringLiteral("--status"),
                                           QStringLiteral("complete"), QStringLiteral("--json")}))
                                    .toArray();
    QVERIFY(complete.size() >= 3);
    for (const QJsonValue& v : complete)
        QCOMPARE(v.toObject().value("status").toString(), QStringLiteral("complete"));
    const QJsonArray flows =
        parse(cli({QStringLiteral("list"), QStringLiteral("--json")})).toArray();
    QCOMPARE(flows.size(), 2);
    QCOMPARE(flows.at(0).toObject().value("class_name").toString(), QStringLiteral("Flow"));

    // Bad input: clear errors, exit code 1.
    out = cli({QStringLiteral("trigger"), QStringLiteral("flow"), QStringLiteral("{nope")}, &code);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains("PARAMS is not valid JSON"), out.constData());
    out = cli({QStringLiteral("describe"), QStringLiteral("nosuch")}, &code);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains("no workflow named \"nosuch\" (workflows: flow, legacy)"),
             out.constData());
    out = cli({QStringLiteral("trigger"), QStringLiteral("flow"), QStringLiteral("{}"),
               QStringLiteral("--id"), QStringLiteral("cli1")},
              &code);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains("(instance.already_exists)"), out.constData());
    out = cli({QStringLiteral("instances"), QStringLiteral("pause"), QStringLiteral("flow"),
               QStringLiteral("nobody")},
              &code);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains("not found"), out.constData());
}

void TestWorkflows::hundredConcurrentInstances() {
    const HttpResult r = post("/batch?n=100&prefix=many");
    QCOMPARE(r.status, 201);
    QCOMPARE(parse(r.body).toObject().value("ids").toArray().size(), 100);
    QElapsedTimer clock;
    clock.start();
    int done = 0;
    while (clock.elapsed() < 120000) {
        done = 0;
        for (const QJsonValue& v : parse(cli({QStringLiteral("instances"), QStringLiteral("list"),
                                              QStringLiteral("flow"), QStringLiteral("--json")}))
                                       .toArray()) {
            const QJsonObject i = v.toObject();
            if (i.value("id").toString().startsWith(QLatin1String("many")) &&
                i.value("status").toString() == QLatin1String("complete"))
                ++done;
        }
        if (done == 100) break;
        QTest::qWait(300);
    }
    QCOMPARE(done, 100);
    for (int i : {0, 42, 99})
        QCOMPARE(status(QStringLiteral("many%1").arg(i)).value("output").toObject().value("id"),
                 QJsonValue(QStringLiteral("many%1").arg(i)));
}

void TestWorkflows::sleepAndStepsSurviveRestart() {
    const QString id = create("replay", "id=nap", {{"sleep", "4 seconds"}});
    waitFor(id, QStringLiteral("waiting"));
    QCOMPARE(runs(QStringLiteral("nap:a")), 1);
    m_dev.stop();
    QVERIFY2(m_dev.start(m_project, m_state.path()), qPrintable(m_dev.output()));
    waitFor(id, QStringLiteral("complete"));
    // The completed step was replayed from the store, not run again.
    QCOMPARE(runs(QStringLiteral("nap:a")), 1);
    QCOMPARE(runs(QStringLiteral("nap:b")), 1);
    const QJsonArray steps = describe(id).value("steps").toArray();
    const QJsonObject sleep = steps.at(1).toObject();
    QCOMPARE(sleep.value("type").toString(), QStringLiteral("sleep"));
    const qint64 slept = isoMs(sleep.value("end")) - isoMs(sleep.value("start"));
    QVERIFY2(slept >= 4000, qPrintable(QStringLiteral("slept %1 ms").arg(slept)));
    QVERIFY(isoMs(steps.at(2).toObject().value("start")) >= isoMs(sleep.value("end")));
}

// Saves while a run sleeps: the run goes on in the instance that replaces the old one (the
// first save restarts in place, the second hands over to a spare restored ahead, with the old
// instance still alive as it finishes) and no step body runs twice.
void TestWorkflows::runsResumeOnceAcrossReloads() {
    QTemporaryDir copy, state;
    QVERIFY(QDir().mkpath(copy.filePath(QStringLiteral("src"))));
    for (const char* rel : {"wrangler.jsonc", "src/entry.py"})
        QVERIFY(QFile::copy(m_project + QLatin1Char('/') + QLatin1String(rel),
                            copy.filePath(QLatin1String(rel))));
    KilnDevProcess dev;
    QVERIFY2(dev.start(copy.path(), state.path(),
                       {QStringLiteral("--log-level"), QStringLiteral("debug")}),
             qPrintable(dev.output()));
    const HttpResult r =
        httpRequest(dev.port(), "POST", "/create?id=saved", {{"content-type", "application/json"}},
                    R"({"mode":"replay","sleep":"4 seconds"})");
    QCOMPARE(r.status, 201);
    waitFor(QStringLiteral("saved"), QStringLiteral("waiting"), 30000, &dev);
    QFile entry(copy.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::ReadOnly));
    const QByteArray source = entry.readAll();
    entry.close();
    for (const char* awaited : {"a spare instance waits for the next reload",
                                "(from the package snapshot, restored ahead)"}) {
        QVERIFY(entry.open(QIODevice::WriteOnly | QIODevice::Truncate));
        entry.write(source + "\n# saved: " + awaited + "\n");
        entry.close();
        QVERIFY2(dev.waitForOutput(QLatin1String(awaited)), qPrintable(dev.output()));
    }
    const QJsonObject done =
        waitFor(QStringLiteral("saved"), QStringLiteral("complete"), 30000, &dev);
    QCOMPARE(done.value(QStringLiteral("status")).toString(), QStringLiteral("complete"));
    QCOMPARE(runs(QStringLiteral("saved:a"), &dev), 1);
    QCOMPARE(runs(QStringLiteral("saved:b"), &dev), 1);
}

void TestWorkflows::killNineLosesNoCompletedStep() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(m_project, state.path()), qPrintable(dev.output()));
    const QString id = QStringLiteral("killed");
    const HttpResult r = httpRequest(dev.port(), "POST", "/create?id=killed",
                                     {{"content-type", "application/json"}}, R"({"mode":"long"})");
    QCOMPARE(r.status, 201);
    int kills = 0;
    for (; kills < 20; ++kills) {
        QTest::qWait(100 + int(QRandomGenerator::global()->bounded(300)));
        dev.killHard();
        QVERIFY2(dev.start(m_project, state.path()), qPrintable(dev.output()));
    }
    const QJsonObject s = waitFor(id, QStringLiteral("complete"), 60000, &dev);
    QCOMPARE(s.value("output").toObject(), (QJsonObject{{"sum", 190}}));
    int total = 0, rerun = 0;
    for (int i = 0; i < 20; ++i) {
        const int n = runs(QStringLiteral("killed:s%1").arg(i, 2, 10, QLatin1Char('0')), &dev);
        QVERIFY2(n >= 1, qPrintable(QStringLiteral("step %1 never ran").arg(i)));
        total += n;
        rerun += n > 1 ? 1 : 0;
    }
    // Each kill cuts at most the one step in flight short; a completed step never runs again.
    QVERIFY2(total <= 20 + kills, qPrintable(QStringLiteral("%1 step runs").arg(total)));
    qInfo("20 steps ran %d times over %d kills (%d steps re-run)", total, kills, rerun);
    dev.stop();
    // What the killed attempts left: closed as interrupted, not counted as failures.
    const QJsonArray steps = describe(id, state.path()).value("steps").toArray();
    QCOMPARE(steps.size(), 20);
    for (const QJsonValue& v : steps) {
        const QJsonArray attempts = v.toObject().value("attempts").toArray();
        QVERIFY(attempts.last().toObject().value("success").toBool());
        for (int i = 0; i + 1 < attempts.size(); ++i)
            QCOMPARE(attempts.at(i).toObject().value("error").toObject().value("name").toString(),
                     QStringLiteral("Interrupted"));
    }
}

void TestWorkflows::exampleDagRunsUnchanged() {
    // The shape of Cloudflare's python-workers-examples/10-workflows: create() without
    // arguments, a concurrent join over `depends`, status() handed to Response.json.
    QTemporaryDir state;
    KilnDevProcess dev;
    const QString project =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/dag");
    QVERIFY2(dev.start(project, state.path()), qPrintable(dev.output()));
    const HttpResult started = httpRequest(dev.port(), "GET", "/start");
    QCOMPARE(started.status, 200);
    QVERIFY(started.body.startsWith("Started workflow "));
    const QString id = QString::fromUtf8(started.body.mid(17));
    const QJsonObject s = waitFor(id, QStringLiteral("complete"), 30000, &dev);
    QCOMPARE(s.value("status").toString(), QStringLiteral("complete"));
    QVERIFY(dev.waitForOutput(QStringLiteral("both branches done")));
    QVERIFY(dev.output().contains(QLatin1String("first branch running")));
    QVERIFY(dev.output().contains(QLatin1String("second branch running")));
    dev.stop();
}

QTEST_GUILESS_MAIN(TestWorkflows)
#include "test_workflows.moc"
