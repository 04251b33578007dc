#pragma once

#include "project/configerror.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

namespace kiln {

// A parsed configuration file, whatever its syntax (JSONC or TOML): the values as JSON plus
// where each value was written. Validation works on this one shape, so a wrong type is
// reported at the right line whether the user wrote wrangler.jsonc or wrangler.toml.
struct ConfigDocument {
    QString file; // as given to the parser; used verbatim in errors
    QJsonObject root;
    // Where each value starts, keyed by JSON Pointer (RFC 6901); "" is the root.
    QHash<QString, SourcePos> positions;

    static QString childPointer(const QString& parent, const QString& key);
    static QString childPointer(const QString& parent, qsizetype index);
    // "/kv_namespaces/0/binding" -> "kv_namespaces[0].binding", the spelling users know.
    static QString displayPath(const QString& pointer);

    // The position of pointer, or of its nearest recorded ancestor (a missing key is reported
    // where its object starts).
    SourcePos positionOf(const QString& pointer) const;
    ConfigError errorAt(const QString& pointer, const QString& message) const;
};

} // namespace kiln
