#include "projecttree.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemModel>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>

namespace kiln {

namespace {

// A single name inside its folder: no separators, nothing that climbs out.
std::optional<QString> badName(const QString& name) {
    if (name.trimmed().isEmpty()) return QObject::tr("the name is empty");
    if (name.contains(QLatin1Char('/')) || name == QLatin1String(".") ||
        name == QLatin1String(".."))
        return QObject::tr("%1 is not a file name").arg(name);
    return std::nullopt;
}

} // namespace

ProjectTree::ProjectTree(QWidget* parent)
    : QTreeView(parent) {
    setHeaderHidden(true);
    setContextMenuPolicy(Qt::CustomContextMenu);
    connect(this, &QTreeView::customContextMenuRequested, this, &ProjectTree::showMenu);
    connect(this, &QTreeView::activated, this, [this](const QModelIndex& index) {
        const QString path = index.data(QFileSystemModel::FilePathRole).toString();
        if (QFileInfo(path).isFile()) Q_EMIT openFile(path);
    });
}

void ProjectTree::setRoot(const QString& dir) {
    m_root = dir;
    auto* files = new QFileSystemModel(this);
    files->setRootPath(dir);
    setModel(files);
    delete m_files;
    m_files = files;
    setRootIndex(files->index(dir));
    for (int column = 1; column < files->columnCount(); ++column)
        hideColumn(column);
}

QString ProjectTree::dirFor(const QModelIndex& index) const {
    if (!index.isValid()) return m_root;
    const QFileInfo info(index.data(QFileSystemModel::FilePathRole).toString());
    return info.isDir() ? info.absoluteFilePath() : info.absolutePath();
}

std::expected<QString, QString> ProjectTree::createFile(const QString& inDir, const QString& name) {
    if (auto bad = badName(name)) return std::unexpected(*bad);
    const QString path = QDir(inDir).filePath(name);
    if (QFileInfo::exists(path)) return std::unexpected(tr("%1 already exists").arg(path));
    QFile file(path);
    if (!file.open(QIODevice::NewOnly | QIODevice::WriteOnly))
        return std::unexpected(QStringLiteral("%1: %2").arg(path, file.errorString()));
    return path;
}

std::expected<QString, QString> ProjectTree::createFolder(const QString& inDir,
                                                          const QString& name) {
    if (auto bad = badName(name)) return std::unexpected(*bad);
    const QString path = QDir(inDir).filePath(name);
    if (QFileInfo::exists(path)) return std::unexpected(tr("%1 already exists").arg(path));
    if (!QDir().mkdir(path)) return std::unexpected(tr("%1: cannot create the folder").arg(path));
    return path;
}

std::expected<QString, QString> ProjectTree::rename(const QString& path, const QString& newName) {
    if (auto bad = badName(newName)) return std::unexpected(*bad);
    const QString to = QDir(QFileInfo(path).absolutePath()).filePath(newName);
    if (QFileInfo::exists(to)) return std::unexpected(tr("%1 already exists").arg(to));
    if (!QFile::rename(path, to)) return std::unexpected(tr("%1: cannot rename it").arg(path));
    Q_EMIT renamed(path, to);
    return to;
}

std::expected<void, QString> ProjectTree::remove(const QString& path) {
    if (QDir::cleanPath(path) == QDir::cleanPath(m_root))
        return std::unexpected(tr("the project folder itself is not deleted here"));
    // The trash where the desktop has one, so a slip can be undone; otherwise for good.
    bool ok = QFile::moveToTrash(path);
    if (!ok) ok = QFileInfo(path).isDir() ? QDir(path).removeRecursively() : QFile::remove(path);
    if (!ok) return std::unexpected(tr("%1: cannot delete it").arg(path));
    Q_EMIT removed(path);
    return {};
}

void ProjectTree::showMenu(const QPoint& at) {
    const QModelIndex index = indexAt(at);
    const QString path =
        index.isValid() ? index.data(QFileSystemModel::FilePathRole).toString() : m_root;
    const QString dir = dirFor(index);
    QMenu menu(this);
    auto ask = [this](const QString& title, const QString& start = {}) {
        bool ok = false;
        const QString name =
            QInputDialog::getText(this, title, tr("Name:"), QLineEdit::Normal, start, &ok);
        return ok ? name : QString();
    };
    menu.addAction(tr("New File…"), this, [=, this] {
        const QString name = ask(tr("New file"));
        if (name.isEmpty()) return;
        auto r = createFile(dir, name);
        r ? Q_EMIT openFile(*r) : Q_EMIT failed(r.error());
    });
    menu.addAction(tr("New Folder…"), this, [=, this] {
        const QString name = ask(tr("New folder"));
        if (name.isEmpty()) return;
        if (auto r = createFolder(dir, name); !r) Q_EMIT failed(r.error());
    });
    if (index.isValid()) {
        menu.addSeparator();
        menu.addAction(tr("Rename…"), this, [=, this] {
            const QString name = ask(tr("Rename"), QFileInfo(path).fileName());
            if (name.isEmpty()) return;
            if (auto r = rename(path, name); !r) Q_EMIT failed(r.error());
        });
        menu.addAction(tr("Delete"), this, [=, this] {
            if (QMessageBox::question(this, tr("Delete"), tr("Delete %1?").arg(path)) !=
                QMessageBox::Yes)
                return;
            if (auto r = remove(path); !r) Q_EMIT failed(r.error());
        });
    }
    menu.exec(viewport()->mapToGlobal(at));
}

} // namespace kiln
