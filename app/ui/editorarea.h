#pragma once

#include <QFileSystemWatcher>
#include <QTabWidget>

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
    // Puts an error marker at file:line (opening the file); clears every other marker.
    void markError(const QString& path, int line, const QString& message);
    void clearErrors();

Q_SIGNALS:
    void saved(const QString& path);
    void message(const QString& text); // for the status bar

private:
    bool save(CodeEditor* editor);
    void updateTitle(CodeEditor* editor);
    void onFileChanged(const QString& path);
    QFileSystemWatcher m_watcher;
};

} // namespace kiln
