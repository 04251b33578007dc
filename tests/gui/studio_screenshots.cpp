// studio_screenshots OUTDIR: opens a copy of examples/hello in the studio, uses it as a person
// would (a JSON response in the composer, a traceback in the log, an error marker in the
// editor) and saves PNGs of the window. scripts/screenshots.sh runs it under Xvfb.

#include "copytree.h"
#include "d1tablemodel.h"
#include "editor/codeeditor.h"
#include "kilnprocess.h"
#include "kvkeysmodel.h"
#include "r2objectsmodel.h"
#include "ui/composerpane.h"
#include "ui/d1browser.h"
#include "ui/d1tableview.h"
#include "ui/datapane.h"
#include "ui/editorarea.h"
#include "ui/kvbrowser.h"
#include "ui/mainwindow.h"
#include "ui/profilerpane.h"
#include "ui/r2browser.h"
#include "ui/sqlconsole.h"
#include "ui/workflowbrowser.h"
#include "ui/workflowtimeline.h"
#include "workflowdocument.h"
#include "workflowinstancesmodel.h"
#include "workflowstepsmodel.h"

#include <QApplication>
#include <QBuffer>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QPalette>
#include <QTableView>
#include <QTemporaryDir>

#include <cstdio>

using namespace kiln;

namespace {

bool waitFor(const std::function<bool()>& done, int ms) {
    QDeadlineTimer deadline(ms);
    while (!done()) {
        if (deadline.hasExpired()) return false;
        QApplication::processEvents(QEventLoop::AllEvents, 50);
    }
    return true;
}

void settle(int ms) {
    waitFor([] { return false; }, ms);
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: studio_screenshots OUTDIR\n");
        return 2;
    }
    const QString out = QString::fromLocal8Bit(argv[1]);
    QDir().mkpath(out);
    QTemporaryDir project;
    const QString example = QStringLiteral(KILN_SOURCE_DIR "/examples/hello");
    if (!kiln::test::copyTree(example, project.path())) {
        std::fprintf(stderr, "cannot copy %s\n", qPrintable(example));
        return 1;
    }
    MainWindow window;
    window.resize(1366, 768);
    window.openProject(project.path());
    window.show();
    if (!waitFor([&] { return window.runtime()->state() == KilnProcess::State::Running; }, 60000)) {
        std::fprintf(stderr, "kiln did not start\n");
        return 1;
    }
    // A handler that fails, so the log has a traceback and the editor a marker.
    CodeEditor* entry = window.editors()->current();
    QString text = entry->text();
    text.replace(QStringLiteral("        if url.path == \"/json\":"),
                 QStringLiteral("        if url.path == \"/boom\":\n"
                                "            return Response(str(1 / 0))\n"
                                "        if url.path == \"/json\":"));
    entry->setText(text);
    window.editors()->saveCurrent();
    settle(2500);
    HttpCallRequest boom;
    boom.url = QUrl(QStringLiteral("/boom"));
    window.composer()->setRequest(boom);
    window.composer()->send();
    settle(1500);
    HttpCallRequest json;
    json.url = QUrl(QStringLiteral("/json?name=kiln"));
    window.composer()->setRequest(json);
    window.composer()->send();
    waitFor([&] { return window.composer()->lastResponse().status == 200; }, 10000);
    settle(500);
    const QString file = out + QStringLiteral("/studio-main.png");
    if (!window.grab().save(file)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(file));
        return 1;
    }
    std::printf("%s\n", qPrintable(file));

    // A .http file, its request under the cursor sent with Ctrl+Enter.
    QFile requests(project.filePath(QStringLiteral("requests.http")));
    requests.open(QIODevice::WriteOnly);
    requests.write("@name = kiln\n\n### Say hello\n# @name hello\nGET {{host}}/?name={{name}}\n"
                   "Accept: text/plain\n\n### Echo JSON\n# @name echo\nPOST {{host}}/echo\n"
                   "Content-Type: application/json\n\n{\"hello\": \"{{name}}\"}\n");
    requests.close();
    CodeEditor* http = window.editors()->openFile(requests.fileName());
    http->setCursorPosition(10, 2);
    window.sendRequest();
    waitFor([&] { return window.composer()->lastResponse().body.contains("hello"); }, 10000);
    settle(800);
    const QString second = out + QStringLiteral("/studio-http.png");
    if (!window.grab().save(second)) return 1;
    std::printf("%s\n", qPrintable(second));

    // examples/notes: its KV views and D1 notes, in their browsers.
    QTemporaryDir notes;
    if (!kiln::test::copyTree(QStringLiteral(KILN_SOURCE_DIR "/examples/notes"), notes.path()))
        return 1;
    window.openProject(notes.path());
    if (!waitFor([&] { return window.runtime()->state() == KilnProcess::State::Running; }, 60000))
        return 1;
    const auto send = [&](const QByteArray& method, const QString& path, const QByteArray& body) {
        HttpCallRequest request;
        request.method = method;
        request.url = QUrl(path);
        request.body = body;
        window.composer()->setRequest(request);
        window.composer()->send();
        waitFor([&] { return window.composer()->lastResponse().status != 0; }, 10000);
        settle(300);
    };
    for (const char* text :
         {"Buy clay", "Fire the kiln at 1200 °C", "Glaze the mugs", "Ship to the café"})
        send("POST", QStringLiteral("/notes"), text);
    for (const char* id : {"1", "2", "2", "3", "3", "3"})
        send("GET", QStringLiteral("/notes/%1").arg(QLatin1String(id)), {});
    auto* kv = qobject_cast<KvBrowser*>(window.openStore(window.dataPane()->stores()[0]));
    waitFor([&] { return kv->model()->rowCount() == 3; }, 5000);
    kv->selectKey("views:3");
    settle(1200);
    const QString kvShot = out + QStringLiteral("/studio-kv.png");
    if (!kv || !window.grab().save(kvShot)) return 1;
    std::printf("%s\n", qPrintable(kvShot));

    auto* d1 = qobject_cast<D1Browser*>(window.openStore(window.dataPane()->stores()[1]));
    d1->console()->editor()->setText(
        QStringLiteral("SELECT id, text, length(text) AS chars\nFROM notes\nWHERE text LIKE "
                       "'%the%'\nORDER BY id;"));
    d1->console()->runAll();
    settle(1500);
    const QString consoleShot = out + QStringLiteral("/studio-d1-console.png");
    if (!window.grab().save(consoleShot)) return 1;
    std::printf("%s\n", qPrintable(consoleShot));
    D1TableView* table = d1->openTable(QStringLiteral("notes"));
    settle(800);
    table->model()->setData(table->model()->index(1, 1), QStringLiteral("Fire the kiln at 1240 °C"),
                            Qt::EditRole);
    table->view()->setColumnWidth(1, 260);
    settle(800);
    const QString tableShot = out + QStringLiteral("/studio-d1-table.png");
    if (!window.grab().save(tableShot)) return 1;
    std::printf("%s\n", qPrintable(tableShot));
    table->model()->discardPending();

    // R2: files the worker stored, a folder opened, an image previewed.
    QImage image(320, 200, QImage::Format_RGB32);
    image.fill(QColor(0xc8, 0x5a, 0x2b));
    {
        QPainter paint(&image);
        paint.setPen(Qt::white);
        paint.setFont(QFont(QStringLiteral("sans"), 28, QFont::Bold));
        paint.drawText(image.rect(), Qt::AlignCenter, QStringLiteral("kiln"));
    }
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    const auto put = [&](const QString& path, const QByteArray& type, const QByteArray& body) {
        HttpCallRequest request;
        request.method = "PUT";
        request.url = QUrl(path);
        request.headers.append(qMakePair(QByteArray("content-type"), type));
        request.body = body;
        window.composer()->setRequest(request);
        window.composer()->send();
        settle(400);
    };
    put(QStringLiteral("/files/photos/mug.png"), "image/png", png);
    put(QStringLiteral("/files/photos/notes.json"), "application/json", "{\"glaze\": \"celadon\"}");
    put(QStringLiteral("/files/readme.txt"), "text/plain", "Files attached to notes.\n");
    auto* r2 = qobject_cast<R2Browser*>(window.openStore(window.dataPane()->stores()[2]));
    settle(800);
    r2->enterFolder("photos/");
    waitFor([&] { return r2->model()->rowCount() == 2; }, 5000);
    r2->view()->selectRow(0);
    settle(1000);
    const QString r2Shot = out + QStringLiteral("/studio-r2.png");
    if (!window.grab().save(r2Shot)) return 1;
    std::printf("%s\n", qPrintable(r2Shot));

    // examples/orders: three orders through the workflow (one retried twice, one waiting for
    // its approval), two of them compared on the timeline, the retried step chosen.
    QTemporaryDir orders;
    if (!kiln::test::copyTree(QStringLiteral(KILN_SOURCE_DIR "/examples/orders"), orders.path()))
        return 1;
    window.openProject(orders.path());
    if (!waitFor([&] { return window.runtime()->state() == KilnProcess::State::Running; }, 60000))
        return 1;
    const auto order = [&](const QByteArray& body) {
        HttpCallRequest request;
        request.method = "POST";
        request.url = QUrl(QStringLiteral("/orders"));
        request.headers.append(
            qMakePair(QByteArray("content-type"), QByteArray("application/json")));
        request.body = body;
        const QByteArray before = window.composer()->lastResponse().body;
        window.composer()->setRequest(request);
        window.composer()->send();
        waitFor(
            [&] {
                return window.composer()->lastResponse().status == 201 &&
                       window.composer()->lastResponse().body != before;
            },
            10000);
        return QJsonDocument::fromJson(window.composer()->lastResponse().body)
            .object()
            .value(QStringLiteral("id"))
            .toString();
    };
    const QString retried = order(R"({"items":[{"sku":"mug","qty":2,"cents":1250}],"declines":2})");
    settle(1500);
    const QString quick = order(R"({"items":[{"sku":"bowl","qty":5,"cents":800}]})");
    order(R"({"items":[{"sku":"jar","qty":1,"cents":400}],"approval":true})");
    StoreLocation flowStore;
    for (const StoreLocation& s : window.dataPane()->stores())
        if (s.kind == StoreKind::Workflow) flowStore = s;
    auto* flows = qobject_cast<WorkflowBrowser*>(window.openStore(flowStore));
    if (!flows) return 1;
    waitFor([&] { return flows->document()->instances()->rowCount() == 3; }, 10000);
    settle(5000); // the retried and the plain order finish; the third waits for approval
    flows->selectInstances({retried, quick});
    waitFor([&] { return flows->document()->steps()->rowCount() == 12; }, 10000);
    for (int r = 0; r < flows->document()->steps()->rowCount(); ++r)
        if (flows->document()->steps()->step(r).name == QLatin1String("charge card")) {
            flows->timeline()->selectRow(r);
            break;
        }
    flows->timeline()->fit();
    settle(600);
    const QString flowShot = out + QStringLiteral("/studio-workflows.png");
    if (!window.grab().save(flowShot)) return 1;
    std::printf("%s\n", qPrintable(flowShot));

    // Run > Profile Cold Start on examples/orders: the waterfall, then the import icicle.
    ProfilerPane* profiler = window.openProfiler();
    if (!profiler) return 1;
    profiler->run(1);
    if (!waitFor([&] { return !profiler->running(); }, 300000)) return 1;
    settle(500);
    const QString profileShot = out + QStringLiteral("/studio-profile.png");
    if (!window.grab().save(profileShot)) return 1;
    std::printf("%s\n", qPrintable(profileShot));
    profiler->tabs()->setCurrentIndex(1);
    settle(500);
    const QString importsShot = out + QStringLiteral("/studio-profile-imports.png");
    if (!window.grab().save(importsShot)) return 1;
    std::printf("%s\n", qPrintable(importsShot));

    // The same window on a dark system theme (Fusion with a dark palette stands in for one):
    // the editor and the highlighted answer follow it.
    QApplication::setStyle(QStringLiteral("Fusion"));
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    dark.setColor(QPalette::WindowText, QColor(0xdd, 0xdd, 0xdd));
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    dark.setColor(QPalette::Text, QColor(0xdd, 0xdd, 0xdd));
    dark.setColor(QPalette::Button, QColor(0x33, 0x35, 0x3a));
    dark.setColor(QPalette::ButtonText, QColor(0xdd, 0xdd, 0xdd));
    dark.setColor(QPalette::Highlight, QColor(0x2f, 0x65, 0xca));
    dark.setColor(QPalette::HighlightedText, Qt::white);
    dark.setColor(QPalette::PlaceholderText, QColor(0x88, 0x88, 0x88));
    QApplication::setPalette(dark);
    window.editors()->openFile(project.filePath(QStringLiteral("src/entry.py")));
    window.composer()->setRequest(json);
    window.composer()->send();
    waitFor([&] { return window.composer()->lastResponse().body.contains("kiln"); }, 10000);
    settle(1500);
    const QString third = out + QStringLiteral("/studio-dark.png");
    if (!window.grab().save(third)) return 1;
    std::printf("%s\n", qPrintable(third));
    window.runtime()->stop();
    return 0;
}
