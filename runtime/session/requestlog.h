#pragma once

#include "server/httptypes.h"

#include <QString>

namespace kiln {

// The request log line `kiln dev` prints, as wrangler does: "GET /path 200 OK (3ms)", or
// "GET /path cancelled (3ms)" when the client left before the response was complete.
QString requestLogLine(const HttpExchangeRecord& record);

// The reason phrase for a status code ("Not Found"); empty for codes without one here.
QString statusText(int status);

} // namespace kiln
