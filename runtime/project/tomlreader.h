#pragma once

#include "project/configdocument.h"

#include <QByteArray>
#include <QString>

#include <expected>

namespace kiln {

// Reads TOML (wrangler.toml, pyproject.toml) with toml++ into the same ConfigDocument shape
// the JSONC parser produces, keeping toml++'s source position for every value. toml++ stays
// an implementation detail here: no toml:: type crosses this header.
class TomlReader {
public:
    // utf8 is the file's bytes; file is only used in errors.
    static std::expected<ConfigDocument, ConfigError> parse(const QByteArray& utf8,
                                                            const QString& file);
};

} // namespace kiln
