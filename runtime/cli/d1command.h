#pragma once

#include <QStringList>

namespace kiln {

// `kiln d1 execute DB --command SQL | --file F [--json]`, `kiln d1 migrations list|apply DB`,
// `kiln d1 export DB --output F`: wrangler's words, on the files `kiln dev` uses. DB is the
// binding name or the database_name. Returns the process exit code.
int runD1Command(const QStringList& args);

} // namespace kiln
