#include "curlcommand.h"

#include <QStringList>

namespace kiln {

namespace {

// Splits like a POSIX shell: quotes group, backslash escapes, `\` + newline continues.
std::expected<QStringList, QString> shellWords(const QString& text) {
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('\'')) {
            const qsizetype end = text.indexOf(QLatin1Char('\''), i + 1);
            if (end < 0) return std::unexpected(QStringLiteral("unterminated ' quote"));
            word += text.mid(i + 1, end - i - 1);
            i = end;
            inWord = true;
        } else if (c == QLatin1Char('"')) {
            qsizetype j = i + 1;
            for (; j < text.size() && text.at(j) != QLatin1Char('"'); ++j) {
                if (text.at(j) == QLatin1Char('\\') && j + 1 < text.size() &&
                    QStringLiteral("\"\\$`\n").contains(text.at(j + 1)))
                    ++j;
                word += text.at(j);
            }
            if (j >= text.size()) return std::unexpected(QStringLiteral("unterminated \" quote"));
            i = j;
            inWord = true;
        } else if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            ++i;
            if (text.at(i) != QLatin1Char('\n') && text.at(i) != QLatin1Char('\r')) {
                word += text.at(i);
                inWord = true;
            }
        } else if (c.isSpace()) {
            if (inWord) words.append(std::exchange(word, QString()));
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord) words.append(word);
    return words;
}

QString shellQuote(const QString& text) {
    QString out = text;
    out.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

bool hasHeader(const HeaderList& headers, const QByteArray& name) {
    for (const auto& [key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0) return true;
    return false;
}

} // namespace

std::expected<HttpCallRequest, QString> parseCurl(const QString& command) {
    auto words = shellWords(command.trimmed());
    if (!words) return std::unexpected(words.error());
    if (words->isEmpty() || words->first() != QLatin1String("curl"))
        return std::unexpected(QStringLiteral("not a curl command"));
    static const QStringList ignoredFlags{
        QStringLiteral("-s"),           QStringLiteral("--silent"),  QStringLiteral("-L"),
        QStringLiteral("--location"),   QStringLiteral("-k"),        QStringLiteral("--insecure"),
        QStringLiteral("-v"),           QStringLiteral("--verbose"), QStringLiteral("--compressed"),
        QStringLiteral("-i"),           QStringLiteral("--include"), QStringLiteral("-S"),
        QStringLiteral("--show-error"), QStringLiteral("-f"),        QStringLiteral("--fail"),
        QStringLiteral("-g"),           QStringLiteral("--globoff")};
    HttpCallRequest out;
    QString method, url;
    QStringList data;
    bool json = false;
    for (qsizetype i = 1; i < words->size(); ++i) {
        const QString& w = words->at(i);
        auto value = [&]() -> std::expected<QString, QString> {
            if (i + 1 >= words->size())
                return std::unexpected(QStringLiteral("%1 needs a value").arg(w));
            return words->at(++i);
        };
        auto header = [&](const QByteArray& name, const QString& v) {
            out.headers.append({name, v.toUtf8()});
        };
        if (w == QLatin1String("-X") || w == QLatin1String("--request")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            method = *v;
        } else if (w == QLatin1String("-H") || w == QLatin1String("--header")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            const qsizetype colon = v->indexOf(QLatin1Char(':'));
            if (colon <= 0) return std::unexpected(QStringLiteral("bad header: %1").arg(*v));
            header(v->left(colon).trimmed().toLatin1(), v->mid(colon + 1).trimmed());
        } else if (w == QLatin1String("-d") || w == QLatin1String("--data") ||
                   w == QLatin1String("--data-raw") || w == QLatin1String("--data-binary") ||
                   w == QLatin1String("--data-ascii") || w == QLatin1String("--data-urlencode") ||
                   w == QLatin1String("--json")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            data.append(*v);
            json = json || w == QLatin1String("--json");
        } else if (w == QLatin1String("-u") || w == QLatin1String("--user")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            header("Authorization",
                   QStringLiteral("Basic ") + QString::fromLatin1(v->toUtf8().toBase64()));
        } else if (w == QLatin1String("-A") || w == QLatin1String("--user-agent")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            header("User-Agent", *v);
        } else if (w == QLatin1String("-e") || w == QLatin1String("--referer")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            header("Referer", *v);
        } else if (w == QLatin1String("-b") || w == QLatin1String("--cookie")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            header("Cookie", *v);
        } else if (w == QLatin1String("-I") || w == QLatin1String("--head")) {
            method = QStringLiteral("HEAD");
        } else if (w == QLatin1String("--url")) {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            url = *v;
        } else if (ignoredFlags.contains(w)) {
            continue;
        } else if (w.startsWith(QLatin1Char('-'))) {
            return std::unexpected(QStringLiteral("unsupported curl option %1").arg(w));
        } else {
            url = w;
        }
    }
    if (url.isEmpty()) return std::unexpected(QStringLiteral("no URL in the curl command"));
    out.url = QUrl::fromUserInput(url);
    out.body = data.join(QLatin1Char('&')).toUtf8();
    if (json) {
        if (!hasHeader(out.headers, "content-type"))
            out.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
        if (!hasHeader(out.headers, "accept"))
            out.headers.append({QByteArray("Accept"), QByteArray("application/json")});
    } else if (!data.isEmpty() && !hasHeader(out.headers, "content-type")) {
        out.headers.append(
            {QByteArray("Content-Type"), QByteArray("application/x-www-form-urlencoded")});
    }
    out.method =
        (method.isEmpty() ? (data.isEmpty() ? QStringLiteral("GET") : QStringLiteral("POST"))
                          : method)
            .toLatin1();
    return out;
}

QString toCurl(const HttpCallRequest& request) {
    QStringList parts{QStringLiteral("curl")};
    if (request.method != "GET" || !request.body.isEmpty())
        parts << QStringLiteral("-X") << QString::fromLatin1(request.method);
    parts << shellQuote(request.url.toString());
    for (const auto& [name, value] : request.headers)
        parts << QStringLiteral("-H")
              << shellQuote(QString::fromLatin1(name) + QStringLiteral(": ") +
                            QString::fromUtf8(value));
    if (!request.body.isEmpty())
        parts << QStringLiteral("--data-raw") << shellQuote(QString::fromUtf8(request.body));
    return parts.join(QLatin1Char(' '));
}

} // namespace kiln
