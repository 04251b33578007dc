#pragma once

#include "protocol/loglevel.h"
#include "protocol/message.h"

#include <QJsonObject>
#include <QString>

#include <expected>

namespace kiln::protocol {

// Typed commands (requests from the client). Each is answered by a response: success, or
// success false with the reason. An unknown command is answered the same way, never ignored.
// Names kept for later issues: "workflow*", "profile*", and DAP's debugger requests.

// Optional first request: the client states its protocol version; another version is refused.
struct InitializeCommand {
    static constexpr const char* kName = "initialize";
    int protocol = kVersion;
    QString client;
    QJsonObject toArguments() const;
    static std::expected<InitializeCommand, QString> fromArguments(const QJsonObject& arguments);
};

struct ReloadCommand {
    static constexpr const char* kName = "reload";
    QJsonObject toArguments() const { return {}; }
    static std::expected<ReloadCommand, QString> fromArguments(const QJsonObject&) {
        return ReloadCommand{};
    }
};

// The client is about to change the project (an editor holds unsaved changes): a spare
// instance is restored now, so that the reload the save brings is quick.
struct PrepareReloadCommand {
    static constexpr const char* kName = "prepareReload";
    QJsonObject toArguments() const { return {}; }
    static std::expected<PrepareReloadCommand, QString> fromArguments(const QJsonObject&) {
        return PrepareReloadCommand{};
    }
};

struct StopCommand {
    static constexpr const char* kName = "stop";
    QJsonObject toArguments() const { return {}; }
    static std::expected<StopCommand, QString> fromArguments(const QJsonObject&) {
        return StopCommand{};
    }
};

struct TriggerScheduledCommand {
    static constexpr const char* kName = "triggerScheduled";
    QString cron;
    QJsonObject toArguments() const;
    static std::expected<TriggerScheduledCommand, QString>
    fromArguments(const QJsonObject& arguments);
};

struct SetLogLevelCommand {
    static constexpr const char* kName = "setLogLevel";
    LogLevel level = LogLevel::Log;
    QJsonObject toArguments() const;
    static std::expected<SetLogLevelCommand, QString> fromArguments(const QJsonObject& arguments);
};

// The response's message when `initialize` names a version this build does not speak.
QString unsupportedVersionMessage(int requested);
// The answer to a request whose command is not known: success false, "unknown command 'x'".
Message unknownCommandResponse(const Message& request);

template <typename T> Message makeRequest(const T& command) {
    return Message::request(QString::fromLatin1(T::kName), command.toArguments());
}

} // namespace kiln::protocol
