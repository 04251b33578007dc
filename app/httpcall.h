#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace kiln {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// What the composer sends.
struct HttpCallRequest {
    QByteArray method = "GET";
    QUrl url;
    HeaderList headers;
    QByteArray body;
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
    double firstByteMs = 0; // sent -> the response head arrived
    double totalMs = 0;     // sent -> the last byte arrived
    static constexpr qint64 kMaxHeldBytes = 16 << 20;
    QByteArray header(const QByteArray& name) const;
};

// One request from the composer, streamed: `progress` as the body arrives, `finished` once.
// Redirects are shown, not followed. Owns its reply; abort() ends it early.
class HttpCall : public QObject {
    Q_OBJECT
public:
    HttpCall(QNetworkAccessManager* network, HttpCallRequest request, QObject* parent = nullptr);
    ~HttpCall() override;
    void abort();
    const HttpCallResponse& response() const { return m_response; }

Q_SIGNALS:
    void progress(const kiln::HttpCallResponse& soFar);
    void finished(const kiln::HttpCallResponse& response);

private:
    void onHead();
    void onData();
    void onDone();
    QPointer<QNetworkReply> m_reply;
    HttpCallResponse m_response;
    QElapsedTimer m_timer;
    bool m_headSeen = false;
};

} // namespace kiln
