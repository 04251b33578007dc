#include "server/httpresponsewriter.h"

#include <QtDebug>

#include <cstring>
#include <ctime>

namespace kiln {

namespace {

// A header that may go on the wire; an invalid one is dropped, with a warning (CR, LF or NUL
// in a value would let a handler inject headers or split the response).
bool writable(const QByteArray& name, const QByteArray& value) {
    if (isHttpToken(name) && isSafeHttpValue(value)) return true;
    qWarning("kiln::HttpServer: dropping invalid response header %s", name.left(64).constData());
    return false;
}

// Digits only; -1 if not a valid Content-Length.
qint64 parseLength(const QByteArray& v) {
    const QByteArray t = v.trimmed();
    if (t.isEmpty() || t.size() > 18) return -1;
    qint64 n = 0;
    for (char c : t) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

bool hasCloseToken(const QByteArray& value) {
    for (const QByteArray& token : value.split(',')) {
        if (token.trimmed().compare("close", Qt::CaseInsensitive) == 0) return true;
    }
    return false;
}

void appendNumber(QByteArray& out, qint64 n) {
    char buf[24];
    char* p = buf + sizeof buf;
    do {
        *--p = char('0' + n % 10);
        n /= 10;
    } while (n);
    out.append(p, buf + sizeof buf - p);
}

// Hop-by-hop framing headers belong to the server, never to the handler.
bool framingHeader(const QByteArray& name) {
    return httpNameEquals(name, "transfer-encoding") || httpNameEquals(name, "keep-alive") ||
           httpNameEquals(name, "proxy-connection");
}

} // namespace

const char* HttpResponseWriter::reasonPhrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 205:
        return "Reset Content";
    case 206:
        return "Partial Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 418:
        return "I'm a Teapot";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Content";
    case 425:
        return "Too Early";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 451:
        return "Unavailable For Legal Reasons";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

void HttpResponseWriter::appendDate(QByteArray& out) {
    // Formatting once per second keeps gmtime and formatting off the per-request path.
    thread_local std::time_t cachedSecond = 0;
    thread_local char cached[32] = {};
    const std::time_t now = std::time(nullptr);
    if (now != cachedSecond) {
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm tm;
        gmtime_r(&now, &tm);
        std::snprintf(cached, sizeof cached, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                      days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
        cachedSecond = now;
    }
    out.append(cached, qsizetype(std::strlen(cached)));
}

void HttpResponseWriter::begin(QByteArray& out, int status, const QByteArray& reason,
                               const HttpHeaders& headers, const Request& request,
                               qint64 lengthHint) {
    m_started = true;
    if (status < 200 || status > 999) {
        // 1xx are the server's business (100 Continue) and 101 would need a protocol switch.
        qWarning("kiln::HttpServer: handler responded with status %d; sending 500", status);
        status = 500;
    }
    m_status = status;

    const char* phrase =
        reason.isEmpty() || !isSafeHttpValue(reason) ? reasonPhrase(status) : nullptr;
    out.append("HTTP/1.1 ");
    appendNumber(out, status);
    out.append(' ');
    if (phrase)
        out.append(phrase);
    else
        out.append(reason);
    out.append("\r\n");

    qint64 declared = -1;
    bool conflicting = false;
    bool hasDate = false;
    for (const auto& [name, value] : headers) {
        if (!writable(name, value)) continue;
        if (httpNameEquals(name, "content-length")) {
            const qint64 n = parseLength(value);
            if (n < 0 || (declared >= 0 && n != declared)) conflicting = true;
            declared = n;
            continue;
        }
        if (httpNameEquals(name, "connection")) {
            if (hasCloseToken(value)) m_keepAlive = false;
            continue;
        }
        if (framingHeader(name)) continue;
        if (!hasDate && httpNameEquals(name, "date")) hasDate = true;
        out.append(name);
        out.append(": ");
        out.append(value);
        out.append("\r\n");
    }
    if (conflicting) {
        qWarning("kiln::HttpServer: invalid Content-Length from handler; ignoring it");
        declared = -1;
    }
    if (!hasDate) {
        out.append("Date: ");
        appendDate(out);
        out.append("\r\n");
    }

    const bool bodyAllowed = status != 204 && status != 304;
    qint64 advertised = -1;
    if (!bodyAllowed) {
        m_framing = Framing::NoBody;
        if (status == 304) advertised = declared; // describes the selected representation
    } else if (request.head) {
        m_framing = Framing::NoBody;
        advertised = declared >= 0 ? declared : lengthHint;
    } else if (declared >= 0 || lengthHint >= 0) {
        m_framing = Framing::Length;
        m_length = declared >= 0 ? declared : lengthHint;
        advertised = m_length;
    } else if (!request.http10) {
        m_framing = Framing::Chunked;
        out.append("Transfer-Encoding: chunked\r\n");
    } else {
        m_framing = Framing::UntilClose;
    }
    if (advertised >= 0) {
        out.append("Content-Length: ");
        appendNumber(out, advertised);
        out.append("\r\n");
    }

    m_keepAlive = m_keepAlive && request.keepAlive && m_framing != Framing::UntilClose;
    if (!m_keepAlive)
        out.append("Connection: close\r\n");
    else if (request.http10)
        out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
}

qint64 HttpResponseWriter::admit(qint64 size) {
    if (m_finished) return 0;
    switch (m_framing) {
    case Framing::NoBody:
        return 0;
    case Framing::Length: {
        const qint64 n = qMin(size, m_length - m_sent);
        if (n < size && !m_warnedOverflow) {
            m_warnedOverflow = true;
            qWarning("kiln::HttpServer: handler wrote more than its Content-Length (%lld); "
                     "extra bytes dropped",
                     static_cast<long long>(m_length));
        }
        m_sent += n;
        return n;
    }
    case Framing::Chunked:
    case Framing::UntilClose:
        m_sent += size;
        return size;
    }
    return 0;
}

void HttpResponseWriter::appendChunkHeader(QByteArray& out, qint64 size) const {
    if (m_framing != Framing::Chunked) return;
    static const char hex[] = "0123456789abcdef";
    char buf[20];
    char* p = buf + sizeof buf;
    *--p = '\n';
    *--p = '\r';
    do {
        *--p = hex[size & 0xf];
        size >>= 4;
    } while (size);
    out.append(p, buf + sizeof buf - p);
}

void HttpResponseWriter::appendChunkTrailer(QByteArray& out) const {
    if (m_framing == Framing::Chunked) out.append("\r\n");
}

bool HttpResponseWriter::finish(QByteArray& out) {
    if (m_finished) return true;
    m_finished = true;
    if (m_framing == Framing::Chunked) out.append("0\r\n\r\n");
    if (m_framing == Framing::Length && m_sent < m_length) {
        m_keepAlive = false;
        return false;
    }
    return true;
}

void HttpResponseWriter::appendErrorResponse(QByteArray& out, int status,
                                             const QByteArray& detail) {
    const char* phrase = reasonPhrase(status);
    QByteArray body = QByteArray(phrase) + ": " + detail + '\n';
    out.append("HTTP/1.1 ");
    appendNumber(out, status);
    out.append(' ');
    out.append(phrase);
    out.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    appendNumber(out, body.size());
    out.append("\r\nConnection: close\r\nDate: ");
    appendDate(out);
    out.append("\r\n\r\n");
    out.append(body);
}

void HttpResponseWriter::appendSwitchingProtocols(QByteArray& out, const HttpHeaders& headers) {
    out.append("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n");
    bool hasDate = false;
    for (const auto& [name, value] : headers) {
        if (!writable(name, value)) continue;
        // No body follows a 101: length and connection are the server's to say.
        if (framingHeader(name) || httpNameEquals(name, "content-length") ||
            httpNameEquals(name, "connection"))
            continue;
        if (!hasDate && httpNameEquals(name, "date")) hasDate = true;
        out.append(name);
        out.append(": ");
        out.append(value);
        out.append("\r\n");
    }
    if (!hasDate) {
        out.append("Date: ");
        appendDate(out);
        out.append("\r\n");
    }
    out.append("\r\n");
}

} // namespace kiln
