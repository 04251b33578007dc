#include "server/httprequestparser.h"

// Before <llhttp.h>: see the file for why.
#include "server/llhttpnames.h"

#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kiln {

namespace {

// host[:port] as RFC 3986 allows it in Host and in an absolute-form target: a reg-name
// (unreserved, sub-delims, %-escapes) or a bracketed IPv6 literal, then digits. Anything else
// ('/', '@', spaces, ...) would change the URL the worker sees.
bool validAuthority(const QByteArray& authority) {
    if (authority.isEmpty()) return false;
    qsizetype i = 0;
    const qsizetype n = authority.size();
    if (authority.startsWith('[')) {
        const qsizetype close = authority.indexOf(']');
        if (close < 2) return false;
        for (qsizetype j = 1; j < close; ++j) {
            const char c = authority[j];
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
                return false;
        }
        i = close + 1;
    } else {
        for (; i < n && authority[i] != ':'; ++i) {
            const char c = authority[i];
            if (!(std::isalnum(static_cast<unsigned char>(c)) ||
                  std::strchr("-._~!$&'()*+,;=%", c)))
                return false;
        }
        if (i == 0) return false;
    }
    if (i == n) return true;
    if (authority[i] != ':') return false;
    for (++i; i < n; ++i)
        if (!std::isdigit(static_cast<unsigned char>(authority[i]))) return false;
    return true;
}

QByteArray trimmedLower(const char* begin, const char* end) {
    while (begin < end && (*begin == ' ' || *begin == '\t'))
        ++begin;
    while (end > begin && (end[-1] == ' ' || end[-1] == '\t'))
        --end;
    QByteArray out(begin, end - begin);
    return out.toLower();
}

} // namespace

struct HttpRequestParser::Private {
    llhttp_t parser;
    Sink* sink = nullptr;
    qint64 maxHeaderBytes = 0;
    qint64 headerBytes = 0;
    HttpRequestHead head;
    QByteArray field;
    QByteArray value;
    QByteArray method;       // the raw method, kept for logging when the head is rejected
    bool inTrailers = false; // chunked trailers reuse the header callbacks: counted, not kept
    int errorStatus = 0;
    QByteArray errorReason;
    // llhttp 8 skips the two bytes after a chunk's data whatever they are ("5\r\nhelloXX3..."
    // passes): a front end that reads them differently would see another request in the body
    // (request smuggling). So the parser checks them itself: `crlfMatched` counts how much of
    // the CRLF has been seen once a chunk's data ended, -1 while no check is pending.
    quint64 chunkLeft = 0;
    int crlfMatched = -1;
    const char* bufferEnd = nullptr; // end of the bytes handed to the current llhttp_execute

    static Private* self(llhttp_t* p) { return static_cast<Private*>(p->data); }

    // Data callbacks count what a head costs us in memory; past the limit the request is
    // refused before the bytes are stored, so a huge head never sits in memory.
    int fail(int status, const char* reason) {
        errorStatus = status;
        errorReason = reason;
        llhttp_set_error_reason(&parser, reason);
        return HPE_USER;
    }
    int count(size_t n) {
        headerBytes += qint64(n);
        if (headerBytes > maxHeaderBytes) return fail(431, "request header fields too large");
        return 0;
    }

    static int onMessageBegin(llhttp_t* p) {
        Private* d = self(p);
        d->headerBytes = 0;
        d->inTrailers = false;
        d->chunkLeft = 0;
        d->crlfMatched = -1;
        d->head = HttpRequestHead();
        d->method.clear();
        d->field.clear();
        d->value.clear();
        d->sink->parserMessageBegin();
        return 0;
    }
    static int onMethod(llhttp_t* p, const char* at, size_t n) {
        Private* d = self(p);
        d->method.append(at, qsizetype(n));
        return d->count(n + 4); // + spaces and CRLF of the request line
    }
    static int onUrl(llhttp_t* p, const char* at, size_t n) {
        Private* d = self(p);
        if (d->headerBytes + qint64(n) > d->maxHeaderBytes) // only the method came before
            return d->fail(414, "request target too long");
        d->head.target.append(at, qsizetype(n));
        return d->count(n);
    }
    static int onVersion(llhttp_t* p, const char*, size_t n) { return self(p)->count(n + 5); }
    static int onHeaderField(llhttp_t* p, const char* at, size_t n) {
        Private* d = self(p);
        d->field.append(at, qsizetype(n));
        return d->count(n);
    }
    static int onHeaderValue(llhttp_t* p, const char* at, size_t n) {
        Private* d = self(p);
        d->value.append(at, qsizetype(n));
        return d->count(n);
    }
    static int onHeaderValueComplete(llhttp_t* p) {
        Private* d = self(p);
        if (int rc = d->count(4)) // ": " and CRLF
            return rc;
        if (d->inTrailers) {
            d->field.clear();
            d->value.clear();
            return 0;
        }
        d->head.headers.append(
            {std::exchange(d->field, QByteArray()), std::exchange(d->value, QByteArray())});
        return 0;
    }
    static int onHeadersComplete(llhttp_t* p) {
        Private* d = self(p);
        if (d->checkHead() != 0)
            return -1; // llhttp reports HPE_CB_HEADERS_COMPLETE; errorStatus says why
        HttpRequestInfo info;
        info.http10 = p->http_minor == 0;
        info.keepAlive = llhttp_should_keep_alive(p) != 0;
        info.chunked = (p->flags & F_CHUNKED) != 0;
        info.hasBody = info.chunked || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
        info.headRequest = p->method == HTTP_HEAD;
        if (!info.http10) {
            const QByteArray expect = httpHeaderValue(d->head.headers, "expect");
            info.expectContinue = !expect.isNull();
        }
        const char* name = llhttp_method_name(llhttp_method_t(p->method));
        d->head.method = QByteArray::fromRawData(name, qsizetype(std::strlen(name)));
        static const QByteArray v10 = QByteArrayLiteral("1.0");
        static const QByteArray v11 = QByteArrayLiteral("1.1");
        d->head.httpVersion = info.http10 ? v10 : v11;
        d->sink->parserHead(std::move(d->head), info);
        d->head = HttpRequestHead();
        d->inTrailers = true;
        return 0;
    }
    static int onChunkHeader(llhttp_t* p) {
        self(p)->chunkLeft = p->content_length; // the chunk's size, as llhttp parsed it
        return 0;
    }
    static int onBody(llhttp_t* p, const char* at, size_t n) {
        Private* d = self(p);
        d->sink->parserBody(at, qsizetype(n));
        if (!(p->flags & F_CHUNKED)) return 0;
        d->chunkLeft -= std::min<quint64>(d->chunkLeft, n);
        if (d->chunkLeft != 0) return 0;
        d->crlfMatched = 0;
        return d->checkChunkEnd(at + n, d->bufferEnd);
    }
    // Matches what of [from, to) continues the CRLF after a chunk's data.
    int checkChunkEnd(const char* from, const char* to) {
        for (; crlfMatched >= 0 && crlfMatched < 2 && from < to; ++from, ++crlfMatched)
            if (*from != "\r\n"[crlfMatched]) return fail(400, "chunk data not followed by CRLF");
        if (crlfMatched == 2) crlfMatched = -1;
        return 0;
    }
    static int onMessageComplete(llhttp_t* p) {
        self(p)->sink->parserMessageComplete();
        return HPE_PAUSED;
    }

    // Server rules llhttp does not enforce. Returns the status to refuse with, or 0.
    int checkHead() {
        if (parser.http_major != 1) return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
        if (parser.method == HTTP_CONNECT) return fail(501, "CONNECT is not supported");
        int hosts = 0;
        QByteArray* host = nullptr;
        for (auto& [name, val] : head.headers) {
            if (httpNameEquals(name, "host")) {
                ++hosts;
                host = &val;
            } else if (httpNameEquals(name, "transfer-encoding")) {
                // llhttp only knows `chunked`; any other coding would reach the handler still
                // encoded, so refuse it (RFC 9112 6.1: 501).
                const char* b = val.constData();
                const char* e = b + val.size();
                while (b < e) {
                    const char* comma = static_cast<const char*>(std::memchr(b, ',', e - b));
                    const char* stop = comma ? comma : e;
                    const QByteArray coding = trimmedLower(b, stop);
                    if (!coding.isEmpty() && coding != "chunked") {
                        errorStatus = 501;
                        errorReason = "unsupported transfer coding: " + coding;
                        return errorStatus;
                    }
                    b = comma ? comma + 1 : e;
                }
            } else if (httpNameEquals(name, "expect") && parser.http_minor == 1) {
                if (trimmedLower(val.constData(), val.constData() + val.size()) != "100-continue")
                    return fail(417, "only `Expect: 100-continue` is supported");
            }
        }
        if (parser.http_minor == 1 && hosts != 1)
            return fail(400, hosts ? "more than one Host header" : "missing Host header");
        // RFC 9112 3.2.2: an absolute-form target's authority replaces Host, and the worker
        // sees the path, never the whole URL glued after the host.
        const QByteArray lower = head.target.left(8).toLower();
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            const qsizetype start = head.target.indexOf("//") + 2;
            qsizetype end = start;
            while (end < head.target.size() && head.target[end] != '/' && head.target[end] != '?' &&
                   head.target[end] != '#')
                ++end;
            const QByteArray authority = head.target.mid(start, end - start);
            if (!validAuthority(authority))
                return fail(400, "malformed authority in the request target");
            QByteArray path = head.target.mid(end);
            if (!path.startsWith('/')) path.prepend('/');
            head.target = path;
            if (host)
                *host = authority;
            else
                head.headers.append({"Host", authority});
            return 0;
        }
        if (head.target == "*" && parser.method == HTTP_OPTIONS) return 0;
        if (!head.target.startsWith('/')) return fail(400, "malformed request target");
        if (host && !validAuthority(host->trimmed())) return fail(400, "malformed Host header");
        return 0;
    }

    static const llhttp_settings_t* settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t st;
            llhttp_settings_init(&st);
            st.on_message_begin = onMessageBegin;
            st.on_method = onMethod;
            st.on_url = onUrl;
            st.on_version = onVersion;
            st.on_header_field = onHeaderField;
            st.on_header_value = onHeaderValue;
            st.on_header_value_complete = onHeaderValueComplete;
            st.on_headers_complete = onHeadersComplete;
            st.on_chunk_header = onChunkHeader;
            st.on_body = onBody;
            st.on_message_complete = onMessageComplete;
            return st;
        }();
        return &s;
    }
};

HttpRequestParser::HttpRequestParser(Sink* sink, qint64 maxHeaderBytes)
    : d(std::make_unique<Private>()) {
    d->sink = sink;
    d->maxHeaderBytes = maxHeaderBytes;
    llhttp_init(&d->parser, HTTP_REQUEST, Private::settings());
    d->parser.data = d.get();
}

HttpRequestParser::~HttpRequestParser() = default;

HttpRequestParser::Result HttpRequestParser::execute(const char* data, qsizetype size) {
    Result r;
    const char* p = data;
    const char* end = data + size;
    d->bufferEnd = end;
    if (d->crlfMatched >= 0 && d->checkChunkEnd(data, end) != 0) {
        r.status = Status::Error;
        r.httpStatus = d->errorStatus;
        r.reason = d->errorReason;
        return r;
    }
    for (;;) {
        const llhttp_errno_t err = llhttp_execute(&d->parser, p, size_t(end - p));
        if (err == HPE_OK) {
            r.consumed = size;
            return r;
        }
        const char* pos = llhttp_get_error_pos(&d->parser);
        if (err == HPE_PAUSED_UPGRADE) {
            // Upgrade (e.g. websocket) is optional for a server (RFC 9110 7.8): ignore it and
            // keep speaking HTTP/1.1. CONNECT never gets here, checkHead() refuses it.
            llhttp_resume_after_upgrade(&d->parser);
            p = pos ? pos : end;
            continue;
        }
        r.consumed = pos ? pos - data : size;
        if (err == HPE_PAUSED) {
            r.status = Status::Paused;
            return r;
        }
        r.status = Status::Error;
        if (d->errorStatus) {
            r.httpStatus = d->errorStatus;
            r.reason = d->errorReason;
        } else {
            r.httpStatus = err == HPE_INVALID_VERSION || err == HPE_PAUSED_H2_UPGRADE ? 505 : 400;
            const char* reason = err == HPE_PAUSED_H2_UPGRADE
                                     ? "HTTP/2 with prior knowledge is not supported"
                                     : llhttp_get_error_reason(&d->parser);
            r.reason = QByteArray(reason ? reason : "malformed request") + " (" +
                       llhttp_errno_name(err) + ")";
        }
        return r;
    }
}

void HttpRequestParser::resume() {
    if (llhttp_get_errno(&d->parser) == HPE_PAUSED) llhttp_resume(&d->parser);
}

qint64 HttpRequestParser::remainingBodyBytes() const {
    if (d->parser.flags & F_CHUNKED) return -1;
    return qint64(d->parser.content_length);
}

const QByteArray& HttpRequestParser::method() const {
    return d->method;
}

const QByteArray& HttpRequestParser::target() const {
    return d->head.target;
}

} // namespace kiln
