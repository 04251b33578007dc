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

// What the server reports when an exchange ends (HttpServer::exchangeFinished). Times are
// microseconds on the steady clock's scale.
struct HttpExchangeRecord {
    quint64 id = 0; // as in exchangeStarted; fresh for requests the server answered itself
    QByteArray method;
    QByteArray target;      // as sent, percent escapes kept
    int status = 0;         // 0: no response was sent
    bool cancelled = false; // the client left before the response was complete
    qint64 totalUs = 0;     // first byte of the request -> response complete (or the end)
    qint64 queuedUs = 0;    // head parsed -> the handler took it (HttpExchange::markTaken)
    qint64 handlerUs = 0;   // the handler took it -> response complete
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
};

// Case-insensitive header lookup helpers; header names are ASCII tokens.
bool httpNameEquals(const QByteArray& name, const char* lowerCaseName);
// First value of `name`, or a null QByteArray.
QByteArray httpHeaderValue(const HttpHeaders& headers, const char* lowerCaseName);
// RFC 9110's token (a method, a header name): one or more of its characters.
bool isHttpToken(const QByteArray& text);
// A header value that cannot inject headers or split a message: no CR, LF or NUL.
bool isSafeHttpValue(const QByteArray& value);

} // namespace kiln
