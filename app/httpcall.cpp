#include "httpcall.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace kiln {

QByteArray HttpCallResponse::header(const QByteArray& name) const {
    for (const auto& [key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0) return value;
    return {};
}

HttpCall::HttpCall(QNetworkAccessManager* network, HttpCallRequest request, QObject* parent)
    : QObject(parent) {
    QNetworkRequest req(request.url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    for (const auto& [name, value] : request.headers)
        req.setRawHeader(name, value);
    m_timer.start();
    m_reply = network->sendCustomRequest(req, request.method, request.body);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &HttpCall::onHead);
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpCall::onData);
    connect(m_reply, &QNetworkReply::finished, this, &HttpCall::onDone);
}

HttpCall::~HttpCall() {
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void HttpCall::abort() {
    if (m_reply) m_reply->abort();
}

void HttpCall::onHead() {
    if (m_headSeen || !m_reply) return;
    m_headSeen = true;
    m_response.firstByteMs = double(m_timer.nsecsElapsed()) / 1e6;
    m_response.status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_response.reason =
        m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    for (const auto& pair : m_reply->rawHeaderPairs())
        m_response.headers.append(pair);
}

void HttpCall::onData() {
    if (!m_reply) return;
    onHead();
    const QByteArray chunk = m_reply->readAll();
    m_response.bodyBytes += chunk.size();
    const qint64 room = HttpCallResponse::kMaxHeldBytes - m_response.body.size();
    if (room > 0) m_response.body.append(chunk.left(room));
    if (chunk.size() > room) m_response.truncated = true;
    Q_EMIT progress(m_response);
}

void HttpCall::onDone() {
    if (!m_reply) return;
    onData();
    m_response.totalMs = double(m_timer.nsecsElapsed()) / 1e6;
    const auto error = m_reply->error();
    // An HTTP error status is an answer, not a failure; only transport problems are errors.
    if (error != QNetworkReply::NoError && m_response.status == 0)
        m_response.error = m_reply->errorString();
    m_reply->deleteLater();
    m_reply = nullptr;
    Q_EMIT finished(m_response);
}

} // namespace kiln
