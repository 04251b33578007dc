#pragma once

#include "project/projectconfig.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QTimer>

namespace kiln {

// Watches what a worker is built from: the wrangler config, .dev.vars/.env, pyproject, and
// every file under the import root and python_modules/. Emits changed() once per burst of
// edits (editors save through temp files and renames, which also drop plain file watches,
// so the watch list is rebuilt after every burst).
class ProjectWatcher : public QObject {
    Q_OBJECT
public:
    explicit ProjectWatcher(const ProjectConfig& project, QObject* parent = nullptr);

    void setProject(const ProjectConfig& project);
    QStringList watchedFiles() const { return m_watcher.files(); }

Q_SIGNALS:
    // Paths (files or folders) that changed, relative to the project root where possible.
    void changed(const QStringList& paths);

private:
    void rewatch();
    void noteChange(const QString& path);
    QStringList snapshotFiles() const;

    ProjectConfig m_project;
    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
    QHash<QString, QDateTime> m_stamps; // to tell real edits from spurious notifications
};

} // namespace kiln
