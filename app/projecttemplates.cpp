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

bool ProjectTemplates::hasConfig(const QString& dir) {
    for (const char* name : {"wrangler.jsonc", "wrangler.json", "wrangler.toml"})
        if (QFileInfo::exists(QDir(dir).filePath(QLatin1String(name)))) return true;
    return false;
}

std::expected<QString, QString> ProjectTemplates::createConfig(const QString& dir) const {
    if (hasConfig(dir)) return std::unexpected(QObject::tr("%1 already has a config").arg(dir));
    QString name = QFileInfo(dir).fileName().toLower();
    name.replace(QRegularExpression(QStringLiteral("[^a-z0-9-]+")), QStringLiteral("-"));
    name = name.mid(0, 63).remove(QRegularExpression(QStringLiteral("^-+|-+$")));
    if (name.isEmpty()) name = QStringLiteral("worker");
    QString main = QStringLiteral("src/entry.py");
    if (!QFileInfo::exists(QDir(dir).filePath(main))) {
        QDirIterator it(dir, {QStringLiteral("*.py")}, QDir::Files, QDirIterator::Subdirectories);
        QString found;
        while (it.hasNext() && found.isEmpty()) {
            const QString rel = QDir(dir).relativeFilePath(it.next());
            if (!rel.startsWith(QLatin1String("python_modules/")) &&
                !rel.startsWith(QLatin1Char('.')))
                found = rel;
        }
        if (!found.isEmpty()) {
            main = found;
        } else {
            QFile hello(QDir(m_dir).filePath(QStringLiteral("hello/src/entry.py")));
            QDir().mkpath(QDir(dir).filePath(QStringLiteral("src")));
            QFile entry(QDir(dir).filePath(main));
            if (!hello.open(QIODevice::ReadOnly) || !entry.open(QIODevice::WriteOnly) ||
                entry.write(hello.readAll()) < 0)
                return std::unexpected(
                    QStringLiteral("%1: %2").arg(entry.fileName(), entry.errorString()));
        }
    }
    const QString configPath = QDir(dir).filePath(QStringLiteral("wrangler.jsonc"));
    QFile config(configPath);
    const QByteArray text = QStringLiteral("{\n  \"name\": \"%1\",\n  \"main\": \"%2\",\n"
                                           "  \"compatibility_date\": \"2026-09-08\",\n"
                                           "  \"compatibility_flags\": [\"python_workers\"]\n}\n")
                                .arg(name, main)
                                .toUtf8();
    if (!config.open(QIODevice::WriteOnly) || config.write(text) != text.size())
        return std::unexpected(QStringLiteral("%1: %2").arg(configPath, config.errorString()));
    const QString pyproject = QDir(dir).filePath(QStringLiteral("pyproject.toml"));
    if (!QFileInfo::exists(pyproject)) {
        QFile out(pyproject);
        const QByteArray toml = QStringLiteral("[project]\nname = \"%1\"\nversion = \"0.1.0\"\n"
                                               "requires-python = \">=3.12\"\ndependencies = []\n\n"
                                               "[dependency-groups]\ndev = [\"workers-py\", "
                                               "\"workers-runtime-sdk\"]\n")
                                    .arg(name)
                                    .toUtf8();
        if (!out.open(QIODevice::WriteOnly) || out.write(toml) != toml.size())
            return std::unexpected(QStringLiteral("%1: %2").arg(pyproject, out.errorString()));
    }
    return configPath;
}

} // namespace kiln
