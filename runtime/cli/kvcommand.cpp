#include "cli/kvcommand.h"

#include "cli/storeoptions.h"
#include "session/terminal.h"
#include "stores/kvstore.h"
#include "stores/statelayout.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace kiln {

namespace {

QString kvError(const char* op, const KvError& e) {
    return QStringLiteral("KV %1 failed: %2 %3")
        .arg(QLatin1String(op))
        .arg(e.status)
        .arg(e.message);
}

} // namespace

int runKvCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Read and write a KV namespace's local data."));
    parser.addHelpOption();
    parser.addPositionalArgument(
        QStringLiteral("action"),
        QStringLiteral("key list | key get KEY | key put KEY [VALUE] | key delete KEY"));
    parser.addOption({QStringLiteral("binding"),
                      QStringLiteral("The namespace's binding name in the config."),
                      QStringLiteral("name")});
    parser.addOption({QStringLiteral("namespace-id"), QStringLiteral("The namespace's id."),
                      QStringLiteral("id")});
    parser.addOption({QStringLiteral("prefix"),
                      QStringLiteral("list: only keys starting with this."),
                      QStringLiteral("prefix")});
    parser.addOption({QStringLiteral("path"), QStringLiteral("put: read the value from this file."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("metadata"), QStringLiteral("put: metadata as JSON."),
                      QStringLiteral("json")});
    parser.addOption({QStringLiteral("ttl"),
                      QStringLiteral("put: seconds until the key expires (at least 60)."),
                      QStringLiteral("seconds")});
    parser.addOption({QStringLiteral("text"),
                      QStringLiteral("get: print the value as text (UTF-8), with a newline.")});
    parser.addOption({QStringLiteral("expiration"),
                      QStringLiteral("put: expiry time, seconds since the epoch."),
                      QStringLiteral("seconds")});
    addStoreOptions(parser);
    parser.process(args);

    const QStringList pos = parser.positionalArguments();
    if (pos.value(0) != QLatin1String("key") || pos.size() < 2)
        return commandFailed(
            QStringLiteral("usage: kiln kv key list|get|put|delete [KEY] [VALUE] --binding NAME"));
    const QString action = pos.at(1);

    auto loaded = loadStoreProject(parser, nullptr); // --preview: the namespace's preview_id
    if (!loaded) return commandFailed(loaded.error());
    const ProjectConfig* project = &loaded->project;
    QString id = parser.value(QStringLiteral("namespace-id"));
    if (id.isEmpty()) {
        const QString binding = parser.value(QStringLiteral("binding"));
        if (binding.isEmpty())
            return commandFailed(
                QStringLiteral("say which namespace: --binding NAME or --namespace-id ID"));
        QStringList known;
        const KvNamespaceDecl* found = nullptr;
        for (const auto& ns : project->kvNamespaces) {
            known << ns.binding;
            if (ns.binding == binding) found = &ns;
        }
        // --preview: the namespace's preview_id, as wrangler reads it (an error without one).
        if (found && parser.isSet(QStringLiteral("preview"))) {
            if (found->previewId.isEmpty())
                return commandFailed(QStringLiteral("No preview ID found for %1. Add one to your "
                                                    "wrangler config file to use a separate "
                                                    "namespace for previewing your worker.")
                                         .arg(binding));
            id = found->previewId;
        } else if (found) {
            id = found->id;
        }
        if (id.isEmpty())
            return commandFailed(
                QStringLiteral("%1 has no KV namespace bound as \"%2\" (kv_namespaces: %3)")
                    .arg(project->configFile, binding,
                         known.isEmpty() ? QStringLiteral("none")
                                         : known.join(QStringLiteral(", "))));
    }
    KvStore store(StateLayout(loaded->persistDir).kvFile(id));
    if (auto r = store.open(); !r) return commandFailed(r.error());
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QByteArray key = pos.value(2).toUtf8();

    if (action == QLatin1String("list")) {
        QJsonArray out;
        QByteArray cursor;
        for (;;) {
            auto page = store.list(parser.value(QStringLiteral("prefix")).toUtf8(),
                                   KvStore::kMaxListLimit, cursor, now);
            if (!page) return commandFailed(kvError("LIST", page.error()));
            for (const auto& k : page->keys) {
                QJsonObject item{{QStringLiteral("name"), QString::fromUtf8(k.name)}};
                if (k.expiration) item.insert(QStringLiteral("expiration"), double(*k.expiration));
                if (!k.metadata.isEmpty())
                    item.insert(QStringLiteral("metadata"),
                                QJsonDocument::fromJson("[" + k.metadata + "]").array().at(0));
                out.append(item);
            }
            if (page->complete) break;
            cursor = page->cursor;
        }
        fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
        return 0;
    }
    if (pos.size() < 3)
        return commandFailed(QStringLiteral("kiln kv key %1 needs a KEY").arg(action));
    if (action == QLatin1String("get")) {
        auto got = store.get(key, now);
        if (!got) return commandFailed(kvError("GET", got.error()));
        // As wrangler: a missing key is "Value not found" on stdout and success (exit 0).
        if (!*got) {
            fputs("Value not found\n", stdout);
            return 0;
        }
        if (parser.isSet(QStringLiteral("text"))) {
            const QByteArray text = QString::fromUtf8((*got)->value).toUtf8() + '\n';
            fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
        } else {
            fwrite((*got)->value.constData(), 1, static_cast<size_t>((*got)->value.size()), stdout);
        }
        return 0;
    }
    if (action == QLatin1String("delete")) {
        if (auto r = store.remove(key); !r) return commandFailed(kvError("DELETE", r.error()));
        terminalInfo(QStringLiteral("Deleted key \"%1\"").arg(pos.at(2)));
        return 0;
    }
    if (action == QLatin1String("put")) {
        QByteArray value;
        if (parser.isSet(QStringLiteral("path"))) {
            QFile file(parser.value(QStringLiteral("path")));
            if (!file.open(QIODevice::ReadOnly))
                return commandFailed(
                    QStringLiteral("%1: %2").arg(file.fileName(), file.errorString()));
            value = file.readAll();
        } else if (pos.size() >= 4) {
            value = pos.at(3).toUtf8();
        } else {
            return commandFailed(QStringLiteral("kiln kv key put needs a VALUE or --path FILE"));
        }
        // As workerd (and so wrangler): both are 32-bit integers; beyond that, its TypeError.
        for (const char* name : {"ttl", "expiration"}) {
            const QString option = QLatin1String(name);
            if (!parser.isSet(option)) continue;
            bool number = false;
            const double value = parser.value(option).toDouble(&number);
            if (number && (value < -2147483648.0 || value > 2147483647.0))
                return commandFailed(QStringLiteral("Value out of range. Must be between "
                                                    "-2147483648 and 2147483647 (inclusive)."));
        }
        std::optional<qint64> expiration;
        if (parser.isSet(QStringLiteral("ttl"))) {
            const qint64 ttl = parser.value(QStringLiteral("ttl")).toLongLong();
            if (ttl < KvStore::kMinTtlSeconds)
                return commandFailed(QStringLiteral("KV PUT failed: 400 Invalid expiration_ttl of "
                                                    "%1. Expiration TTL must be at least 60.")
                                         .arg(parser.value(QStringLiteral("ttl"))));
            expiration = now + ttl;
        } else if (parser.isSet(QStringLiteral("expiration"))) {
            expiration = parser.value(QStringLiteral("expiration")).toLongLong();
        }
        QByteArray metadata;
        if (parser.isSet(QStringLiteral("metadata"))) {
            metadata = parser.value(QStringLiteral("metadata")).toUtf8();
            QJsonParseError error;
            QJsonDocument::fromJson("[" + metadata + "]", &error);
            if (error.error != QJsonParseError::NoError)
                return commandFailed(
                    QStringLiteral("--metadata is not JSON: %1").arg(error.errorString()));
        }
        if (auto r = store.put(key, value, expiration, metadata, now); !r)
            return commandFailed(kvError("PUT", r.error()));
        terminalInfo(
            QStringLiteral("Wrote %1 bytes to key \"%2\"").arg(value.size()).arg(pos.at(2)));
        return 0;
    }
    return commandFailed(
        QStringLiteral("unknown action \"kv key %1\": use list, get, put or delete").arg(action));
}

} // namespace kiln
