#pragma once

#include <QStringList>

namespace kiln {

// `kiln r2 object put|get|delete BUCKET/KEY [--file F | --pipe] [--content-type T]` and
// `kiln r2 object list BUCKET [--prefix P]`: wrangler's words on the local bucket `kiln dev`
// uses. Bodies stream: a 1 GiB file goes in and out in 1 MiB pieces.
int runR2Command(const QStringList& args);

} // namespace kiln
