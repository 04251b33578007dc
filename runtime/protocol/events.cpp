#include "protocol/events.h"

#include "protocol/jsonfields.h"

#include <QJsonArray>

#include <array>

namespace kiln::protocol {

using detail::FieldReader;

namespace {

constexpr std::array<const char*, 4> kStoreKindNames = {"kv", "d1", "r2", "workflow"};

// "one of a, b or c", for an unknown enum name.
QString choices(const QStringList& names) {
    if (names.size() < 2) return names.join(QString());
    return names.first(names.size() - 1).join(QLatin1String(", ")) + QLatin1String(" or ") +
           names.last();
}

LogLevel readLineLevel(FieldReader& r) {
    const QString name = r.string("level");
    if (!r.ok()) return LogLevel::Log;
    const std::optional<LogLevel> level = parseLogLevel(name);
    // "none" is only a threshold: no line is logged at it.
    if (!level || *level == LogLevel::None) {
        QStringList names;
        for (LogLevel l :
             {LogLevel::Debug, LogLevel::Log, LogLevel::Info, LogLevel::Warn, LogLevel::Error})
            names << logLevelName(l);
        r.fail("level", QStringLiteral("must be %1, not \"%2\"").arg(choices(names), name));
        return LogLevel::Log;
    }
    return *level;
}

LogSource readSource(FieldReader& r) {
    const QString name = r.string("source");
    if (!r.ok()) return LogSource::Kiln;
    if (const std::optional<LogSource> source = parseLogSource(name)) return *source;
    QStringList names;
    for (LogSource s : {LogSource::Request, LogSource::Print, LogSource::Console, LogSource::Kiln})
        names << logSourceName(s);
    r.fail("source", QStringLiteral("must be %1, not \"%2\"").arg(choices(names), name));
    return LogSource::Kiln;
}

QJsonArray toArray(const QStringList& list) {
    QJsonArray out;
    for (const QString& s : list)
        out.append(s);
    return out;
}

} // namespace

// --- hello ---------------------------------------------------------------------------------

QJsonObject HelloEvent::toBody() const {
    return {
        {QLatin1String("protocol"), protocol},
        {QLatin1String("kilnVersion"), kilnVersion},
        {QLatin1String("pid"), pid},
        {QLatin1String("projectDir"), projectDir},
        {QLatin1String("configFile"), configFile},
        {QLatin1String("stateDir"), stateDir},
    };
}

std::expected<HelloEvent, QString> HelloEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    HelloEvent e;
    e.protocol = r.int32("protocol");
    e.kilnVersion = r.string("kilnVersion");
    e.pid = r.integer("pid");
    e.projectDir = r.string("projectDir");
    e.configFile = r.string("configFile", FieldReader::Optional);
    e.stateDir = r.string("stateDir", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- ready ---------------------------------------------------------------------------------

QJsonObject ReadyEvent::toBody() const {
    return {
        {QLatin1String("url"), url},
        {QLatin1String("port"), port},
        {QLatin1String("bootMs"), bootMs},
        {QLatin1String("bootError"), bootError},
    };
}

std::expected<ReadyEvent, QString> ReadyEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    ReadyEvent e;
    e.url = r.string("url");
    e.port = r.int32("port");
    e.bootMs = r.number("bootMs");
    e.bootError = r.string("bootError", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- log -----------------------------------------------------------------------------------

QJsonObject LogEvent::toBody() const {
    return {
        {QLatin1String("level"), logLevelName(level)},
        {QLatin1String("source"), logSourceName(source)},
        {QLatin1String("text"), text},
        {QLatin1String("time"), time},
    };
}

std::expected<LogEvent, QString> LogEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    LogEvent e;
    e.level = readLineLevel(r);
    e.source = readSource(r);
    e.text = r.string("text");
    e.time = r.number("time");
    if (!r.ok()) return r.failure();
    return e;
}

// --- requestStarted ------------------------------------------------------------------------

QJsonObject RequestStartedEvent::toBody() const {
    return {
        {QLatin1String("id"), id},
        {QLatin1String("method"), method},
        {QLatin1String("path"), path},
        {QLatin1String("time"), time},
    };
}

std::expected<RequestStartedEvent, QString> RequestStartedEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    RequestStartedEvent e;
    e.id = r.integer("id");
    e.method = r.string("method");
    e.path = r.string("path");
    e.time = r.number("time");
    if (!r.ok()) return r.failure();
    return e;
}

// --- requestFinished -----------------------------------------------------------------------

QJsonObject RequestFinishedEvent::toBody() const {
    return {
        {QLatin1String("id"), id},
        {QLatin1String("method"), method},
        {QLatin1String("path"), path},
        {QLatin1String("status"), status},
        {QLatin1String("cancelled"), cancelled},
        {QLatin1String("queuedMs"), queuedMs},
        {QLatin1String("handlerMs"), handlerMs},
        {QLatin1String("totalMs"), totalMs},
        {QLatin1String("bytesIn"), bytesIn},
        {QLatin1String("bytesOut"), bytesOut},
    };
}

std::expected<RequestFinishedEvent, QString>
RequestFinishedEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    RequestFinishedEvent e;
    e.id = r.integer("id");
    e.method = r.string("method");
    e.path = r.string("path");
    e.status = r.int32("status");
    e.cancelled = r.boolean("cancelled");
    e.queuedMs = r.number("queuedMs");
    e.handlerMs = r.number("handlerMs");
    e.totalMs = r.number("totalMs");
    e.bytesIn = r.integer("bytesIn");
    e.bytesOut = r.integer("bytesOut");
    if (!r.ok()) return r.failure();
    return e;
}

// --- reloadStarted -------------------------------------------------------------------------

QJsonObject ReloadStartedEvent::toBody() const {
    return {{QLatin1String("changed"), toArray(changed)}};
}

std::expected<ReloadStartedEvent, QString> ReloadStartedEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    ReloadStartedEvent e;
    e.changed = r.stringList("changed", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- reloadFinished ------------------------------------------------------------------------

QJsonObject ReloadFinishedEvent::toBody() const {
    QJsonObject body{
        {QLatin1String("ok"), ok},
        {QLatin1String("durationMs"), durationMs},
    };
    if (error) {
        body.insert(QLatin1String("error"), QJsonObject{
                                                {QLatin1String("file"), error->file},
                                                {QLatin1String("line"), error->line},
                                                {QLatin1String("column"), error->column},
                                                {QLatin1String("message"), error->message},
                                            });
    }
    return body;
}

std::expected<ReloadFinishedEvent, QString> ReloadFinishedEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    ReloadFinishedEvent e;
    e.ok = r.boolean("ok");
    e.durationMs = r.number("durationMs");
    if (const std::optional<QJsonObject> error = r.object("error", FieldReader::Optional)) {
        // Errors inside name the nested field: `reloadFinished.error: "line" ...`.
        FieldReader er("reloadFinished.error", *error);
        ConfigError ce;
        ce.file = er.string("file", FieldReader::Optional);
        ce.line = er.int32("line", FieldReader::Optional);
        ce.column = er.int32("column", FieldReader::Optional);
        ce.message = er.string("message");
        if (!er.ok())
            r.absorb(er);
        else
            e.error = ce;
    }
    if (!r.ok()) return r.failure();
    return e;
}

// --- exception -----------------------------------------------------------------------------

QJsonObject ExceptionEvent::toBody() const {
    QJsonArray list;
    for (const TraceFrame& f : frames) {
        list.append(QJsonObject{
            {QLatin1String("file"), f.file},
            {QLatin1String("line"), f.line},
            {QLatin1String("function"), f.function},
            {QLatin1String("inProject"), f.inProject},
        });
    }
    return {
        {QLatin1String("type"), type},
        {QLatin1String("message"), message},
        {QLatin1String("frames"), list},
        {QLatin1String("text"), text},
    };
}

std::expected<ExceptionEvent, QString> ExceptionEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    ExceptionEvent e;
    e.type = r.string("type");
    e.message = r.string("message", FieldReader::Optional); // `raise ValueError()` has none
    if (const std::optional<QJsonArray> list = r.array("frames", FieldReader::Optional)) {
        for (qsizetype i = 0; i < list->size() && r.ok(); ++i) {
            const QJsonValue item = list->at(i);
            if (!item.isObject()) {
                r.fail(QStringLiteral("\"frames\"[%1] must be an object").arg(i));
                break;
            }
            FieldReader fr(QStringLiteral("exception.frames[%1]").arg(i), item.toObject());
            TraceFrame f;
            f.file = fr.string("file");
            f.line = fr.int32("line");
            f.function = fr.string("function", FieldReader::Optional);
            f.inProject = fr.boolean("inProject", FieldReader::Optional);
            if (!fr.ok())
                r.absorb(fr);
            else
                e.frames.push_back(f);
        }
    }
    e.text = r.string("text", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- bootPhase -----------------------------------------------------------------------------

QJsonObject BootPhaseEvent::toBody() const {
    return {
        {QLatin1String("name"), name},
        {QLatin1String("startMs"), startMs},
        {QLatin1String("durationMs"), durationMs},
    };
}

std::expected<BootPhaseEvent, QString> BootPhaseEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    BootPhaseEvent e;
    e.name = r.string("name");
    e.startMs = r.number("startMs");
    e.durationMs = r.number("durationMs");
    if (!r.ok()) return r.failure();
    return e;
}

// --- storeChanged --------------------------------------------------------------------------

QString storeKindName(StoreKind kind) {
    const auto i = static_cast<std::size_t>(kind);
    return i < kStoreKindNames.size() ? QString::fromLatin1(kStoreKindNames[i]) : QString();
}

std::optional<StoreKind> parseStoreKind(QStringView name) {
    for (std::size_t i = 0; i < kStoreKindNames.size(); ++i) {
        if (name == QLatin1String(kStoreKindNames[i])) return static_cast<StoreKind>(i);
    }
    return std::nullopt;
}

QJsonObject StoreChangedEvent::toBody() const {
    return {
        {QLatin1String("binding"), binding},
        {QLatin1String("kind"), storeKindName(kind)},
        {QLatin1String("key"), key},
        {QLatin1String("table"), table},
    };
}

std::expected<StoreChangedEvent, QString> StoreChangedEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    StoreChangedEvent e;
    e.binding = r.string("binding");
    const QString kind = r.string("kind");
    if (r.ok()) {
        if (const std::optional<StoreKind> k = parseStoreKind(kind)) {
            e.kind = *k;
        } else {
            QStringList names;
            for (const char* n : kStoreKindNames)
                names << QLatin1String(n);
            r.fail("kind", QStringLiteral("must be %1, not \"%2\"").arg(choices(names), kind));
        }
    }
    e.key = r.string("key", FieldReader::Optional);
    e.table = r.string("table", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- workflowActivity ----------------------------------------------------------------------

QJsonObject WorkflowActivityEvent::toBody() const {
    return {
        {QLatin1String("binding"), binding},   {QLatin1String("workflow"), workflow},
        {QLatin1String("instance"), instance}, {QLatin1String("what"), what},
        {QLatin1String("step"), step},         {QLatin1String("detail"), detail},
    };
}

std::expected<WorkflowActivityEvent, QString>
WorkflowActivityEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    WorkflowActivityEvent e;
    e.binding = r.string("binding");
    e.workflow = r.string("workflow");
    e.instance = r.string("instance");
    e.what = r.string("what");
    e.step = r.string("step", FieldReader::Optional);
    e.detail = r.string("detail", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return e;
}

// --- error ---------------------------------------------------------------------------------

QJsonObject ErrorEvent::toBody() const {
    return {{QLatin1String("message"), message}};
}

std::expected<ErrorEvent, QString> ErrorEvent::fromBody(const QJsonObject& body) {
    FieldReader r(kName, body);
    ErrorEvent e;
    e.message = r.string("message");
    if (!r.ok()) return r.failure();
    return e;
}

} // namespace kiln::protocol
