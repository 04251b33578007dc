#include "httpcall.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <QPointer>
#include <QSaveFile>

#include <curl/curl.h>

#include <functional>

namespace kiln {

QByteArray HttpCallResponse::header(const QByteArray& name) const {
    for (const auto& [key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0) return value;
    return {};
}

// Runs on the transfer thread; hands pieces to the GUI thread through queued calls, holding
// what it has not handed over yet so a fast stream becomes a few dozen calls a second.
struct HttpCall::Transfer {
    QPointer<HttpCall> call;
    std::shared_ptr<std::atomic<bool>> cancelled;
    HttpCallResponse head; // status, reason, headers
    QByteArray pending;
    qint64 bodyBytes = 0;
    qint64 held = 0;     // bytes handed over to be kept
    int shownStatus = 0; // the status the GUI has seen (a head alone is news too)
    QElapsedTimer sinceFlush;
    std::unique_ptr<QSaveFile> file; // when the body is saved rather than held

    // The call outlives this thread (its destructor joins it), so `call` is valid here; a
    // queued piece that arrives after the call is gone is dropped by Qt with its context.
    void flush() {
        HttpCallResponse piece; // the head so far, and the new body bytes
        piece.status = head.status;
        piece.reason = head.reason;
        piece.headers = head.headers;
        piece.body = std::exchange(pending, QByteArray());
        piece.bodyBytes = bodyBytes;
        shownStatus = head.status;
        QMetaObject::invokeMethod(
            call.data(),
            [c = call, piece = std::move(piece)]() mutable {
                if (c) c->deliver(std::move(piece));
            },
            Qt::QueuedConnection);
        sinceFlush.restart();
    }

    static size_t onHeader(char* data, size_t size, size_t count, void* self) {
        auto* t = static_cast<Transfer*>(self);
        const QByteArray line = QByteArray(data, qsizetype(size * count)).trimmed();
        if (line.startsWith("HTTP/")) { // a new response (after 100 Continue): start over
            t->head.headers.clear();
            const QList<QByteArray> parts = line.split(' ');
            t->head.status = parts.value(1).toInt();
            t->head.reason = line.mid(line.indexOf(' ', line.indexOf(' ') + 1) + 1);
            if (parts.size() < 3) t->head.reason.clear();
        } else if (const qsizetype colon = line.indexOf(':'); colon > 0) {
            t->head.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        }
        return size * count;
    }

    static size_t onBody(char* data, size_t size, size_t count, void* self) {
        auto* t = static_cast<Transfer*>(self);
        const qint64 n = qint64(size * count);
        t->bodyBytes += n;
        if (t->file) {
            if (t->file->write(data, n) != n) return 0; // curl reports a write error
            if (t->sinceFlush.elapsed() >= 50) t->flush();
            return size * count;
        }
        const qint64 room = HttpCallResponse::kMaxHeldBytes - t->held;
        if (room > 0) {
            const qint64 keep = std::min(room, n);
            t->pending.append(data, qsizetype(keep));
            t->held += keep;
        }
        if (t->pending.size() >= (1 << 20) || t->sinceFlush.elapsed() >= 50) t->flush();
        return size * count;
    }

    static int onProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        return static_cast<Transfer*>(self)->cancelled->load() ? 1 : 0;
    }
};

namespace {

// curl_easy_perform, but through a multi handle so abort() can wake the wait at once.
// `idle` runs after every wait (at least every 50 ms), so bytes held back for batching are
// handed over even when the server pauses mid-stream.
CURLcode perform(CURLM* multi, CURL* curl, const std::atomic<bool>& cancelled,
                 const std::function<void()>& idle) {
    curl_multi_add_handle(multi, curl);
    CURLcode code = CURLE_OK;
    for (int running = 1; running;) {
        if (const CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK) {
            code = CURLE_FAILED_INIT;
            break;
        }
        if (cancelled.load()) {
            code = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (running) curl_multi_poll(multi, nullptr, 0, 50, nullptr);
        idle();
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left))
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl) code = msg->data.result;
    curl_multi_remove_handle(multi, curl);
    return code;
}

} // namespace

HttpCall::HttpCall(HttpCallRequest request, QObject* parent)
    : QObject(parent) {
    auto transfer = std::make_shared<Transfer>();
    transfer->call = this;
    transfer->cancelled = m_cancelled;
    m_multi = curl_multi_init();
    m_thread = std::thread([transfer, multi = m_multi, request = std::move(request)] {
        CURL* curl = curl_easy_init();
        curl_slist* headers = nullptr;
        for (const auto& [name, value] : request.headers)
            headers = curl_slist_append(headers, (name + ": " + value).constData());
        if (!request.body.isEmpty() || request.method == "POST") // no implicit form content type
            headers = curl_slist_append(headers, "Expect:");
        const QByteArray url = request.url.toEncoded();
        curl_easy_setopt(curl, CURLOPT_URL, url.constData());
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.constData());
        if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        if (!request.body.isEmpty() || request.method == "POST" || request.method == "PUT" ||
            request.method == "PATCH") {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.constData());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
        }
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::onHeader);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer.get());
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::onBody);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer.get());
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::onProgress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer.get());
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); // what curl can decode, decoded
        transfer->sinceFlush.start();
        HttpCallResponse& r = transfer->head;
        if (!request.saveTo.isEmpty()) {
            transfer->file = std::make_unique<QSaveFile>(request.saveTo);
            if (!transfer->file->open(QIODevice::WriteOnly))
                r.error =
                    QStringLiteral("%1: %2").arg(request.saveTo, transfer->file->errorString());
        }
        const CURLcode code = r.error.isEmpty()
                                  ? perform(multi, curl, *transfer->cancelled,
                                            [&] {
                                                const bool news =
                                                    !transfer->pending.isEmpty() ||
                                                    transfer->head.status != transfer->shownStatus;
                                                if (news && transfer->sinceFlush.elapsed() >= 50)
                                                    transfer->flush();
                                            })
                                  : CURLE_OK;
        if (transfer->file && r.error.isEmpty() && code == CURLE_OK && !transfer->file->commit())
            r.error = QStringLiteral("%1: %2").arg(request.saveTo, transfer->file->errorString());
        r.cancelled = code == CURLE_ABORTED_BY_CALLBACK && transfer->cancelled->load();
        if (code != CURLE_OK && !r.cancelled) r.error = QString::fromUtf8(curl_easy_strerror(code));
        transfer->file.reset(); // uncommitted: the partial file is removed
        curl_off_t connect = 0, tls = 0, pre = 0, start = 0, total = 0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect);
        curl_easy_getinfo(curl, CURLINFO_APPCONNECT_TIME_T, &tls);
        curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
        curl_easy_getinfo(curl, CURLINFO_STARTTRANSFER_TIME_T, &start);
        curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total);
        r.connectMs = double(connect) / 1000;
        r.tlsMs = tls > 0 ? double(tls - connect) / 1000 : 0;
        r.firstByteMs = double(start) / 1000;
        r.waitMs = double(start - pre) / 1000;
        r.receiveMs = double(total - start) / 1000;
        r.totalMs = double(total) / 1000;
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        transfer->flush();
        QMetaObject::invokeMethod(
            transfer->call.data(),
            [c = transfer->call, head = r]() mutable {
                if (c) c->complete(std::move(head));
            },
            Qt::QueuedConnection);
    });
}

HttpCall::~HttpCall() {
    abort();
    if (m_thread.joinable()) m_thread.join();
    curl_multi_cleanup(static_cast<CURLM*>(m_multi));
}

// Wakes the transfer thread out of its poll, so a call stuck on a silent server ends now
// rather than at libcurl's next once-a-second progress check. curl_multi_wakeup is the one
// multi call documented as safe from another thread; the handle lives until the destructor.
void HttpCall::abort() {
    m_cancelled->store(true);
    curl_multi_wakeup(static_cast<CURLM*>(m_multi));
}

void HttpCall::deliver(HttpCallResponse piece) {
    m_response.status = piece.status;
    m_response.reason = std::move(piece.reason);
    m_response.headers = std::move(piece.headers);
    m_response.body.append(piece.body);
    m_response.bodyBytes = piece.bodyBytes;
    m_response.truncated = piece.bodyBytes > m_response.body.size();
    Q_EMIT progress(m_response);
}

void HttpCall::complete(HttpCallResponse head) {
    head.body = std::move(m_response.body);
    head.bodyBytes = m_response.bodyBytes;
    head.truncated = head.bodyBytes > head.body.size();
    m_response = std::move(head);
    Q_EMIT finished(m_response);
}

} // namespace kiln
