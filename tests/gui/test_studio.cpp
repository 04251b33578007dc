// The real studio window against a real `kiln dev` child (offscreen): open the example, get
// its response in the composer, edit and save, see a syntax error marked and cleared, follow
// a traceback link, survive a SIGKILL of the child with unsaved text intact.

#include "copytree.h"
#include "editor/codeeditor.h"
#include "editor/httplexer.h"
#include "kilnprocess.h"
#include "logfiltermodel.h"
#include "logmodel.h"
#include "protocol/commands.h"
#include "ui/commandpalette.h"
#include "ui/composerpane.h"
#include "ui/editorarea.h"
#include "ui/findbar.h"
#include "ui/logpane.h"
#include "ui/mainwindow.h"
#include "ui/projecttree.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace kiln;
using kiln::test::copyTree;

class TestStudio : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void exampleAnswersInTheComposer();
    void savingReloadsTheWorker();
    void syntaxErrorIsMarkedThenCleared();
    void tracebackFrameOpensItsLine();
    void httpFileRequestUnderTheCursorIsSent();
    void curlImportFillsTheComposer();
    void scheduledHandlerRunsOnRequest();
    void brokenConfigIsMarkedAndTheLastGoodKeepsServing();
    void killedChildIsRestartedAndTextSurvives();
    void unsavedTextSurvivesAStudioCrash();
    void noOrphanAfterTheStudioIsKilled();
    void anotherProtocolVersionIsExplained();
    void folderWithoutConfigIsOfferedOne();
    void settingsPersist();
    void findAndReplace();
    void filesChangedOnDiskAreReloaded();
    void commandPaletteRunsAnyAction();
    void projectFilesAreManagedFromTheTree();
    void otherEncodingsOpenReadOnly();

private:
    HttpCallResponse send(const QByteArray& method, const QString& path);
    CodeEditor* entry();
    void replaceInEntry(const QString& from, const QString& to);
    void saveAndWaitForReload();
    QTemporaryDir m_project;
    std::unique_ptr<MainWindow> m_window;
};

void TestStudio::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/hello"),
                     m_project.path()));
    m_window = std::make_unique<MainWindow>();
    m_window->runtime()->setExecutable(qEnvironmentVariable("KILN_BIN"));
    QVERIFY(m_window->openProject(m_project.path()));
    m_window->show();
    QVERIFY(entry());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->runtime()->state() == KilnProcess::State::Running, 60000);
    QVERIFY2(m_window->windowTitle().startsWith(QFileInfo(m_project.path()).fileName()),
             qPrintable(m_window->windowTitle()));
}

void TestStudio::cleanupTestCase() {
    if (m_window) {
        m_window->editors()->dropBackups();
        m_window->runtime()->stop();
    }
    m_window.reset();
}

CodeEditor* TestStudio::entry() {
    return m_window->editors()->editorFor(m_project.filePath(QStringLiteral("src/entry.py")));
}

HttpCallResponse TestStudio::send(const QByteArray& method, const QString& path) {
    ComposerPane* composer = m_window->composer();
    HttpCallRequest request;
    request.method = method;
    request.url = QUrl(path);
    composer->setRequest(request);
    QSignalSpy responded(composer, &ComposerPane::responded);
    composer->send();
    if (!responded.wait(30000)) return {};
    return responded.takeFirst().at(0).value<HttpCallResponse>();
}

void TestStudio::replaceInEntry(const QString& from, const QString& to) {
    CodeEditor* editor = entry();
    QVERIFY(editor);
    QString text = editor->text();
    QVERIFY2(text.contains(from), qPrintable(from));
    editor->setText(text.replace(from, to));
    QVERIFY(editor->isModified());
}

void TestStudio::saveAndWaitForReload() {
    QSignalSpy reloaded(m_window->runtime(), &KilnProcess::reloadFinished);
    m_window->editors()->setCurrentWidget(entry());
    QVERIFY(m_window->editors()->saveCurrent());
    QVERIFY(!entry()->isModified());
    QVERIFY(reloaded.wait(30000));
}

void TestStudio::exampleAnswersInTheComposer() {
    const HttpCallResponse r = send("GET", QStringLiteral("/json"));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains("\"greeting\""), r.body.constData());
    // What a person sees: the status line and the pretty-printed body.
    QVERIFY2(m_window->composer()->statusText().startsWith(QLatin1String("200 OK")),
             qPrintable(m_window->composer()->statusText()));
    QVERIFY(m_window->composer()->bodyText().contains(QLatin1String("\"greeting\": ")));
    // The timing breakdown adds up: connect, then the server's wait, then receiving.
    QVERIFY(r.connectMs >= 0 && r.waitMs >= 0 && r.receiveMs >= 0);
    QVERIFY(r.firstByteMs >= r.connectMs && r.totalMs >= r.firstByteMs);
    QVERIFY2(m_window->composer()->statusText().contains(QLatin1String("connect ")) &&
                 m_window->composer()->statusText().contains(QStringLiteral(" · wait ")),
             qPrintable(m_window->composer()->statusText()));
    QVERIFY2(m_window->statusText().contains(m_window->runtime()->url()),
             qPrintable(m_window->statusText()));
}

// The first unsaved change tells kiln a reload is coming: a spare instance is restored while
// the person types, so even the first save's reload only runs the project's files.
void TestStudio::savingReloadsTheWorker() {
    KilnProcess* kiln = m_window->runtime();
    QVERIFY(kiln->send(QString::fromLatin1(kiln::protocol::SetLogLevelCommand::kName),
                       kiln::protocol::SetLogLevelCommand{kiln::LogLevel::Debug}.toArguments()));
    const int before = m_window->log()->rowCount();
    const auto logged = [&](const QString& text) {
        for (int row = before; row < m_window->log()->rowCount(); ++row)
            if (m_window->log()->index(row).data(LogModel::TextRole).toString().contains(text))
                return true;
        return false;
    };
    replaceInEntry(QStringLiteral("Try /json"), QStringLiteral("Edited in the studio"));
    QTRY_VERIFY_WITH_TIMEOUT(logged(QStringLiteral("a spare instance waits for the next reload")),
                             30000);
    saveAndWaitForReload();
    QTRY_VERIFY(logged(QStringLiteral(" ahead)")));
    QVERIFY(kiln->send(QString::fromLatin1(kiln::protocol::SetLogLevelCommand::kName),
                       kiln::protocol::SetLogLevelCommand{kiln::LogLevel::Log}.toArguments()));
    const HttpCallResponse r = send("GET", QStringLiteral("/"));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains("Edited in the studio"), r.body.constData());
    QTRY_VERIFY(m_window->statusText().contains(QLatin1String("reloaded in")));
}

void TestStudio::syntaxErrorIsMarkedThenCleared() {
    replaceInEntry(QStringLiteral("class Default(WorkerEntrypoint):"),
                   QStringLiteral("class Default(WorkerEntrypoint)"));
    const int line =
        entry()
            ->text()
            .left(entry()->text().indexOf(QLatin1String("class Default(WorkerEntrypoint)")))
            .count(QLatin1Char('\n')) +
        1;
    m_window->editors()->setCurrentWidget(entry());
    QVERIFY(m_window->editors()->saveCurrent());
    QTRY_COMPARE_WITH_TIMEOUT(entry()->errorLine(), line, 30000);
    QVERIFY2(entry()->errorMessage().contains(QLatin1String("SyntaxError")),
             qPrintable(entry()->errorMessage()));
    QVERIFY(entry()->markersAtLine(line - 1) != 0); // the marker a person sees in the margin
    replaceInEntry(QStringLiteral("class Default(WorkerEntrypoint)\n"),
                   QStringLiteral("class Default(WorkerEntrypoint):\n"));
    m_window->editors()->saveCurrent();
    QTRY_COMPARE_WITH_TIMEOUT(entry()->errorLine(), 0, 30000);
    QCOMPARE(send("GET", QStringLiteral("/")).status, 200);
}

void TestStudio::tracebackFrameOpensItsLine() {
    replaceInEntry(QStringLiteral("        if url.path == \"/json\":"),
                   QStringLiteral("        if url.path == \"/boom\":\n"
                                  "            return Response(str(1 / 0))\n"
                                  "        if url.path == \"/json\":"));
    const int line = entry()
                         ->text()
                         .left(entry()->text().indexOf(QLatin1String("1 / 0")))
                         .count(QLatin1Char('\n')) +
                     1;
    saveAndWaitForReload();
    QCOMPARE(send("GET", QStringLiteral("/boom")).status, 500);
    // The log shows the traceback; double-clicking it lands on the line.
    LogFilterModel* shown = m_window->logPane()->filter();
    shown->setText(QStringLiteral("ZeroDivisionError"));
    QTRY_VERIFY_WITH_TIMEOUT(shown->rowCount() > 0, 10000);
    const QModelIndex row = shown->index(shown->rowCount() - 1, 0);
    QVERIFY(!row.data(LogModel::FramesRole).toList().isEmpty());
    entry()->setCursorPosition(0, 0);
    QListView* view = m_window->logPane()->view();
    view->scrollTo(row);
    const QRect rect = view->visualRect(row);
    // A double-click is a press and release, then a second press that arrives as a double-click.
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, rect.center());
    int cursorLine = -1, index = 0;
    QTRY_VERIFY([&] {
        entry()->getCursorPosition(&cursorLine, &index);
        return cursorLine + 1 == line;
    }());
    QCOMPARE(m_window->editors()->current(), entry());
    shown->setText({});
}

void TestStudio::httpFileRequestUnderTheCursorIsSent() {
    const QString path = m_project.filePath(QStringLiteral("requests.http"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("@greeting = studio\n\n### json\nGET {{host}}/json\n\n### echo\nPOST "
               "{{host}}/echo\nContent-Type: text/plain\n\nhello {{greeting}}\n");
    file.close();
    CodeEditor* editor = m_window->editors()->openFile(path);
    QVERIFY(editor);
    // Coloured as .http: separator, method, placeholder, header name.
    editor->SendScintilla(QsciScintillaBase::SCI_COLOURISE, 0L, -1L);
    const QByteArray bytes = editor->text().toUtf8();
    auto styleAt = [&](const char* needle, int skip = 0) {
        const long pos = long(bytes.indexOf(needle)) + skip;
        return int(editor->SendScintilla(QsciScintillaBase::SCI_GETSTYLEAT, pos));
    };
    QCOMPARE(styleAt("### echo"), int(HttpLexer::Separator));
    QCOMPARE(styleAt("POST"), int(HttpLexer::Method));
    QCOMPARE(styleAt("{{host}}/echo", 2), int(HttpLexer::Placeholder));
    QCOMPARE(styleAt("Content-Type"), int(HttpLexer::HeaderName));
    QCOMPARE(styleAt("@greeting"), int(HttpLexer::Variable));
    QCOMPARE(styleAt("hello {{"), int(HttpLexer::Default)); // the body
    editor->setCursorPosition(6, 3); // inside "POST {{host}}/echo" (0-based line 6)
    QSignalSpy responded(m_window->composer(), &ComposerPane::responded);
    m_window->sendRequest();
    QVERIFY(responded.wait(30000));
    const auto r = responded.takeFirst().at(0).value<HttpCallResponse>();
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("hello studio"));
    QCOMPARE(m_window->composer()->request().method, QByteArray("POST"));
    m_window->editors()->setCurrentWidget(entry());
}

void TestStudio::curlImportFillsTheComposer() {
    ComposerPane* composer = m_window->composer();
    QVERIFY(!composer->importCurl(QStringLiteral("curl 'http://unterminated")));
    QVERIFY(composer->statusText().contains(QLatin1String("unterminated")));
    QVERIFY(composer->importCurl(m_window->runtime()->url().prepend(QStringLiteral("curl '")) +
                                 QStringLiteral("/echo' -H 'Content-Type: text/plain' "
                                                "--data-raw 'from curl'")));
    const HttpCallRequest filled = composer->request();
    QCOMPARE(filled.method, QByteArray("POST"));
    QCOMPARE(filled.url.path(), QStringLiteral("/echo"));
    QCOMPARE(filled.headers.first(),
             qMakePair(QByteArray("Content-Type"), QByteArray("text/plain")));
    QSignalSpy responded(composer, &ComposerPane::responded);
    composer->send();
    QVERIFY(responded.wait(30000));
    QCOMPARE(responded.takeFirst().at(0).value<HttpCallResponse>().body, QByteArray("from curl"));
    QVERIFY(composer->curlCommand().contains(QLatin1String("--data-raw 'from curl'")));
    // Every request sent is in the project's history, a .http file.
    const auto history = composer->history().entries();
    QVERIFY(!history.isEmpty());
    QCOMPARE(history.last().method, QByteArray("POST"));
    QCOMPARE(history.last().body, QStringLiteral("from curl"));
    QVERIFY(history.last().title.startsWith(QStringLiteral("200 · ")));
    QVERIFY(QFile::exists(m_project.filePath(QStringLiteral(".kiln/history.http"))));
}

void TestStudio::scheduledHandlerRunsOnRequest() {
    const int before = m_window->log()->rowCount();
    QVERIFY(m_window->triggerScheduled(QStringLiteral("*/5 * * * *")));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int row = before; row < m_window->log()->rowCount(); ++row)
                if (m_window->log()->index(row).data(LogModel::TextRole).toString() ==
                    QLatin1String("cron */5 * * * * fired"))
                    return true;
            return false;
        }(),
        10000);
}

// A config that does not parse: the marker sits at its line in wrangler.jsonc, and the worker
// that was running keeps answering until the config is fixed.
void TestStudio::brokenConfigIsMarkedAndTheLastGoodKeepsServing() {
    const QString path = m_project.filePath(QStringLiteral("wrangler.jsonc"));
    CodeEditor* config = m_window->editors()->openFile(path);
    QVERIFY(config);
    const QString good = config->text();
    const int firstBrace = good.indexOf(QLatin1Char('{'));
    config->setText(good.left(firstBrace + 1) + QStringLiteral("\n  \"name\": ,") +
                    good.mid(firstBrace + 1));
    QVERIFY(m_window->editors()->saveCurrent());
    const int line = good.left(firstBrace).count(QLatin1Char('\n')) + 2;
    QTRY_COMPARE_WITH_TIMEOUT(config->errorLine(), line, 30000);
    QVERIFY(m_window->statusText().contains(QLatin1String("last good version keeps serving")));
    QCOMPARE(send("GET", QStringLiteral("/json")).status, 200);
    config->setText(good);
    QVERIFY(m_window->editors()->saveCurrent());
    QTRY_COMPARE_WITH_TIMEOUT(config->errorLine(), 0, 30000);
    m_window->editors()->setCurrentWidget(entry());
}

void TestStudio::killedChildIsRestartedAndTextSurvives() {
    replaceInEntry(QStringLiteral("Edited in the studio"), QStringLiteral("not saved yet"));
    const QString unsaved = entry()->text();
    KilnProcess* kiln = m_window->runtime();
    QSignalSpy died(kiln, &KilnProcess::died);
    QVERIFY(kiln->pid() > 0);
    ::kill(pid_t(kiln->pid()), SIGKILL);
    QVERIFY(died.wait(10000));
    QVERIFY2(died.first().at(0).toString().contains(QLatin1String("signal 9")),
             qPrintable(died.first().at(0).toString()));
    // The person is told, in the log and the status bar.
    QTRY_VERIFY(m_window->statusText().contains(QLatin1String("signal 9")));
    QTRY_VERIFY_WITH_TIMEOUT(kiln->state() == KilnProcess::State::Running, 60000);
    QCOMPARE(kiln->restarts(), 1);
    QCOMPARE(entry()->text(), unsaved);
    QVERIFY(entry()->isModified());
    QCOMPARE(send("GET", QStringLiteral("/json")).status, 200);
}

// The studio dies (nothing runs its clean exit) with a buffer modified: the next studio opening
// the project gets the text back as unsaved changes; the file on disk was never touched.
void TestStudio::unsavedTextSurvivesAStudioCrash() {
    QTemporaryDir project, backups;
    const QString path = project.filePath(QStringLiteral("src/entry.py"));
    QVERIFY(QDir().mkpath(project.filePath(QStringLiteral("src"))));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("print(1)\n");
    file.close();
    {
        // Going away without MainWindow's clean exit (which drops backups) is, for the
        // backups, what a crash is.
        EditorArea crashed;
        crashed.setBackupStore(BackupStore(backups.path()));
        CodeEditor* editor = crashed.openFile(path);
        QVERIFY(editor);
        editor->setText(QStringLiteral("print('unsaved work')\n"));
        QTRY_COMPARE_WITH_TIMEOUT(crashed.backups().list(project.path()).size(), 1, 10000);
    }
    EditorArea next;
    next.setBackupStore(BackupStore(backups.path()));
    QStringList offered;
    const int restored = next.restoreBackups(project.path(), [&](const BackupStore::Backup& b) {
        offered.append(b.path);
        return true;
    });
    QCOMPARE(restored, 1);
    QCOMPARE(offered, QStringList{path});
    CodeEditor* editor = next.editorFor(path);
    QVERIFY(editor);
    QCOMPARE(editor->text(), QStringLiteral("print('unsaved work')\n"));
    QVERIFY(editor->isModified());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("print(1)\n"));
    file.close();
    // Saved: the backup has done its job and goes.
    QVERIFY(next.saveCurrent());
    QVERIFY(next.backups().list(project.path()).isEmpty());
    // Another project's backups are not offered here.
    QVERIFY(next.backups().write(QStringLiteral("/elsewhere/x.py"), QStringLiteral("x")));
    QCOMPARE(next.restoreBackups(project.path(), [](const BackupStore::Backup&) { return true; }),
             0);
}

// kill -9 of the studio itself: its kiln child sees the control channel close and exits.
void TestStudio::noOrphanAfterTheStudioIsKilled() {
    QProcess studio;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("KILN_STUDIO_BENCH")); // that would quit on its own
    studio.setProcessEnvironment(env);
    studio.start(QFileInfo(qEnvironmentVariable("KILN_BIN")).absolutePath() +
                     QStringLiteral("/kiln-studio"),
                 {m_project.path()});
    QVERIFY(studio.waitForStarted(10000));
    // The child kiln: listed in /proc as the studio's child once it runs.
    const QString children = QStringLiteral("/proc/%1/task/%1/children").arg(studio.processId());
    qint64 child = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QFile f(children);
            if (!f.open(QIODevice::ReadOnly)) return false;
            child = f.readAll().trimmed().split(' ').value(0).toLongLong();
            return child > 0;
        }(),
        20000);
    // Listed from the fork on: until it has exec'd kiln, its command line is still the studio's.
    const auto childCommandLine = [&] {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(child));
        return cmdline.open(QIODevice::ReadOnly) ? cmdline.readAll() : QByteArray();
    };
    QTRY_VERIFY2_WITH_TIMEOUT(childCommandLine().contains("--control-fd"),
                              "the child is not kiln dev", 10000);
    QTest::qWait(300);
    QCOMPARE(studio.state(), QProcess::Running); // nothing ended on its own
    ::kill(pid_t(studio.processId()), SIGKILL);
    QVERIFY(studio.waitForFinished(10000));
    // The orphan is re-parented, then exits: its /proc entry goes (or turns zombie).
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QFile stat(QStringLiteral("/proc/%1/stat").arg(child));
            if (!stat.open(QIODevice::ReadOnly)) return true;
            const QByteArray fields = stat.readAll();
            return fields.mid(fields.lastIndexOf(')') + 2, 1) == "Z";
        }(),
        15000);
}

// A `kiln` beside the studio that speaks another control protocol (here a stand-in script
// announcing version 99): the studio says so in words and stops it, instead of misreading it.
void TestStudio::anotherProtocolVersionIsExplained() {
    QTemporaryDir dir;
    const QString fake = dir.filePath(QStringLiteral("kiln"));
    QFile script(fake);
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write(R"(#!/usr/bin/env python3
import json, os, sys, time
fd = int(sys.argv[sys.argv.index("--control-fd") + 1])
body = json.dumps({"seq": 1, "type": "event", "event": "hello",
                   "body": {"protocol": 99, "kiln": "9.0", "pid": os.getpid()}}).encode()
os.write(fd, b"Content-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(30)
)");
    script.close();
    script.setPermissions(script.permissions() | QFileDevice::ExeOwner);
    KilnProcess kiln;
    kiln.setExecutable(fake);
    kiln.setProject(m_project.path());
    QSignalSpy problems(&kiln, &KilnProcess::problem);
    kiln.start();
    QVERIFY(problems.wait(10000));
    const QString text = problems.first().at(0).toString();
    QVERIFY2(text.contains(QLatin1String("speaks control protocol 99")) &&
                 text.contains(QLatin1String("this studio speaks 1")),
             qPrintable(text));
    QTRY_COMPARE(kiln.state(), KilnProcess::State::Stopped);
}

// A folder with Python but no config: a page says so; its button writes a wrangler.jsonc whose
// main is that file, and the project then runs.
void TestStudio::folderWithoutConfigIsOfferedOne() {
    QTemporaryDir folder;
    QFile app(folder.filePath(QStringLiteral("app.py")));
    QVERIFY(app.open(QIODevice::WriteOnly));
    app.write(
        "from workers import Response, WorkerEntrypoint\n\n\nclass Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n        return Response(\"made a project\")\n");
    app.close();
    MainWindow window;
    window.runtime()->setExecutable(qEnvironmentVariable("KILN_BIN"));
    QVERIFY(!window.openProject(folder.path()));
    window.show();
    QVERIFY(window.showsNoConfigPage());
    auto* text = window.findChild<QLabel*>(QStringLiteral("noConfigText"));
    QVERIFY(text && text->isVisible());
    QVERIFY(text->text().contains(QLatin1String("Not a Worker project yet")));
    QCOMPARE(window.runtime()->state(), KilnProcess::State::Stopped);
    auto* create = window.findChild<QPushButton*>(QStringLiteral("createConfig"));
    QVERIFY(create);
    QTest::mouseClick(create, Qt::LeftButton);
    QVERIFY(!window.showsNoConfigPage());
    QVERIFY(QFile::exists(folder.filePath(QStringLiteral("wrangler.jsonc"))));
    QVERIFY(QFile::exists(folder.filePath(QStringLiteral("pyproject.toml"))));
    QTRY_VERIFY_WITH_TIMEOUT(window.runtime()->state() == KilnProcess::State::Running, 60000);
    HttpCallRequest request;
    request.url = QUrl(window.runtime()->url() + QStringLiteral("/"));
    window.composer()->setRequest(request);
    QSignalSpy responded(window.composer(), &ComposerPane::responded);
    window.composer()->send();
    QVERIFY(responded.wait(30000));
    QCOMPARE(responded.takeFirst().at(0).value<HttpCallResponse>().body,
             QByteArray("made a project"));
    window.runtime()->stop();
}

// What a person sets stays set: the recent projects, start-on-open, the editors' zoom.
void TestStudio::settingsPersist() {
    QVERIFY(m_window->recentProjects().contains(QFileInfo(m_project.path()).absoluteFilePath()));
    m_window->editors()->dropBackups(); // the second window must not be offered them
    m_window->setEditorZoom(3);
    QCOMPARE(entry()->SendScintilla(QsciScintillaBase::SCI_GETZOOM), 3L);
    m_window->setStartsOnOpen(false);
    {
        MainWindow second;
        QCOMPARE(second.editorZoom(), 3);
        QVERIFY(!second.startsOnOpen());
        second.openProject(m_project.path()); // not started: the setting says so
        QCOMPARE(second.runtime()->state(), KilnProcess::State::Stopped);
        QCOMPARE(second.editors()->current()->SendScintilla(QsciScintillaBase::SCI_GETZOOM), 3L);
        second.editors()->dropBackups();
    }
    m_window->setStartsOnOpen(true);
    m_window->setEditorZoom(0);
}

void TestStudio::findAndReplace() {
    CodeEditor* editor =
        m_window->editors()->openFile(m_project.filePath(QStringLiteral("notes.txt")));
    QVERIFY(!editor); // no such file: nothing opens
    QFile notes(m_project.filePath(QStringLiteral("notes.py")));
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("alpha = 1\nbeta = 22\nAlpha = 333\n");
    notes.close();
    editor = m_window->editors()->openFile(notes.fileName());
    QVERIFY(editor);
    FindBar* bar = m_window->findBar();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(editor, Qt::Key_F, Qt::ControlModifier); // as a person types it
    QVERIFY(bar->isVisible());
    bar->setPattern(QStringLiteral("[0-9]+"), true, false);
    QVERIFY(bar->findNext());
    QCOMPARE(editor->selectedText(), QStringLiteral("1"));
    bar->setReplacement(QStringLiteral("N"));
    QCOMPARE(bar->replaceAll(), 3);
    QCOMPARE(editor->text(), QStringLiteral("alpha = N\nbeta = N\nAlpha = N\n"));
    bar->setPattern(QStringLiteral("alpha"), false, true); // case-sensitive: one of the two
    bar->setReplacement(QStringLiteral("gamma"));
    QCOMPARE(bar->replaceAll(), 1);
    QVERIFY(editor->text().startsWith(QLatin1String("gamma = N\n")));
    bar->setPattern(QStringLiteral("(unclosed"), true, false);
    QVERIFY(!bar->findNext());
    QCOMPARE(bar->message(), QStringLiteral("Not a valid regular expression"));
    editor->undo(); // Replace All is one undo step
    QVERIFY(editor->text().startsWith(QLatin1String("alpha = N\n")));
    editor->goToLine(3);
    int line = 0, index = 0;
    editor->getCursorPosition(&line, &index);
    QCOMPARE(line, 2);
    editor->setModified(false);
    m_window->editors()->setCurrentWidget(entry());
}

// Changed by another program while open and unmodified here: the editor shows the new text.
void TestStudio::filesChangedOnDiskAreReloaded() {
    const QString path = m_project.filePath(QStringLiteral("changed.py"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("before = 1\n");
    file.close();
    CodeEditor* editor = m_window->editors()->openFile(path);
    QVERIFY(editor);
    QTest::qWait(50);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("after = 2\n");
    file.close();
    QTRY_COMPARE_WITH_TIMEOUT(editor->text(), QStringLiteral("after = 2\n"), 10000);
    QVERIFY(!editor->isModified());
}

// A file that is not UTF-8 is shown read-only, so saving can never rewrite its bytes.
void TestStudio::otherEncodingsOpenReadOnly() {
    const QString path = m_project.filePath(QStringLiteral("latin1.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray latin1("caf\xe9 cr\xe8me\n");
    file.write(latin1);
    file.close();
    CodeEditor* editor = m_window->editors()->openFile(path);
    QVERIFY(editor);
    QVERIFY(editor->isReadOnly());
    QVERIFY(m_window->editors()->saveCurrent()); // nothing to write
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), latin1);
    m_window->editors()->setCurrentWidget(entry());
}

void TestStudio::commandPaletteRunsAnyAction() {
    CommandPalette* palette = m_window->commandPalette();
    palette->open();
    QVERIFY(palette->shownCommands().size() > 10);
    palette->setFilter(QStringLiteral("zoom"));
    QCOMPARE(palette->shownCommands().size(), 3); // in, out, reset
    QVERIFY(palette->currentCommand().startsWith(QStringLiteral("View › Zoom In")));
    QTest::keyClick(palette->findChild<QLineEdit*>(), Qt::Key_Down); // arrows reach the list
    QVERIFY2(palette->currentCommand().startsWith(QStringLiteral("View › Zoom Out")),
             qPrintable(palette->currentCommand()));
    palette->setFilter(QStringLiteral("zoom in"));
    QCOMPARE(palette->shownCommands().size(), 1);
    QVERIFY(palette->shownCommands().first().startsWith(QStringLiteral("View › Zoom In")));
    const int before = m_window->editorZoom();
    QVERIFY(palette->runCurrent());
    QCOMPARE(m_window->editorZoom(), before + 1);
    QVERIFY(!palette->isVisible());
    m_window->setEditorZoom(before);
    palette->open();
    palette->setFilter(QStringLiteral("no such command"));
    QVERIFY(palette->shownCommands().isEmpty());
    QVERIFY(!palette->runCurrent());
    palette->reject();
}

void TestStudio::projectFilesAreManagedFromTheTree() {
    ProjectTree* tree = m_window->projectTree();
    const QString src = m_project.filePath(QStringLiteral("src"));
    auto created = tree->createFile(src, QStringLiteral("util.py"));
    QVERIFY2(created, created ? "" : qPrintable(created.error()));
    QVERIFY(!tree->createFile(src, QStringLiteral("util.py")));      // exists
    QVERIFY(!tree->createFile(src, QStringLiteral("../escape.py"))); // not a name
    CodeEditor* editor = m_window->editors()->openFile(*created);
    QVERIFY(editor);
    editor->setText(QStringLiteral("HELPER = 1\n"));
    // Renamed with unsaved text: the tab follows the file, and saving writes the new name.
    auto renamed = tree->rename(*created, QStringLiteral("helpers.py"));
    QVERIFY2(renamed, renamed ? "" : qPrintable(renamed.error()));
    QCOMPARE(editor->path(), *renamed);
    m_window->editors()->setCurrentWidget(editor);
    QVERIFY(m_window->editors()->saveCurrent());
    QVERIFY(!QFile::exists(*created));
    QFile saved(*renamed);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(saved.readAll(), QByteArray("HELPER = 1\n"));
    saved.close();
    // Deleted: the file goes and so does its tab.
    QVERIFY(tree->remove(*renamed));
    QVERIFY(!QFile::exists(*renamed));
    QVERIFY(!m_window->editors()->editorFor(*renamed));
    QVERIFY(!tree->remove(m_project.path())); // never the project itself
    auto folder = tree->createFolder(m_project.path(), QStringLiteral("static"));
    QVERIFY(folder && QFileInfo(*folder).isDir());
    m_window->editors()->setCurrentWidget(entry());
}

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
