#include "project/projectwatcher.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace kiln {

namespace {

bool ignored(const QString& path) {
    return path.contains(QLatin1String("/__pycache__")) || path.contains(QLatin1String("/.kiln")) ||
           path.contains(QLatin1String("/.git/")) || path.endsWith(QLatin1String(".pyc")) ||
           path.endsWith(QLatin1Char('~')) || path.endsWith(QLatin1String(".swp"));
}

QDateTime stampOf(const QString& path) {
    const QFileInfo info(path);
    return info.exists() ? info.lastModified() : QDateTime();
}

} // namespace

ProjectWatcher::ProjectWatcher(const ProjectConfig& project, QObject* parent)
    : QObject(parent)
    , m_project(project) {
    // Long enough to take an editor's save (truncate and write, or write and rename: a few ms)
    // as one change; every save waits this long before its reload begins.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(50);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &ProjectWatcher::noteChange);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &ProjectWatcher::noteChange);
    connect(&m_debounce, &QTimer::timeout, this, [this] {
        // Keep only paths whose content really changed (or that appeared/vanished).
        QStringList changedPaths;
        const QStringList now = snapshotFiles();
        QSet<QString> seen;
        for (const QString& file : now) {
            seen.insert(file);
            const QDateTime stamp = stampOf(file);
            if (m_stamps.value(file) != stamp)
                changedPaths << QDir(m_project.rootDir).relativeFilePath(file);
        }
        for (auto it = m_stamps.cbegin(); it != m_stamps.cend(); ++it)
            if (!seen.contains(it.key()))
                changedPaths << QDir(m_project.rootDir).relativeFilePath(it.key());
        rewatch();
        if (!changedPaths.isEmpty()) {
            changedPaths.sort();
            Q_EMIT changed(changedPaths);
        }
    });
    rewatch();
}

void ProjectWatcher::setProject(const ProjectConfig& project) {
    m_project = project;
    rewatch();
}

QStringList ProjectWatcher::snapshotFiles() const {
    QStringList files;
    for (const QString& name : {QStringLiteral("wrangler.jsonc"), QStringLiteral("wrangler.json"),
                                QStringLiteral("wrangler.toml"), QStringLiteral(".dev.vars"),
                                QStringLiteral(".env"), QStringLiteral("pyproject.toml")}) {
        const QString path = m_project.rootDir + QLatin1Char('/') + name;
        if (QFileInfo::exists(path)) files << path;
    }
    for (const QString& root : {m_project.importRoot, m_project.pythonModulesDir}) {
        if (root.isEmpty()) continue;
        QDirIterator it(root, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (!ignored(path)) files << path;
        }
    }
    return files;
}

void ProjectWatcher::rewatch() {
    if (!m_watcher.files().isEmpty()) m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty()) m_watcher.removePaths(m_watcher.directories());
    m_stamps.clear();
    const QStringList files = snapshotFiles();
    QSet<QString> dirs{m_project.rootDir};
    for (const QString& file : files) {
        m_stamps.insert(file, stampOf(file));
        dirs.insert(QFileInfo(file).absolutePath());
    }
    for (const QString& root : {m_project.importRoot, m_project.pythonModulesDir})
        if (!root.isEmpty()) dirs.insert(root);
    if (!files.isEmpty()) m_watcher.addPaths(files);
    m_watcher.addPaths(QStringList(dirs.cbegin(), dirs.cend()));
}

void ProjectWatcher::noteChange(const QString& path) {
    if (ignored(path)) return;
    m_debounce.start();
}

} // namespace kiln
