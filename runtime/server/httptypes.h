#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace kiln {

// Order and duplicates are preserved and names keep the case they were received with, because
// Workers code can observe both (Headers iteration, Set-Cookie).
using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequestHead {
    QByteArray method;      // e.g. "GET" (llhttp only accepts upper-case methods)
    QByteArray target;      // path?query exactly as sent
    QByteArray httpVersion; // "1.1" or "1.0"
    HttpHeaders headers;
    QString peerAddress;
    quint16 localPort = 0;
};

// One answer to HttpExchange::pullBody(). `data` may be non-empty together with `end` (the last
// bytes and the end arrive in one callback, saving a round trip); an error chunk never carries
// data. After `end` or `error` every further pull gets the same answer again.
struct BodyChunk {
    QByteArray data;
    bool end = false;
    QString error; // non-empty: the body will never complete (client vanished, malformed body, ...)
};

// Case-insensitive header lookup helpers; header names are ASCII tokens.
bool httpNameEquals(const QByteArray& name, const char* lowerCaseName);
// First value of `name`, or a null QByteArray.
QByteArray httpHeaderValue(const HttpHeaders& headers, const char* lowerCaseName);

} // namespace kiln
