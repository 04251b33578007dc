#include "mainwindow.h"

#include "commandpalette.h"
#include "composerpane.h"
#include "d1browser.h"
#include "datapane.h"
#include "editor/codeeditor.h"
#include "editorarea.h"
#include "findbar.h"
#include "httpdocument.h"
#include "kilnprocess.h"
#include "kvbrowser.h"
#include "logmodel.h"
#include "logpane.h"
#include "noconfigpage.h"
#include "profilerpane.h"
#include "project/projectconfig.h"
#include "projecttemplates.h"
#include "projecttree.h"
#include "protocol/commands.h"
#include "r2browser.h"
#include "stores/kvreader.h"
#include "stores/r2reader.h"
#include "workflowbrowser.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

namespace kiln {

namespace {

QDockWidget* dock(QMainWindow* window, const QString& title, const QString& name, QWidget* w,
                  Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, window);
    d->setObjectName(name);
    d->setWidget(w);
    window->addDockWidget(area, d);
    return d;
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_kiln(new KilnProcess(this))
    , m_log(new LogModel(this))
    , m_editors(new EditorArea(this))
    , m_logPane(new LogPane(m_log, this))
    , m_composer(new ComposerPane(this))
    , m_tree(new ProjectTree(this))
    , m_data(new DataPane(this))
    , m_center(new QStackedWidget(this))
    , m_noConfig(new NoConfigPage(this))
    , m_find(new FindBar(this))
    , m_palette(new CommandPalette(this))
    , m_state(new QLabel(this)) {
    setWindowTitle(tr("Kiln Studio"));
    auto* editing = new QWidget(this); // the tabs, with the find bar under them
    auto* editingLayout = new QVBoxLayout(editing);
    editingLayout->setContentsMargins(0, 0, 0, 0);
    editingLayout->setSpacing(0);
    editingLayout->addWidget(m_editors, 1);
    editingLayout->addWidget(m_find);
    connect(m_editors, &QTabWidget::currentChanged, this,
            [this] { m_find->setEditor(m_editors->current()); });
    m_center->addWidget(editing);
    m_center->addWidget(m_noConfig);
    setCentralWidget(m_center);
    connect(m_noConfig, &NoConfigPage::createRequested, this, [this](const QString& dir) {
        auto created = ProjectTemplates().createConfig(dir);
        if (!created)
            return void(QMessageBox::warning(this, tr("Create a config"), created.error()));
        openProject(dir);
    });
    dock(this, tr("Project"), QStringLiteral("projectDock"), m_tree, Qt::LeftDockWidgetArea);
    dock(this, tr("Data"), QStringLiteral("dataDock"), m_data, Qt::LeftDockWidgetArea);
    connect(m_data, &DataPane::openRequested, this,
            [this](const StoreLocation& store) { openStore(store); });
    dock(this, tr("Requests"), QStringLiteral("composerDock"), m_composer, Qt::RightDockWidgetArea);
    dock(this, tr("Log"), QStringLiteral("logDock"), m_logPane, Qt::BottomDockWidgetArea);
    statusBar()->addPermanentWidget(m_state);
    m_state->setObjectName(QStringLiteral("runtimeState"));
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    createActions();
    connectRuntime();
    connect(m_editors, &EditorArea::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    // The save that follows reloads the worker: kiln restores a spare instance meanwhile.
    connect(m_editors, &EditorArea::editing, this,
            [this] { m_kiln->send(QString::fromLatin1(protocol::PrepareReloadCommand::kName)); });
    connect(m_composer, &ComposerPane::saveToProjectRequested, this, [this] {
        const QString path = QDir(m_projectDir).filePath(QStringLiteral("requests.http"));
        if (auto r = m_composer->saveToHttpFile(path, {}); !r)
            return statusBar()->showMessage(r.error(), 10000);
        m_editors->openFile(path, 1 << 30); // the end, where the request was added
    });
    connect(m_logPane, &LogPane::openLocation, this,
            [this](const QString& file, int line) { m_editors->openFile(file, line); });
    connect(m_tree, &ProjectTree::openFile, this,
            [this](const QString& path) { m_editors->openFile(path); });
    connect(m_tree, &ProjectTree::renamed, m_editors, &EditorArea::fileRenamed);
    connect(m_tree, &ProjectTree::removed, m_editors, &EditorArea::fileRemoved);
    connect(m_tree, &ProjectTree::failed, this,
            [this](const QString& why) { statusBar()->showMessage(why, 10000); });
    m_editors->setZoom(editorZoom());
    resize(1280, 760);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* edit = menuBar()->addMenu(tr("&Edit"));
    auto* view = menuBar()->addMenu(tr("&View"));
    auto* run = menuBar()->addMenu(tr("&Run"));
    auto* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    auto add = [&](QMenu* menu, const QString& text, const QKeySequence& keys, auto fn,
                   bool onToolbar = false) {
        QAction* action = menu->addAction(text, this, fn);
        action->setShortcut(keys);
        if (onToolbar) toolbar->addAction(action);
        return action;
    };
    add(file, tr("&Open Project…"), QKeySequence::Open, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a project folder"));
        if (!dir.isEmpty()) openProject(dir);
    });
    add(
        file, tr("&Save"), QKeySequence::Save, [this] { m_editors->saveCurrent(); }, true);
    add(file, tr("&Import Wrangler State…"), {}, [this] { m_data->askToImportWranglerState(); });
    add(file, tr("Save &All"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
        [this] { m_editors->saveAll(); });
    add(file, tr("Toggle &Comment"), QKeySequence(Qt::CTRL | Qt::Key_Slash), [this] {
        if (auto* e = m_editors->current()) e->toggleComment();
    });
    add(edit, tr("&Find…"), QKeySequence::Find, [this] { m_find->open(false); });
    add(edit, tr("&Replace…"), QKeySequence(Qt::CTRL | Qt::Key_H), [this] { m_find->open(true); });
    add(edit, tr("&Go to Line…"), QKeySequence(Qt::CTRL | Qt::Key_G), [this] {
        CodeEditor* editor = m_editors->current();
        if (!editor) return;
        bool ok = false;
        const int line = QInputDialog::getInt(this, tr("Go to line"), tr("Line:"), 1, 1,
                                              std::max(1, editor->lines()), 1, &ok);
        if (ok) editor->goToLine(line);
    });
    add(view, tr("&Command Palette…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P),
        [this] { m_palette->open(); });
    add(view, tr("Zoom &In"), QKeySequence::ZoomIn, [this] { setEditorZoom(editorZoom() + 1); });
    add(view, tr("Zoom &Out"), QKeySequence::ZoomOut, [this] { setEditorZoom(editorZoom() - 1); });
    add(view, tr("&Reset Zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), [this] { setEditorZoom(0); });
    file->addSeparator();
    add(file, tr("&Quit"), QKeySequence::Quit, [this] { close(); });
    add(
        run, tr("&Start"), QKeySequence(Qt::Key_F5), [this] { m_kiln->start(); }, true);
    add(
        run, tr("S&top"), QKeySequence(Qt::SHIFT | Qt::Key_F5), [this] { m_kiln->stop(); }, true);
    add(
        run, tr("&Restart"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F5),
        [this] { m_kiln->restart(); }, true);
    add(
        run, tr("Trigger S&cheduled…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T),
        [this] {
            bool ok = false;
            const QString cron = QInputDialog::getItem(
                this, tr("Trigger scheduled"), tr("Run the scheduled handler with the cron:"),
                m_crons.isEmpty() ? QStringList{QStringLiteral("* * * * *")} : m_crons, 0, true,
                &ok);
            if (ok) triggerScheduled(cron);
        },
        true);
    add(run, tr("Send &Request"), QKeySequence(Qt::CTRL | Qt::Key_Return),
        [this] { sendRequest(); });
    add(run, tr("&Profile Cold Start"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_P),
        [this] { openProfiler(); });
}

ProfilerPane* MainWindow::openProfiler() {
    if (m_projectDir.isEmpty()) return nullptr;
    for (int i = 0; i < m_editors->count(); ++i)
        if (auto* pane = qobject_cast<ProfilerPane*>(m_editors->widget(i))) {
            m_editors->setCurrentIndex(i);
            return pane;
        }
    QStringList roots;
    if (auto project = loadProject(m_projectDir)) {
        roots << project->importRoot;
        if (!project->pythonModulesDir.isEmpty()) roots << project->pythonModulesDir;
    }
    auto* pane = new ProfilerPane(m_kiln->executable(), m_projectDir, roots, m_editors);
    connect(pane, &ProfilerPane::openFile, this,
            [this](const QString& file, int line) { m_editors->openFile(file, line); });
    m_editors->setCurrentIndex(m_editors->addTab(pane, tr("Cold start")));
    return pane;
}

void MainWindow::connectRuntime() {
    // A write by the worker shows in its open browser at once, not at the next poll.
    connect(m_kiln, &KilnProcess::storeChanged, this, [this](const protocol::StoreChangedEvent& e) {
        m_data->updateExistence();
        for (int i = 0; i < m_editors->count(); ++i)
            if (m_editors->widget(i)->property("binding").toString() == e.binding) {
                if (auto* kv = qobject_cast<KvBrowser*>(m_editors->widget(i))) kv->refresh();
                if (auto* flow = qobject_cast<WorkflowBrowser*>(m_editors->widget(i)))
                    flow->refresh();
            }
    });
    connect(m_kiln, &KilnProcess::stateChanged, this, [this](KilnProcess::State state) {
        switch (state) {
        case KilnProcess::State::Stopped:
            return setStatus(tr("Stopped"));
        case KilnProcess::State::Starting:
            return setStatus(tr("Starting…"));
        case KilnProcess::State::Running:
            return setStatus(tr("Running on %1").arg(m_url));
        case KilnProcess::State::Crashed:
            return setStatus(tr("kiln stopped unexpectedly"));
        }
    });
    connect(m_kiln, &KilnProcess::ready, this, [this](const protocol::ReadyEvent& ready) {
        m_url = ready.url;
        m_composer->setBaseUrl(ready.url);
        if (ready.bootError.isEmpty()) {
            m_editors->clearErrors();
            setStatus(
                tr("Running on %1 · started in %2 ms").arg(ready.url).arg(ready.bootMs, 0, 'f', 0));
        } else {
            setStatus(tr("Running on %1 · the worker failed to start").arg(ready.url));
        }
    });
    connect(m_kiln, &KilnProcess::logged, this, [this](const protocol::LogEvent& event) {
        m_log->append(event.level, event.source, event.text, m_projectDir);
    });
    connect(m_kiln, &KilnProcess::exceptionRaised, this, [this](const protocol::ExceptionEvent& e) {
        for (auto it = e.frames.rbegin(); it != e.frames.rend(); ++it) {
            if (!it->inProject) continue;
            const QString what =
                e.type.isEmpty() ? e.message : e.type + QStringLiteral(": ") + e.message;
            return m_editors->markError(it->file, it->line, what);
        }
    });
    connect(m_kiln, &KilnProcess::reloadFinished, this,
            [this](const protocol::ReloadFinishedEvent& e) {
                if (e.ok) {
                    m_editors->clearErrors();
                    setStatus(tr("Running on %1 · reloaded in %2 ms")
                                  .arg(m_url)
                                  .arg(e.durationMs, 0, 'f', 0));
                } else if (e.error) {
                    m_editors->markError(e.error->file, e.error->line, e.error->message);
                    setStatus(tr("Running on %1 · the config has an error; the last good version "
                                 "keeps serving")
                                  .arg(m_url));
                }
            });
    connect(m_kiln, &KilnProcess::died, this,
            [this](const QString& why, const QStringList& lastLines, int restartInMs) {
                QString text = tr("%1; restarting it in %2 s. Its last output:")
                                   .arg(why)
                                   .arg(restartInMs / 1000.0, 0, 'f', 1);
                for (const QString& line :
                     lastLines.mid(std::max<qsizetype>(0, lastLines.size() - 10)))
                    text += QStringLiteral("\n  ") + line;
                m_log->append(LogLevel::Error, LogSource::Kiln, text);
                setStatus(why);
            });
    connect(m_kiln, &KilnProcess::problem, this, [this](const QString& text) {
        m_log->append(LogLevel::Error, LogSource::Kiln, text);
        statusBar()->showMessage(text, 15000);
    });
}

QStringList MainWindow::recentProjects() const {
    return QSettings().value(QStringLiteral("projects/recent")).toStringList();
}

bool MainWindow::startsOnOpen() const {
    return QSettings().value(QStringLiteral("run/startOnOpen"), true).toBool();
}

void MainWindow::setStartsOnOpen(bool on) {
    QSettings().setValue(QStringLiteral("run/startOnOpen"), on);
}

int MainWindow::editorZoom() const {
    return QSettings().value(QStringLiteral("editor/zoom"), 0).toInt();
}

void MainWindow::setEditorZoom(int zoom) {
    zoom = std::clamp(zoom, -8, 20);
    QSettings().setValue(QStringLiteral("editor/zoom"), zoom);
    m_editors->setZoom(zoom);
}

bool MainWindow::openProject(const QString& dirOrConfig, std::optional<bool> run) {
    auto project = loadProject(dirOrConfig);
    const QFileInfo info(dirOrConfig);
    const QString dir =
        project ? project->rootDir : (info.isDir() ? info.absoluteFilePath() : info.absolutePath());
    // Another project: the last one's files and browsers go (unsaved text asked about first).
    if (!m_projectDir.isEmpty() && dir != m_projectDir && !m_editors->closeAll()) return false;
    m_projectDir = dir;
    setWindowTitle(tr("%1 — Kiln Studio").arg(QFileInfo(m_projectDir).fileName()));
    QStringList recent = recentProjects();
    recent.removeAll(m_projectDir);
    recent.prepend(m_projectDir);
    QSettings().setValue(QStringLiteral("projects/recent"), recent.mid(0, 10));
    m_tree->setRoot(m_projectDir);
    m_crons = project ? project->crons : QStringList();
    m_data->setProject(project ? &*project : nullptr,
                       project ? StateLayout::forProject(*project, m_kiln->persistDir())
                               : StateLayout(StateLayout::defaultRoot(m_projectDir)));
    m_composer->setHistoryFile(QDir(m_projectDir).filePath(QStringLiteral(".kiln/history.http")));
    const bool noConfig =
        !project && !ProjectTemplates::hasConfig(m_projectDir) && QFileInfo(dirOrConfig).isDir();
    m_noConfig->setFolder(m_projectDir);
    m_center->setCurrentIndex(noConfig ? m_center->indexOf(m_noConfig) : 0);
    if (noConfig) {
        m_kiln->stop();
        m_kiln->setProject(m_projectDir);
        setStatus(tr("Not a Worker project yet"));
        return false;
    }
    if (project) {
        m_editors->openFile(project->mainFile);
    } else {
        m_log->append(LogLevel::Error, LogSource::Kiln, project.error().message);
        if (!project.error().file.isEmpty() && QFileInfo(project.error().file).isFile())
            m_editors->markError(project.error().file, project.error().line,
                                 project.error().message);
    }
    m_editors->restoreBackups(m_projectDir, [this](const BackupStore::Backup& backup) {
        return QMessageBox::question(
                   this, tr("Recover unsaved changes"),
                   tr("Kiln Studio stopped while %1 had unsaved changes (from %2). Restore them?")
                       .arg(QDir(m_projectDir).relativeFilePath(backup.path),
                            backup.time.toLocalTime().toString())) == QMessageBox::Yes;
    });
    m_kiln->stop();
    m_kiln->setProject(m_projectDir);
    if (run.value_or(startsOnOpen())) m_kiln->start();
    return bool(project);
}

bool MainWindow::triggerScheduled(const QString& cron) {
    const bool sent = m_kiln->send(QString::fromLatin1(protocol::TriggerScheduledCommand::kName),
                                   protocol::TriggerScheduledCommand{cron}.toArguments());
    statusBar()->showMessage(sent ? tr("Scheduled handler triggered with %1").arg(cron)
                                  : tr("The worker is not running"),
                             5000);
    return sent;
}

void MainWindow::newProject() {
    const ProjectTemplates templates;
    bool ok = false;
    const QString kind = QInputDialog::getItem(this, tr("New project"), tr("Template:"),
                                               templates.names(), 0, false, &ok);
    if (!ok) return;
    const QString name = QInputDialog::getText(this, tr("New project"), tr("Worker name:"),
                                               QLineEdit::Normal, kind, &ok);
    if (!ok) return;
    const QString parent = QFileDialog::getExistingDirectory(this, tr("Create it in"));
    if (parent.isEmpty()) return;
    auto created = templates.create(kind, QDir(parent).filePath(name), name);
    if (!created) return void(QMessageBox::warning(this, tr("New project"), created.error()));
    openProject(*created);
}

void MainWindow::sendRequest() {
    CodeEditor* editor = m_editors->current();
    if (!editor || !editor->path().endsWith(QLatin1String(".http"))) return m_composer->send();
    // In a .http file: the request the cursor is in, with the project's dev environment.
    const HttpFile file = HttpFile::parse(editor->text());
    int line = 0, index = 0;
    editor->getCursorPosition(&line, &index);
    const HttpFileRequest* chosen = file.requestAt(line + 1);
    if (!chosen) return;
    QHash<QString, QString> environment;
    QFile envFile(QDir(m_projectDir).filePath(QStringLiteral("http-client.env.json")));
    if (envFile.open(QIODevice::ReadOnly)) {
        if (auto envs = HttpEnvironments::parse(envFile.readAll()))
            environment = envs->variables(QStringLiteral("dev"));
        else
            statusBar()->showMessage(envs.error(), 10000);
    }
    if (!environment.contains(QStringLiteral("host")) && !m_url.isEmpty())
        environment.insert(QStringLiteral("host"), m_url);
    auto request =
        resolveRequest(file, *chosen, environment, QFileInfo(editor->path()).absolutePath());
    if (!request) return statusBar()->showMessage(request.error(), 10000);
    m_composer->setRequest(*request);
    m_composer->send();
}

bool MainWindow::showsNoConfigPage() const {
    return m_center->currentWidget() == m_noConfig;
}

QString MainWindow::statusText() const {
    return m_state->text();
}

void MainWindow::setStatus(const QString& text) {
    m_state->setText(text);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_editors->hasUnsaved()) {
        const auto answer = QMessageBox::question(
            this, tr("Unsaved changes"), tr("Save your changes before quitting?"),
            QMessageBox::SaveAll | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel ||
            (answer == QMessageBox::SaveAll && !m_editors->saveAll())) {
            event->ignore();
            return;
        }
    }
    m_editors->dropBackups();
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_kiln->stop();
    event->accept();
}

QWidget* MainWindow::openStore(const StoreLocation& store) {
    const QString key = QFileInfo(store.path).absoluteFilePath();
    for (int i = 0; i < m_editors->count(); ++i) {
        if (m_editors->widget(i)->property("storePath").toString() == key) {
            m_editors->setCurrentIndex(i);
            return m_editors->widget(i);
        }
    }
    const QString name = store.binding.isEmpty() ? store.id : store.binding;
    QWidget* browser = nullptr;
    QString prefix;
    if (store.wrangler) { // wrangler's state: read-only views of miniflare's files
        prefix = tr("wrangler");
        if (store.kind == StoreKind::Kv)
            browser = new KvBrowser(KvReader::miniflare(store.path, store.blobs), name, m_editors);
        else if (store.kind == StoreKind::D1)
            browser = new D1Browser(store.path, name, m_editors, true);
        else
            browser = new R2Browser(R2Reader::miniflare(store.path, store.blobs), name, m_editors);
    } else if (store.kind == StoreKind::Kv) {
        browser = new KvBrowser(store.path, name, m_editors);
        prefix = tr("KV");
    } else if (store.kind == StoreKind::D1) {
        auto* d1 = new D1Browser(store.path, name, m_editors);
        if (auto project = loadProject(m_projectDir))
            for (const D1DatabaseDecl& decl : project->d1Databases)
                if (decl.binding == store.binding)
                    d1->addMigrations(
                        {store.path, decl.migrationsDir,
                         decl.databaseName.isEmpty() ? decl.binding : decl.databaseName,
                         m_projectDir, m_kiln->persistDir(), m_kiln->executable()});
        browser = d1;
        prefix = tr("D1");
    } else if (store.kind == StoreKind::R2) {
        browser = new R2Browser(store.path, name, m_editors);
        prefix = tr("R2");
    } else if (store.kind == StoreKind::Workflow) {
        auto* flow = new WorkflowBrowser(store.path, store.id, m_editors);
        connect(flow, &WorkflowBrowser::openSource, this,
                [this](const QString& file, int line) { m_editors->openFile(file, line); });
        browser = flow;
        prefix = tr("Workflow");
    }
    if (!browser) {
        statusBar()->showMessage(tr("There is no browser for this kind of store yet"), 8000);
        return nullptr;
    }
    browser->setProperty("storePath", key);
    browser->setProperty("binding", store.binding);
    m_editors->setCurrentIndex(
        m_editors->addTab(browser, QStringLiteral("%1: %2").arg(prefix, name)));
    m_editors->setTabToolTip(m_editors->currentIndex(), store.path);
    return browser;
}

} // namespace kiln
