#pragma once

#include <QString>
#include <QStringList>

#include <expected>

namespace kiln {

// The "New project" templates (resources/templates, installed under share/kiln/templates):
// each a complete Cloudflare Python Worker.
class ProjectTemplates {
public:
    // The templates folder beside the running program (share/kiln/templates), or `dir`.
    explicit ProjectTemplates(QString dir = {});
    const QString& dir() const { return m_dir; }
    QStringList names() const;
    // Copies template `name` to `target` (which must not exist or be empty) and names the
    // project `projectName` in wrangler.jsonc and pyproject.toml. Returns the project folder;
    // the error names the file or folder in the way.
    std::expected<QString, QString> create(const QString& name, const QString& target,
                                           const QString& projectName) const;

    // Makes `dir` a Worker project: a wrangler.jsonc whose `main` is the folder's existing
    // src/entry.py (or its first Python file), else the hello template's entry; and a
    // pyproject.toml unless there is one. Returns the config's path.
    std::expected<QString, QString> createConfig(const QString& dir) const;
    // Whether `dir` has a wrangler.jsonc, wrangler.json or wrangler.toml.
    static bool hasConfig(const QString& dir);

private:
    QString m_dir;
};

} // namespace kiln
