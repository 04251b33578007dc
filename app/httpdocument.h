#pragma once

#include "httpcall.h"

#include <QHash>
#include <QList>
#include <QString>

#include <expected>

namespace kiln {

// One request of a `.http` file.
struct HttpFileRequest {
    QString name;  // `# @name x`, or empty
    QString title; // text after the `###` that opens it, or empty
    QByteArray method = "GET";
    QString url;        // as written, `{{var}}` kept
    HeaderList headers; // values as written
    QString body;       // as written; empty when bodyFile is set
    QString bodyFile;   // `< ./file`: the body is that file's bytes
    int line = 0;       // 1-based line of the request line
};

// A `.http` file in the format VS Code's REST Client and JetBrains' HTTP Client read: requests
// separated by `###`, `# @name` (or `// @name`), file variables `@name = value`, `{{var}}`
// anywhere, headers up to the first blank line, then the body (or `< ./file`). Parsing keeps
// what it does not understand out of the requests rather than failing; serialize() writes the
// same shape back, so a file read and written round-trips.
struct HttpFile {
    QList<QPair<QString, QString>> variables; // in file order
    QList<HttpFileRequest> requests;

    static HttpFile parse(const QString& text);
    QString serialize() const;
    // The request a 1-based line belongs to (the last one starting at or before it; the first
    // when the line comes before any), or null when there is none.
    const HttpFileRequest* requestAt(int line) const;
};

// `http-client.env.json`: {"dev": {"host": "..."}, "$shared": {...}} (the JetBrains and
// REST Client shape). Values of an environment override `$shared`.
struct HttpEnvironments {
    QHash<QString, QHash<QString, QString>> byName;
    static std::expected<HttpEnvironments, QString> parse(const QByteArray& json);
    QStringList names() const; // without $shared
    QHash<QString, QString> variables(const QString& environment) const;
};

// `{{name}}` replaced from `variables` (file variables may themselves use environment ones);
// an unknown name is left as written so the person sees what is missing.
QString substituteVariables(const QString& text, const QHash<QString, QString>& variables);

// The request ready to send: variables substituted (the file's, over the environment's), a
// `< ./file` body read relative to `baseDir`. The error names the file that cannot be read.
std::expected<HttpCallRequest, QString> resolveRequest(const HttpFile& file,
                                                       const HttpFileRequest& request,
                                                       const QHash<QString, QString>& environment,
                                                       const QString& baseDir);

} // namespace kiln
