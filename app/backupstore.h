#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

namespace kiln {

// Copies of unsaved editor text under the user's data folder, so a crash of the studio loses
// nothing: written while a buffer has unsaved changes, removed when it is saved, discarded or
// closed cleanly, and offered back when its file is opened again.
class BackupStore {
public:
    struct Backup {
        QString path; // the file the text belongs to
        QString text;
        QDateTime time;
    };

    // `dir` defaults to <AppDataLocation>/backups.
    explicit BackupStore(QString dir = {});
    const QString& dir() const { return m_dir; }

    bool write(const QString& path, const QString& text) const;
    void remove(const QString& path) const;
    // Backups of files under `projectDir` (all backups when empty), newest first.
    QList<Backup> list(const QString& projectDir = {}) const;

private:
    QString fileFor(const QString& path) const;
    QString m_dir;
};

} // namespace kiln
