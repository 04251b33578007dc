#pragma once

#include "project/configerror.h"
#include "protocol/loglevel.h"
#include "protocol/message.h"
#include "stores/storekind.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>
#include <vector>

namespace kiln::protocol {

// Typed events. Each has its wire name (`kName`), a body as JSON (`toBody`) and a checked
// parse (`fromBody`: a missing or mistyped field is an error naming it). Times are
// milliseconds; `time` fields are milliseconds since the Unix epoch. docs/protocol.md lists
// every field.

// The host's first message on a new connection.
struct HelloEvent {
    static constexpr const char* kName = "hello";
    int protocol = kVersion;
    QString kilnVersion;
    qint64 pid = 0;
    QString projectDir;
    QString configFile;
    QString stateDir;
    QJsonObject toBody() const;
    static std::expected<HelloEvent, QString> fromBody(const QJsonObject& body);
};

// The server listens and the worker can answer (booted, or failed to boot: `bootError`).
struct ReadyEvent {
    static constexpr const char* kName = "ready";
    QString url;
    int port = 0;
    double bootMs = 0;
    QString bootError; // empty when the worker booted
    QJsonObject toBody() const;
    static std::expected<ReadyEvent, QString> fromBody(const QJsonObject& body);
};

struct LogEvent {
    static constexpr const char* kName = "log";
    LogLevel level = LogLevel::Log;
    LogSource source = LogSource::Kiln;
    QString text;
    double time = 0;
    QJsonObject toBody() const;
    static std::expected<LogEvent, QString> fromBody(const QJsonObject& body);
};

struct RequestStartedEvent {
    static constexpr const char* kName = "requestStarted";
    qint64 id = 0;
    QString method;
    QString path; // the request target as sent, percent escapes kept
    double time = 0;
    QJsonObject toBody() const;
    static std::expected<RequestStartedEvent, QString> fromBody(const QJsonObject& body);
};

struct RequestFinishedEvent {
    static constexpr const char* kName = "requestFinished";
    qint64 id = 0;
    QString method;
    QString path;
    int status = 0;         // 0 when no response was sent
    bool cancelled = false; // the client left before the response was complete
    double queuedMs = 0;    // head parsed -> the worker took it
    double handlerMs = 0;   // the worker took it -> response complete
    double totalMs = 0;     // first byte of the request -> response complete
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    QJsonObject toBody() const;
    static std::expected<RequestFinishedEvent, QString> fromBody(const QJsonObject& body);
};

struct ReloadStartedEvent {
    static constexpr const char* kName = "reloadStarted";
    QStringList changed; // files whose change caused it; empty for a reload command
    QJsonObject toBody() const;
    static std::expected<ReloadStartedEvent, QString> fromBody(const QJsonObject& body);
};

struct ReloadFinishedEvent {
    static constexpr const char* kName = "reloadFinished";
    bool ok = true;
    double durationMs = 0;
    std::optional<ConfigError> error; // file, line, column (0: unknown), message
    QJsonObject toBody() const;
    static std::expected<ReloadFinishedEvent, QString> fromBody(const QJsonObject& body);
};

struct TraceFrame {
    QString file;
    int line = 0;
    QString function;
    bool inProject = false; // the file is under the project folder
};

// An uncaught Python (or JS) exception: in a handler, at import, in a background task.
struct ExceptionEvent {
    static constexpr const char* kName = "exception";
    QString type;                   // "ZeroDivisionError"
    QString message;                // "division by zero"
    std::vector<TraceFrame> frames; // outermost first, as Python prints them
    QString text;                   // the traceback as printed
    QJsonObject toBody() const;
    static std::expected<ExceptionEvent, QString> fromBody(const QJsonObject& body);
};

struct BootPhaseEvent {
    static constexpr const char* kName = "bootPhase";
    QString name;
    double startMs = 0; // since the instance started booting
    double durationMs = 0;
    QJsonObject toBody() const;
    static std::expected<BootPhaseEvent, QString> fromBody(const QJsonObject& body);
};

// The stores layer's enum, so the protocol and StateLayout can never disagree on the kinds.
using StoreKind = kiln::StoreKind;
QString storeKindName(StoreKind kind); // "kv", "d1", "r2", "workflow"
std::optional<StoreKind> parseStoreKind(QStringView name);

struct StoreChangedEvent {
    static constexpr const char* kName = "storeChanged";
    QString binding;
    StoreKind kind = StoreKind::Kv;
    QString key;   // KV and R2: the key written or deleted; empty when many changed
    QString table; // D1: the table written, when known
    QJsonObject toBody() const;
    static std::expected<StoreChangedEvent, QString> fromBody(const QJsonObject& body);
};

// The workflow engine did something to an instance: a status change, or a step started,
// finished, is retrying or failed. The timeline refreshes from the store on it.
struct WorkflowActivityEvent {
    static constexpr const char* kName = "workflowActivity";
    QString binding;  // the workflow's binding in the config
    QString workflow; // the workflow's name (its store)
    QString instance;
    QString what;   // "status", "stepStarted", "stepFinished", "stepRetrying", "stepFailed"
    QString step;   // the step's key, for step activity
    QString detail; // the status, or a failed attempt's error
    QJsonObject toBody() const;
    static std::expected<WorkflowActivityEvent, QString> fromBody(const QJsonObject& body);
};

// A message the host could not take: malformed frame or JSON, oversized, unknown type.
struct ErrorEvent {
    static constexpr const char* kName = "error";
    QString message;
    QJsonObject toBody() const;
    static std::expected<ErrorEvent, QString> fromBody(const QJsonObject& body);
};

template <typename T> Message makeEvent(const T& event) {
    return Message::event(QString::fromLatin1(T::kName), event.toBody());
}

} // namespace kiln::protocol
