#pragma once

#include <QTreeView>

#include <expected>

class QFileSystemModel;

namespace kiln {

// The project's files as a tree, with what a person needs to manage them without a terminal:
// new file or folder, rename, delete (to the trash where the desktop has one). The operations
// are public so the studio's tests drive them as the context menu does.
class ProjectTree : public QTreeView {
    Q_OBJECT
public:
    explicit ProjectTree(QWidget* parent = nullptr);
    void setRoot(const QString& dir);
    const QString& root() const { return m_root; }

    // Each returns the new path, or why not ("a.py already exists", ...).
    std::expected<QString, QString> createFile(const QString& inDir, const QString& name);
    std::expected<QString, QString> createFolder(const QString& inDir, const QString& name);
    std::expected<QString, QString> rename(const QString& path, const QString& newName);
    std::expected<void, QString> remove(const QString& path);

Q_SIGNALS:
    void openFile(const QString& path);
    void renamed(const QString& from, const QString& to);
    void removed(const QString& path);
    void failed(const QString& why);

private:
    void showMenu(const QPoint& at);
    QString dirFor(const QModelIndex& index) const;
    QFileSystemModel* m_files = nullptr;
    QString m_root;
};

} // namespace kiln
