#pragma once

#include "engine/internal/jsruntime.h"

namespace kiln {

// The native half of the prelude's URL class: WHATWG URL parsing and the component setters,
// done by ada (see adaurl.h). Ops:
//   urlParse(input, base | undefined, out: Uint32Array(9)) -> href | null
//   urlUpdate(href, field, value, out) -> new href | null when the setter refuses the value
//     (field: 0 href, 1 protocol, 2 username, 3 password, 4 host, 5 hostname, 6 port,
//      7 pathname, 8 search, 9 hash)
//   domainToASCII(domain) / domainToUnicode(domain) -> string ("" when invalid)
// `out` receives ada's component offsets into href (protocol_end, username_end, host_start,
// host_end, port, pathname_start, search_start, hash_start; 0xffffffff = absent) and then
// the scheme type (0 http, 1 not special, 2 https, 3 ws, 4 ftp, 5 wss, 6 file). href is
// always ASCII, so the offsets are JS string indices too.
void installUrlOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);

} // namespace kiln
