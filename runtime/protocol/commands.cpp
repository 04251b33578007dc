#include "protocol/commands.h"

#include "protocol/jsonfields.h"

namespace kiln::protocol {

using detail::FieldReader;

QJsonObject InitializeCommand::toArguments() const {
    return {
        {QLatin1String("protocol"), protocol},
        {QLatin1String("client"), client},
    };
}

std::expected<InitializeCommand, QString>
InitializeCommand::fromArguments(const QJsonObject& arguments) {
    FieldReader r(kName, arguments);
    InitializeCommand c;
    c.protocol = r.int32("protocol");
    c.client = r.string("client", FieldReader::Optional);
    if (!r.ok()) return r.failure();
    return c;
}

QJsonObject TriggerScheduledCommand::toArguments() const {
    return {{QLatin1String("cron"), cron}};
}

std::expected<TriggerScheduledCommand, QString>
TriggerScheduledCommand::fromArguments(const QJsonObject& arguments) {
    FieldReader r(kName, arguments);
    TriggerScheduledCommand c;
    c.cron = r.string("cron");
    if (!r.ok()) return r.failure();
    return c;
}

QJsonObject SetLogLevelCommand::toArguments() const {
    return {{QLatin1String("level"), logLevelName(level)}};
}

std::expected<SetLogLevelCommand, QString>
SetLogLevelCommand::fromArguments(const QJsonObject& arguments) {
    FieldReader r(kName, arguments);
    SetLogLevelCommand c;
    const QString name = r.string("level");
    if (!r.ok()) return r.failure();
    const std::optional<LogLevel> level = parseLogLevel(name);
    if (!level) {
        r.fail(
            "level",
            QStringLiteral("must be debug, log, info, warn, error or none, not \"%1\"").arg(name));
        return r.failure();
    }
    c.level = *level;
    return c;
}

QString unsupportedVersionMessage(int requested) {
    return QStringLiteral("protocol version %1 is not supported; this kiln speaks version %2")
        .arg(requested)
        .arg(kVersion);
}

Message unknownCommandResponse(const Message& request) {
    return Message::response(request, false,
                             QStringLiteral("unknown command '%1'").arg(request.name));
}

} // namespace kiln::protocol
