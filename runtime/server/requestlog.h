#pragma once

#include "server/httptypes.h"

#include <QString>

namespace kiln {

// The request log line `kiln dev` prints, as wrangler does: "GET /path 200 OK (3ms)", or
// "GET /path cancelled (3ms)" when the client left before the response was complete. The
// target is shown as sent, '%' escapes and all; one longer than kMaxLoggedTarget is cut, with
// its length said (a 414's 32 KB target would otherwise fill the terminal).
QString requestLogLine(const HttpExchangeRecord& record);

constexpr qsizetype kMaxLoggedTarget = 200;

} // namespace kiln
