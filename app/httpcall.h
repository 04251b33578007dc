#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QUrl>

#include <atomic>
#include <memory>
#include <thread>

namespace kiln {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// What the composer sends.
struct HttpCallRequest {
    QByteArray method = "GET";
    QUrl url;
    HeaderList headers;
    QByteArray body;
    // Set: the response body goes to this file, whole, instead of being held (only its size
    // is reported). For answers too large to keep in the window.
    QString saveTo;
};

// What came back, as a value the views can keep. The body is held up to `kMaxHeldBytes`; past
// that only its size grows (the rest is counted, not kept), so a 100 MB answer never sits in
// the window's memory.
struct HttpCallResponse {
    int status = 0;
    QByteArray reason;
    HeaderList headers;
    QByteArray body;
    qint64 bodyBytes = 0; // all that arrived, held or not
    bool truncated = false;
    QString error;          // transport failure (refused, reset, ...), empty otherwise
    bool cancelled = false; // abort() ended it; what arrived before is kept
    // Where the time went, from libcurl's own clocks: TCP connect, TLS handshake (https),
    // request sent -> first response byte (the server's time), first byte -> last byte.
    double connectMs = 0;
    double tlsMs = 0;
    double firstByteMs = 0; // start -> first response byte
    double waitMs = 0;
    double receiveMs = 0;
    double totalMs = 0; // start -> last byte
    static constexpr qint64 kMaxHeldBytes = 16 << 20;
    QByteArray header(const QByteArray& name) const;
};

// One request from the composer, made by libcurl on a thread of its own and streamed back:
// `progress` as the body arrives (batched, at most ~20 times a second), `finished` once.
// Redirects are shown, not followed. abort() (or destroying the call) ends it early.
class HttpCall : public QObject {
    Q_OBJECT
public:
    explicit HttpCall(HttpCallRequest request, QObject* parent = nullptr);
    ~HttpCall() override;
    void abort();
    const HttpCallResponse& response() const { return m_response; }

Q_SIGNALS:
    void progress(const kiln::HttpCallResponse& soFar);
    void finished(const kiln::HttpCallResponse& response);

private:
    struct Transfer;
    void deliver(HttpCallResponse piece);
    void complete(HttpCallResponse head);
    HttpCallResponse m_response;
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
    void* m_multi = nullptr; // CURLM*, kept untyped so this header needs no curl.h
    std::thread m_thread;
};

} // namespace kiln
