#pragma once

#include <QMainWindow>

#include <optional>

class QLabel;
class QStackedWidget;

namespace kiln {

class ComposerPane;
class EditorArea;
class KilnProcess;
class LogModel;
class LogPane;
class NoConfigPage;
class FindBar;
class ProjectTree;
class CommandPalette;
class DataPane;
class ProfilerPane;
struct StoreLocation;

// The studio's window: arranges the panes (project tree, data stores, editor and browser tabs,
// log console, request composer) and the global actions, and routes the runtime's events to them.
// The panes know nothing of each other.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a project folder (or config file): the tree, its main file, and the runtime.
    // `run` defaults to the "start on open" setting.
    bool openProject(const QString& dirOrConfig, std::optional<bool> run = {});
    QString projectDir() const { return m_projectDir; }

    KilnProcess* runtime() const { return m_kiln; }
    EditorArea* editors() const { return m_editors; }
    LogModel* log() const { return m_log; }
    LogPane* logPane() const { return m_logPane; }
    ComposerPane* composer() const { return m_composer; }
    FindBar* findBar() const { return m_find; }
    ProjectTree* projectTree() const { return m_tree; }
    DataPane* dataPane() const { return m_data; }
    // Opens (or shows) the store's browser in a tab; null for a kind without one yet.
    QWidget* openStore(const StoreLocation& store);
    CommandPalette* commandPalette() const { return m_palette; }
    QString statusText() const;
    // Settings that persist (QSettings): recently opened projects (newest first), whether
    // opening a project starts its worker, the editors' zoom.
    QStringList recentProjects() const;
    bool startsOnOpen() const;
    void setStartsOnOpen(bool on);
    int editorZoom() const;
    void setEditorZoom(int zoom);
    // True while the folder has no config and the "not a project yet" page shows.
    bool showsNoConfigPage() const;
    // Ctrl+Enter: in a `.http` file, the request under the cursor (variables from the file and
    // http-client.env.json's "dev", `{{host}}` defaulting to the running worker); otherwise
    // the composer's request.
    void sendRequest();
    // File > New Project: a template, a name, a folder; then opens it.
    void newProject();
    // Run > Profile Cold Start: the profiler tab for this project (opened, or shown).
    ProfilerPane* openProfiler();
    // Runs the worker's scheduled handler now with `cron` (one of the config's, or any).
    bool triggerScheduled(const QString& cron);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void connectRuntime();
    void setStatus(const QString& text);
    KilnProcess* m_kiln;
    LogModel* m_log;
    EditorArea* m_editors;
    LogPane* m_logPane;
    ComposerPane* m_composer;
    ProjectTree* m_tree;
    DataPane* m_data;
    QStackedWidget* m_center;
    NoConfigPage* m_noConfig;
    FindBar* m_find;
    CommandPalette* m_palette;
    QLabel* m_state;
    QString m_projectDir;
    QStringList m_crons; // the config's triggers.crons
    QString m_url;
};

} // namespace kiln
