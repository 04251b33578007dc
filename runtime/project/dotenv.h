#pragma once

#include "project/configerror.h"

#include <QMap>
#include <QString>

#include <expected>

namespace kiln {

// .dev.vars / .env files, read the way wrangler reads them (it uses the Node `dotenv` package):
//   KEY=value            unquoted: trimmed, ends at '#' (the rest is a comment)
//   export KEY=value     the shell-style prefix is ignored
//   KEY: value           dotenv's alternative separator
//   KEY='raw'  KEY=`raw` taken literally, may span lines
//   KEY="a\nb"           \n and \r become line breaks (only those two, as in dotenv); may span
//                        lines; a backslash before the quote keeps it from closing the string
//   # comment            blank lines and comment lines are skipped
// A repeated key takes its last value. Unlike dotenv, which silently drops lines it cannot
// read, a malformed line is an error naming file:line:column: a secret that silently goes
// missing is worse than a refusal to start.
std::expected<QMap<QString, QString>, ConfigError> parseDotenvText(const QString& text,
                                                                   const QString& file);
// Reads and parses a file; a missing or unreadable file is an error.
std::expected<QMap<QString, QString>, ConfigError> parseDotenv(const QString& file);

} // namespace kiln
