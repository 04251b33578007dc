#include "backupstore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>

namespace kiln {

BackupStore::BackupStore(QString dir)
    : m_dir(dir.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                                QStringLiteral("/backups")
                          : std::move(dir)) {}

QString BackupStore::fileFor(const QString& path) const {
    const QByteArray id =
        QCryptographicHash::hash(QDir::cleanPath(path).toUtf8(), QCryptographicHash::Sha1).toHex();
    return m_dir + QLatin1Char('/') + QString::fromLatin1(id) + QStringLiteral(".json");
}

bool BackupStore::write(const QString& path, const QString& text) const {
    if (!QDir().mkpath(m_dir)) return false;
    QSaveFile file(fileFor(path));
    const QJsonObject backup{
        {QStringLiteral("path"), QDir::cleanPath(path)},
        {QStringLiteral("text"), text},
        {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
    return file.open(QIODevice::WriteOnly) &&
           file.write(QJsonDocument(backup).toJson(QJsonDocument::Compact)) >= 0 && file.commit();
}

void BackupStore::remove(const QString& path) const {
    QFile::remove(fileFor(path));
}

QList<BackupStore::Backup> BackupStore::list(const QString& projectDir) const {
    QList<Backup> out;
    const QString prefix = QDir::cleanPath(projectDir) + QLatin1Char('/');
    const QStringList files = QDir(m_dir).entryList({QStringLiteral("*.json")}, QDir::Files);
    for (const QString& name : files) {
        QFile file(QDir(m_dir).filePath(name));
        if (!file.open(QIODevice::ReadOnly)) continue;
        const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
        Backup b{
            o.value(QStringLiteral("path")).toString(), o.value(QStringLiteral("text")).toString(),
            QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs)};
        if (b.path.isEmpty()) continue;
        if (!projectDir.isEmpty() && !b.path.startsWith(prefix)) continue;
        out.append(b);
    }
    std::sort(out.begin(), out.end(),
              [](const Backup& a, const Backup& b) { return a.time > b.time; });
    return out;
}

} // namespace kiln
