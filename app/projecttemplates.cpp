#include "projecttemplates.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>

namespace kiln {

ProjectTemplates::ProjectTemplates(QString dir)
    : m_dir(dir.isEmpty() ? QDir::cleanPath(QCoreApplication::applicationDirPath() +
                                            QStringLiteral("/../share/kiln/templates"))
                          : std::move(dir)) {}

QStringList ProjectTemplates::names() const {
    QStringList out = QDir(m_dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    out.sort();
    return out;
}

std::expected<QString, QString> ProjectTemplates::create(const QString& name, const QString& target,
                                                         const QString& projectName) const {
    static const QRegularExpression validName(QStringLiteral("^[a-z0-9][a-z0-9-]{0,62}$"));
    if (!validName.match(projectName).hasMatch())
        return std::unexpected(
            QObject::tr("%1: a Worker's name is lower-case letters, digits and dashes")
                .arg(projectName));
    const QString from = QDir(m_dir).filePath(name);
    if (!QDir(from).exists()) return std::unexpected(QObject::tr("%1: no such template").arg(from));
    if (QDir(target).exists() && !QDir(target).isEmpty())
        return std::unexpected(QObject::tr("%1: the folder is not empty").arg(target));
    QDirIterator it(from, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString rel = QDir(from).relativeFilePath(path);
        const QString dest = QDir(target).filePath(rel);
        if (!QDir().mkpath(QFileInfo(dest).absolutePath()))
            return std::unexpected(QObject::tr("%1: cannot create the folder").arg(dest));
        QFile in(path);
        if (!in.open(QIODevice::ReadOnly))
            return std::unexpected(QStringLiteral("%1: %2").arg(path, in.errorString()));
        QByteArray bytes = in.readAll();
        if (rel == QLatin1String("wrangler.jsonc"))
            bytes.replace("\"name\": \"" + name.toUtf8() + "\"",
                          "\"name\": \"" + projectName.toUtf8() + "\"");
        else if (rel == QLatin1String("pyproject.toml"))
            bytes.replace("name = \"" + name.toUtf8() + "\"",
                          "name = \"" + projectName.toUtf8() + "\"");
        QFile out(dest);
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
            return std::unexpected(QStringLiteral("%1: %2").arg(dest, out.errorString()));
    }
    return QDir(target).absolutePath();
}

} // namespace kiln
