#pragma once

#include <QStringList>

namespace kiln {

// `kiln kv key list|get|put|delete [KEY] [VALUE] --binding NS | --namespace-id ID`, with
// wrangler's options (--prefix, --path, --metadata, --ttl, --expiration, --persist-to,
// --config, --env; --local and --preview are accepted and mean nothing). Works on the same
// files `kiln dev` uses, also while it runs. Returns the process exit code.
int runKvCommand(const QStringList& args);

} // namespace kiln
