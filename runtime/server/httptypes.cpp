#include "server/httptypes.h"

#include <cstring>

namespace kiln {

bool httpNameEquals(const QByteArray& name, const char* lowerCaseName) {
    const qsizetype n = qsizetype(std::strlen(lowerCaseName));
    if (name.size() != n) return false;
    const char* p = name.constData();
    for (qsizetype i = 0; i < n; ++i) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') c = char(c + ('a' - 'A'));
        if (c != lowerCaseName[i]) return false;
    }
    return true;
}

QByteArray httpHeaderValue(const HttpHeaders& headers, const char* lowerCaseName) {
    for (const auto& h : headers) {
        if (httpNameEquals(h.first, lowerCaseName)) return h.second;
    }
    return {};
}

bool isHttpToken(const QByteArray& text) {
    if (text.isEmpty()) return false;
    for (char c : text) {
        const auto u = uchar(c);
        const bool ok = (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') ||
                        (u && std::strchr("!#$%&'*+-.^_`|~", u) != nullptr);
        if (!ok) return false;
    }
    return true;
}

bool isSafeHttpValue(const QByteArray& value) {
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

} // namespace kiln
