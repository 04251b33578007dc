#pragma once

#include "server/httptypes.h"

#include <memory>

namespace kiln {

// Facts about a parsed request head that decide how the connection treats it.
struct HttpRequestInfo {
    bool keepAlive = false; // the client allows another request on this connection
    bool hasBody = false;   // Content-Length > 0 or chunked
    bool chunked = false;
    bool expectContinue = false; // HTTP/1.1 `Expect: 100-continue`
    bool headRequest = false;
    bool http10 = false;
};

// Incremental HTTP/1.x request parser on top of llhttp (kept out of this header). Besides
// syntax it enforces the server's rules on a head: size limit, version, Host, Expect and
// Transfer-Encoding. It pauses after every complete message so that pipelined requests are
// handled one at a time.
class HttpRequestParser {
public:
    class Sink {
    public:
        virtual void parserMessageBegin() = 0;
        virtual void parserHead(HttpRequestHead&& head, const HttpRequestInfo& info) = 0;
        virtual void parserBody(const char* data, qsizetype size) = 0;
        virtual void parserMessageComplete() = 0;

    protected:
        ~Sink() = default;
    };

    enum class Status { Ok, Paused, Error };
    struct Result {
        Status status = Status::Ok;
        qsizetype consumed = 0; // bytes of the input that belong to parsed messages
        int httpStatus = 0;     // for Error: the status to answer with
        QByteArray reason;      // for Error: a short human-readable cause
    };

    HttpRequestParser(Sink* sink, qint64 maxHeaderBytes);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser&) = delete;
    HttpRequestParser& operator=(const HttpRequestParser&) = delete;

    // Feeds bytes. Returns Paused right after a message completed (`consumed` tells where the
    // next one starts); call resume() before feeding more. After Error the parser is dead.
    Result execute(const char* data, qsizetype size);
    void resume();
    // For an identity (Content-Length) body in progress: bytes still expected. -1 if unknown.
    qint64 remainingBodyBytes() const;
    // What has been parsed of the current request line, for logging error responses.
    const QByteArray& method() const;
    const QByteArray& target() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
