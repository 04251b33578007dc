#pragma once

#include "backupstore.h"

#include <QFileSystemWatcher>
#include <QSet>
#include <QTabWidget>
#include <QTimer>

#include <functional>

namespace kiln {

class CodeEditor;

// The editor tabs: one CodeEditor per open file. Saves atomically, marks runtime errors at
// their line, and follows files changed on disk (reloaded if unmodified here; otherwise the
// person chooses).
class EditorArea : public QTabWidget {
    Q_OBJECT
public:
    explicit EditorArea(QWidget* parent = nullptr);

    // Opens (or shows) `path`; with line > 0 the cursor goes there. Null if it cannot be read.
    CodeEditor* openFile(const QString& path, int line = 0);
    CodeEditor* editorFor(const QString& path) const;
    CodeEditor* current() const;
    bool saveCurrent();
    bool saveAll();
    bool hasUnsaved() const;
    // Closes a tab (an editor with unsaved changes asks first); false if the person cancels.
    bool closeTab(int index);
    // Every tab, as closeTab; false (and the rest left open) at the first cancel.
    bool closeAll();
    // A file or folder was renamed (the editors under it follow), or deleted (their tabs
    // close, their backups go).
    void fileRenamed(const QString& from, const QString& to);
    void fileRemoved(const QString& path);
    // The editors' zoom (QScintilla points above the default font), new ones included.
    void setZoom(int zoom);
    int zoom() const { return m_zoom; }
    // Puts an error marker at file:line (opening the file); clears every other marker.
    void markError(const QString& path, int line, const QString& message);
    void clearErrors();

    // Unsaved text is copied to `backups()` a few seconds after each change (and at once by
    // autosaveNow()); a backup goes when its file is saved or its changes discarded.
    BackupStore& backups() { return m_backups; }
    void setBackupStore(BackupStore store) { m_backups = std::move(store); }
    void autosaveNow();
    // After a crash: offers each backup of the project (newest first) to `accept`; an accepted
    // one is opened with its text as unsaved changes, a refused one is dropped. Returns how
    // many were restored.
    int restoreBackups(const QString& projectDir,
                       const std::function<bool(const BackupStore::Backup&)>& accept);
    // A clean exit: unsaved changes were saved or discarded by the person, so no backups stay.
    void dropBackups();

Q_SIGNALS:
    void saved(const QString& path);
    void editing();                    // an editor went from saved to holding unsaved changes
    void message(const QString& text); // for the status bar

private:
    bool save(CodeEditor* editor);
    void updateTitle(CodeEditor* editor);
    void onFileChanged(const QString& path);
    QFileSystemWatcher m_watcher;
    BackupStore m_backups;
    QTimer m_autosave;
    QSet<CodeEditor*> m_changed; // edited since their last backup
    int m_zoom = 0;
};

} // namespace kiln
