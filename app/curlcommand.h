#pragma once

#include "httpcall.h"

#include <expected>

namespace kiln {

// A `curl ...` command line (as browsers' "Copy as cURL" and API docs write it) turned into a
// request, and a request written back as one. Reads -X/--request, -H/--header, -d/--data,
// --data-raw, --data-binary, --data-urlencode, --json, -u/--user, -I/--head, -A/--user-agent,
// -e/--referer, -b/--cookie, --url; flags that do not change the request (-s, -L, -k, -v,
// --compressed, ...) are accepted and ignored. Shell quoting ('', "", \) and line
// continuations are understood; the error names what could not be read.
std::expected<HttpCallRequest, QString> parseCurl(const QString& command);
QString toCurl(const HttpCallRequest& request);

} // namespace kiln
