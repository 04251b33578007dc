#pragma once

#include "server/httpexchange.h"
#include "server/httpoutput.h"
#include "server/httprequestparser.h"
#include "server/httpresponsewriter.h"
#include "server/websocketsession.h"

#include <QObject>

#include <memory>

class QTcpSocket;

namespace kiln {

class HttpServer;
struct HttpServerOptions;

// One client connection, on the server's thread (internal to runtime/server). It parses
// requests one at a time, dispatches each as an HttpExchange, writes the response the exchange
// asks for and decides whether the connection survives it. Pipelined requests wait in
// m_leftover and in the socket until the current exchange is complete.
class HttpConnection : public QObject, private HttpRequestParser::Sink {
    Q_OBJECT
public:
    HttpConnection(HttpServer* server, QTcpSocket* socket);
    ~HttpConnection() override;

    static qint64 nowUs();
    void checkDeadline(qint64 nowUs);
    // The server is going away or closing: drop the connection without calling back into it.
    void detachFromServer();
    // Drops the connection at once; in-flight exchanges see onClosed.
    void closeNow(const QString& why);

    // Called by HttpExchange on the server thread.
    void exchangeOps(HttpExchange::Inbox& ops);
    void exchangeFirstPull();
    void exchangeBodyPulled();

private:
    enum class Phase { Head, Exchange, WebSocket, Closing, Dead };
    enum class Deadline { None, Fresh, KeepAlive, Head, Body, Write, Linger };

    void parserMessageBegin() override;
    void parserHead(HttpRequestHead&& head, const HttpRequestInfo& info) override;
    void parserBody(const char* data, qsizetype size) override;
    void parserMessageComplete() override;

    void onReadyRead();
    void onBytesWritten();
    void pumpInput();
    bool wantsInput() const;
    void feed(const char* data, qsizetype size);
    void parseFailed(int status, const QByteArray& reason);

    void startWebSocket(HttpExchange::Inbox& ops);
    void webSocketOps(HttpExchange::Inbox& ops);
    void webSocketProgress();

    bool canKeepAlive() const;
    void startResponse(int status, const QByteArray& reason, const HttpHeaders& headers,
                       qint64 lengthHint);
    void writeBody(const QByteArray& data);
    void finishResponse();
    void abandon();
    void maybeCompleteExchange();
    void completeExchange();
    void failRequest(int status, const QByteArray& reason);

    void closeGracefully();
    void startLinger();
    void discardInput();
    void teardown(const QString& why, bool abortSocket);
    void setDeadline(Deadline kind, qint64 ms);
    void updateBodyDeadline();
    void bodyStalled();
    void report(int status, bool cancelled = false);

    HttpServer* m_server;
    const HttpServerOptions& m_options;
    QTcpSocket* m_socket;
    HttpRequestParser m_parser;
    HttpResponseWriter m_writer;
    HttpOutput m_output;
    std::shared_ptr<HttpExchange> m_exchange;
    std::unique_ptr<WebSocketSession> m_session; // after a 101: the connection carries frames
    HttpRequestInfo m_info;
    QString m_peer;
    quint16 m_localPort = 0;
    QByteArray m_leftover; // bytes after a complete message, parsed once it is answered
    QByteArray m_logMethod;
    QByteArray m_logTarget;

    Phase m_phase = Phase::Head;
    Deadline m_deadlineKind = Deadline::None;
    qint64 m_deadline = 0; // steady clock, microseconds; 0: none
    bool m_pumping = false;
    bool m_pumpAgain = false;
    bool m_dispatchPending = false;
    bool m_messageComplete = false; // the current request was parsed to its end
    bool m_draining = false;        // response done, discarding the unread request body
    bool m_bodyFailed = false;      // the request body was malformed
    bool m_bodySeen = false;        // some body bytes arrived
    bool m_continueSent = false;
    bool m_keepAlive = true;
    bool m_writeShut = false;
    qint64 m_drained = 0;
    qint64 m_discarded = 0;
    qint64 m_requestStartUs = 0;
    qint64 m_dispatchUs = 0;  // head parsed, exchange handed to the handler
    quint64 m_exchangeId = 0; // the exchange being served; 0 between requests
    qint64 m_responseEndUs = 0;
    qint64 m_bytesIn = 0;
    qint64 m_windowBodyBytes = 0; // body bytes since the body deadline was last armed
};

} // namespace kiln
