#pragma once

// The C API of ada (https://github.com/ada-url/ada), the WHATWG URL parser node uses.
// Debian's libnode108, which Kiln already links for V8, exports it (ada 2.7.8); there is no
// separate Debian package and libnode-dev ships no header, so the few declarations Kiln
// uses are repeated here, as ada's include/ada_c.h defines them.

#include <cstddef>
#include <cstdint>

extern "C" {

struct ada_string {
    const char* data;
    size_t length;
};

struct ada_owned_string {
    const char* data;
    size_t length;
};

// Offsets into href, or ada_url_omitted; `port` is the port number itself.
struct ada_url_components {
    uint32_t protocol_end;
    uint32_t username_end;
    uint32_t host_start;
    uint32_t host_end;
    uint32_t port;
    uint32_t pathname_start;
    uint32_t search_start;
    uint32_t hash_start;
};

using ada_url = void*;

ada_url ada_parse(const char* input, size_t length);
ada_url ada_parse_with_base(const char* input, size_t input_length, const char* base,
                            size_t base_length);
void ada_free(ada_url result);
void ada_free_owned_string(ada_owned_string owned);
bool ada_is_valid(ada_url result);
ada_string ada_get_href(ada_url result);
uint8_t ada_get_scheme_type(ada_url result);
const ada_url_components* ada_get_components(ada_url result);

bool ada_set_href(ada_url result, const char* input, size_t length);
bool ada_set_host(ada_url result, const char* input, size_t length);
bool ada_set_hostname(ada_url result, const char* input, size_t length);
bool ada_set_protocol(ada_url result, const char* input, size_t length);
bool ada_set_username(ada_url result, const char* input, size_t length);
bool ada_set_password(ada_url result, const char* input, size_t length);
bool ada_set_port(ada_url result, const char* input, size_t length);
bool ada_set_pathname(ada_url result, const char* input, size_t length);
void ada_set_search(ada_url result, const char* input, size_t length);
void ada_set_hash(ada_url result, const char* input, size_t length);

ada_owned_string ada_idna_to_ascii(const char* input, size_t length);
ada_owned_string ada_idna_to_unicode(const char* input, size_t length);

} // extern "C"
