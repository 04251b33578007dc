#include "engine/incominghead.h"

#include "engine/adaurl.h"

#include <algorithm>

namespace kiln {

namespace {

// The Fetch Standard's header value normalization: HTTP whitespace trimmed at both ends.
QByteArray trimmed(const QByteArray& value) {
    auto white = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    qsizetype begin = 0, end = value.size();
    while (begin < end && white(value[begin]))
        ++begin;
    while (end > begin && white(value[end - 1]))
        --end;
    return begin == 0 && end == value.size() ? value : value.mid(begin, end - begin);
}

bool printableAscii(const QByteArray& text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// ada's href for `url` when new Request(url) would take it as it stands: printable ASCII (so
// the UTF-8 JS passes ada is these bytes), valid, and without credentials.
QByteArray checkedUrl(const QByteArray& url, const QByteArray& host) {
    if (host.contains('@') || !printableAscii(url)) return {};
    const ada_url parsed = ada_parse(url.constData(), static_cast<size_t>(url.size()));
    QByteArray href;
    if (ada_is_valid(parsed)) {
        const ada_string text = ada_get_href(parsed);
        href = QByteArray(text.data, static_cast<qsizetype>(text.length));
    }
    ada_free(parsed);
    return href;
}

} // namespace

IncomingHead IncomingHead::from(const HttpRequestHead& head) {
    IncomingHead out;
    QByteArray host = httpHeaderValue(head.headers, "host");
    if (host.isEmpty()) host = "localhost:" + QByteArray::number(head.localPort);
    out.url = "http://" + host + (head.target.startsWith('/') ? head.target : "/" + head.target);

    // Cloudflare's edge adds the client's address; so does wrangler dev.
    HttpHeaders headers = head.headers;
    if (httpHeaderValue(headers, "cf-connecting-ip").isNull()) {
        QString peer = head.peerAddress;
        if (peer.startsWith(QLatin1String("::ffff:"))) peer = peer.mid(7);
        headers.append({"CF-Connecting-IP", peer.toLatin1()});
    }
    const QByteArray method = head.method;
    bool checked =
        isHttpToken(method) && method != "CONNECT" && method != "TRACE" && method != "TRACK";
    out.headers.reserve(headers.size() * 2);
    for (const auto& [name, value] : headers) {
        if (checked && !(isHttpToken(name) && isSafeHttpValue(value))) checked = false;
        out.headers.append(name);
        out.headers.append(value);
    }
    const QByteArray href = checked ? checkedUrl(out.url, host) : QByteArray();
    out.checked = !href.isEmpty();
    if (!out.checked) return out;
    out.url = href;
    for (qsizetype i = 0; i < out.headers.size(); i += 2) {
        out.headers[i] = out.headers[i].toLower();
        out.headers[i + 1] = trimmed(out.headers[i + 1]);
    }
    return out;
}

} // namespace kiln
