// Runs every conformance case (../shared/conformance and tests/conformance/cases) against a
// real `kiln dev`: each case is a Worker project plus checks.json (format in
// ../shared/conformance/README.md), on a fresh, empty state directory.

#include "kilndevprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

// Cases that need features of a later issue. Listed by name with the reason, so the skip is
// visible in the test output and disappears when the feature lands.
const QMap<QString, QString> kPending = {};

QByteArray bodyOf(const QJsonValue& body) {
    if (body.isString()) return body.toString().toUtf8();
    const QJsonObject object = body.toObject();
    if (object.contains(QStringLiteral("json")))
        return QJsonDocument::fromVariant(object.value(QStringLiteral("json")).toVariant())
            .toJson(QJsonDocument::Compact);
    if (object.contains(QStringLiteral("repeat")))
        return object.value(QStringLiteral("repeat"))
            .toString()
            .toUtf8()
            .repeated(object.value(QStringLiteral("times")).toInt());
    return {};
}

// Compares parsed JSON, including scalars at the top level (QJsonDocument cannot hold those).
bool jsonEquals(const QByteArray& body, const QJsonValue& expected, QString* actual) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + body + "]", &error);
    if (error.error != QJsonParseError::NoError) {
        *actual = QStringLiteral("not JSON: ") + QString::fromUtf8(body.left(300));
        return false;
    }
    const QJsonValue value = doc.array().at(0);
    *actual = QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    return value == expected;
}

// Sends one request step and checks its expectations; returns what failed, or nothing.
QString check(KilnDevProcess& dev, const QJsonObject& request, const QString& where) {
    QList<QPair<QByteArray, QByteArray>> headers;
    const QJsonObject headerObject = request.value(QStringLiteral("headers")).toObject();
    for (auto it = headerObject.begin(); it != headerObject.end(); ++it)
        headers.append({it.key().toUtf8(), it.value().toString().toUtf8()});
    const QByteArray method =
        request.value(QStringLiteral("method")).toString(QStringLiteral("GET")).toUtf8();
    const QByteArray path = request.value(QStringLiteral("path")).toString().toUtf8();
    const HttpResult result = httpRequest(dev.port(), method, path, headers,
                                          bodyOf(request.value(QStringLiteral("body"))));
    const QString context =
        QStringLiteral("%1 (%2 %3)").arg(where, QString::fromUtf8(method), QString::fromUtf8(path));
    if (!result.error.isEmpty())
        return context + QStringLiteral(": ") + result.error + QLatin1Char('\n') + dev.output();

    const QJsonObject expect = request.value(QStringLiteral("expect")).toObject();
    const QString got =
        QStringLiteral("%1: got %2 «%3»\n--- kiln output ---\n%4")
            .arg(context)
            .arg(result.status)
            .arg(QString::fromUtf8(result.body.left(500)), dev.output().right(3000));
    if (expect.contains(QStringLiteral("status")))
        if (result.status != expect.value(QStringLiteral("status")).toInt()) return got;
    if (expect.contains(QStringLiteral("body")))
        if (result.body != expect.value(QStringLiteral("body")).toString().toUtf8()) return got;
    for (const QJsonValue& part : expect.value(QStringLiteral("contains")).toArray())
        if (!result.body.contains(part.toString().toUtf8())) return got;
    if (expect.contains(QStringLiteral("json"))) {
        QString actual;
        if (!jsonEquals(result.body, expect.value(QStringLiteral("json")), &actual))
            return got + QStringLiteral("\nparsed: ") + actual;
    }
    const QJsonObject exactHeaders = expect.value(QStringLiteral("headers")).toObject();
    for (auto it = exactHeaders.begin(); it != exactHeaders.end(); ++it)
        if (result.header(it.key().toUtf8()) != it.value().toString().toUtf8())
            return got + QStringLiteral("\nheader ") + it.key() + QStringLiteral(" = ") +
                   QString::fromUtf8(result.header(it.key().toUtf8()));
    const QJsonObject prefixes = expect.value(QStringLiteral("header_prefix")).toObject();
    for (auto it = prefixes.begin(); it != prefixes.end(); ++it)
        if (!result.header(it.key().toUtf8()).startsWith(it.value().toString().toUtf8()))
            return got + QStringLiteral("\nheader ") + it.key() + QStringLiteral(" = ") +
                   QString::fromUtf8(result.header(it.key().toUtf8()));
    return {};
}

} // namespace

class TestConformance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cases_data();
    void cases();
};

void TestConformance::cases_data() {
    QTest::addColumn<QString>("dir");
    const QStringList roots{
        qEnvironmentVariable("KILN_SHARED_DIR") + QStringLiteral("/conformance"),
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/conformance/cases")};
    int count = 0;
    // A case Kiln carries a copy of (from ../shared/conformance-next) runs once, from shared.
    QSet<QString> seen;
    for (const QString& root : roots) {
        const QDir dir(root);
        for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
            if (QFile::exists(dir.filePath(name + QStringLiteral("/checks.json"))) &&
                !seen.contains(name)) {
                seen.insert(name);
                QTest::newRow(qPrintable(name)) << dir.filePath(name);
                ++count;
            }
        }
    }
    QVERIFY2(count >= 12, qPrintable(QStringLiteral("found only %1 conformance cases under %2")
                                         .arg(count)
                                         .arg(roots.join(QStringLiteral(", ")))));
}

void TestConformance::cases() {
    QFETCH(QString, dir);
    const QString name = QFileInfo(dir).fileName();
    if (kPending.contains(name))
        QSKIP(qPrintable(QStringLiteral("needs %1").arg(kPending.value(name))));

    QFile file(dir + QStringLiteral("/checks.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray steps = QJsonDocument::fromJson(file.readAll()).array();
    QVERIFY(!steps.isEmpty());

    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(dir, state.path()), qPrintable(dev.output()));
    int index = 0;
    for (const QJsonValue& stepValue : steps) {
        const QJsonObject step = stepValue.toObject();
        const QString where = QStringLiteral("%1 step %2").arg(name).arg(++index);
        if (step.value(QStringLiteral("restart")).toBool()) {
            dev.stop();
            QVERIFY2(dev.start(dir, state.path()),
                     qPrintable(where + QStringLiteral(": restart failed\n") + dev.output()));
            continue;
        }
        if (step.contains(QStringLiteral("log_contains"))) {
            const QString text = step.value(QStringLiteral("log_contains")).toString();
            QVERIFY2(
                dev.waitForOutput(text, 10000),
                qPrintable(
                    QStringLiteral("%1: log lacks \"%2\"\n%3").arg(where, text, dev.output())));
            continue;
        }
        if (step.contains(QStringLiteral("poll"))) {
            // Re-sends the request every 0.25 s until its expectation holds or time runs out.
            const QJsonObject request = step.value(QStringLiteral("poll")).toObject();
            QDeadlineTimer deadline(
                qint64(step.value(QStringLiteral("timeout")).toDouble(10) * 1000));
            QString failure;
            while (!(failure = check(dev, request, where)).isEmpty() && !deadline.hasExpired())
                QTest::qWait(250);
            QVERIFY2(failure.isEmpty(),
                     qPrintable(QStringLiteral("still failing after %1 s: ")
                                    .arg(step.value(QStringLiteral("timeout")).toDouble(10)) +
                                failure));
            continue;
        }
        const QString failure = check(dev, step, where);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }
    dev.stop();
}

QTEST_GUILESS_MAIN(TestConformance)
#include "test_conformance.moc"
