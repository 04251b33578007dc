#include "httpdocument.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace kiln {

namespace {

const QRegularExpression& requestLine() {
    static const QRegularExpression re(
        QStringLiteral(R"(^([A-Z]+)\s+(\S.*?)(?:\s+HTTP/\d(?:\.\d)?)?\s*$)"));
    return re;
}

bool isComment(const QString& line) {
    return line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1String("//"));
}

// `# @name x` or `// @name x`: the request's name.
QString nameTag(const QString& line) {
    static const QRegularExpression re(QStringLiteral(R"(^(?:#|//)\s*@name\s+(\S+))"));
    const auto m = re.match(line);
    return m.hasMatch() ? m.captured(1) : QString();
}

} // namespace

HttpFile HttpFile::parse(const QString& text) {
    HttpFile file;
    const QStringList lines = text.split(QLatin1Char('\n'));
    static const QRegularExpression variable(QStringLiteral(R"(^@([\w.-]+)\s*=\s*(.*?)\s*$)"));
    enum class Part { Between, Headers, Body } part = Part::Between;
    HttpFileRequest current;
    QString pendingName, pendingTitle;
    QStringList body;
    auto finish = [&] {
        if (part == Part::Between) return;
        while (!body.isEmpty() && body.last().trimmed().isEmpty())
            body.removeLast();
        if (body.size() == 1 && body.first().startsWith(QLatin1String("< ")))
            current.bodyFile = body.first().mid(2).trimmed();
        else
            current.body = body.join(QLatin1Char('\n'));
        file.requests.append(current);
        current = HttpFileRequest();
        body.clear();
        part = Part::Between;
    };
    for (int i = 0; i < lines.size(); ++i) {
        QString line = lines.at(i);
        if (line.endsWith(QLatin1Char('\r'))) line.chop(1);
        if (line.startsWith(QLatin1String("###"))) {
            finish();
            pendingName.clear();
            pendingTitle = line.mid(3).trimmed();
            continue;
        }
        if (part == Part::Body) {
            body.append(line);
            continue;
        }
        const QString trimmed = line.trimmed();
        if (part == Part::Headers) {
            if (trimmed.isEmpty()) {
                part = Part::Body;
                continue;
            }
            if (isComment(trimmed)) continue;
            const qsizetype colon = trimmed.indexOf(QLatin1Char(':'));
            if (colon > 0) {
                current.headers.append({trimmed.left(colon).trimmed().toLatin1(),
                                        trimmed.mid(colon + 1).trimmed().toUtf8()});
                continue;
            }
            part = Part::Body; // no blank line before the body: take it as body
            body.append(line);
            continue;
        }
        // Between requests.
        if (trimmed.isEmpty()) continue;
        if (const auto m = variable.match(trimmed); m.hasMatch()) {
            file.variables.append({m.captured(1), m.captured(2)});
            continue;
        }
        if (isComment(trimmed)) {
            if (const QString name = nameTag(trimmed); !name.isEmpty()) pendingName = name;
            continue;
        }
        const auto m = requestLine().match(trimmed);
        current.line = i + 1;
        current.name = std::exchange(pendingName, QString());
        current.title = std::exchange(pendingTitle, QString());
        if (m.hasMatch()) {
            current.method = m.captured(1).toLatin1();
            current.url = m.captured(2);
        } else {
            current.url = trimmed; // a bare URL is a GET
        }
        part = Part::Headers;
    }
    finish();
    return file;
}

const HttpFileRequest* HttpFile::requestAt(int line) const {
    const HttpFileRequest* found = requests.isEmpty() ? nullptr : &requests.first();
    for (const HttpFileRequest& r : requests)
        if (r.line <= line) found = &r;
    return found;
}

QString HttpFile::serialize() const {
    QString out;
    for (const auto& [name, value] : variables)
        out += QStringLiteral("@%1 = %2\n").arg(name, value);
    for (int i = 0; i < requests.size(); ++i) {
        const HttpFileRequest& r = requests.at(i);
        if (!out.isEmpty()) out += QLatin1Char('\n');
        out += QStringLiteral("###") +
               (r.title.isEmpty() ? QString() : QLatin1Char(' ') + r.title) + QLatin1Char('\n');
        if (!r.name.isEmpty()) out += QStringLiteral("# @name %1\n").arg(r.name);
        out += QString::fromLatin1(r.method) + QLatin1Char(' ') + r.url + QLatin1Char('\n');
        for (const auto& [name, value] : r.headers)
            out += QString::fromLatin1(name) + QStringLiteral(": ") + QString::fromUtf8(value) +
                   QLatin1Char('\n');
        if (!r.bodyFile.isEmpty())
            out += QStringLiteral("\n< %1\n").arg(r.bodyFile);
        else if (!r.body.isEmpty())
            out += QLatin1Char('\n') + r.body + QLatin1Char('\n');
    }
    return out;
}

std::expected<HttpEnvironments, QString> HttpEnvironments::parse(const QByteArray& json) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return std::unexpected(QStringLiteral("http-client.env.json: %1 at offset %2")
                                   .arg(error.errorString())
                                   .arg(error.offset));
    if (!doc.isObject())
        return std::unexpected(QStringLiteral("http-client.env.json: not a JSON object"));
    HttpEnvironments out;
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        QHash<QString, QString> values;
        const QJsonObject object = it.value().toObject();
        for (auto v = object.begin(); v != object.end(); ++v)
            values.insert(v.key(), v.value().isString() ? v.value().toString()
                                                        : v.value().toVariant().toString());
        out.byName.insert(it.key(), values);
    }
    return out;
}

QStringList HttpEnvironments::names() const {
    QStringList out;
    for (auto it = byName.begin(); it != byName.end(); ++it)
        if (it.key() != QLatin1String("$shared")) out.append(it.key());
    out.sort();
    return out;
}

QHash<QString, QString> HttpEnvironments::variables(const QString& environment) const {
    QHash<QString, QString> out = byName.value(QStringLiteral("$shared"));
    const auto own = byName.value(environment);
    for (auto it = own.begin(); it != own.end(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

QString substituteVariables(const QString& text, const QHash<QString, QString>& variables) {
    static const QRegularExpression placeholder(QStringLiteral(R"(\{\{\s*([\w.$-]+)\s*\}\})"));
    QString out;
    qsizetype last = 0;
    auto it = placeholder.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        out += text.mid(last, m.capturedStart() - last);
        const auto found = variables.constFind(m.captured(1));
        out += found == variables.constEnd() ? m.captured(0) : *found;
        last = m.capturedEnd();
    }
    return out + text.mid(last);
}

std::expected<HttpCallRequest, QString> resolveRequest(const HttpFile& file,
                                                       const HttpFileRequest& request,
                                                       const QHash<QString, QString>& environment,
                                                       const QString& baseDir) {
    QHash<QString, QString> variables = environment;
    for (const auto& [name, value] : file.variables) // in order: later ones may use earlier
        variables.insert(name, substituteVariables(value, variables));
    HttpCallRequest out;
    out.method = request.method;
    out.url = QUrl(substituteVariables(request.url, variables));
    for (const auto& [name, value] : request.headers)
        out.headers.append(
            {name, substituteVariables(QString::fromUtf8(value), variables).toUtf8()});
    if (!request.bodyFile.isEmpty()) {
        QFile body(QDir(baseDir).filePath(substituteVariables(request.bodyFile, variables)));
        if (!body.open(QIODevice::ReadOnly))
            return std::unexpected(
                QStringLiteral("%1: %2").arg(body.fileName(), body.errorString()));
        out.body = body.readAll();
    } else {
        out.body = substituteVariables(request.body, variables).toUtf8();
    }
    return out;
}

} // namespace kiln
