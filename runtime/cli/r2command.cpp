#include "cli/r2command.h"

#include "cli/storeoptions.h"
#include "session/terminal.h"
#include "stores/r2bucket.h"
#include "stores/statelayout.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cstdio>

namespace kiln {

namespace {

QString r2Error(const char* op, const R2Error& e) {
    return QStringLiteral("%1: %2 (%3)").arg(QLatin1String(op), e.message).arg(e.code);
}

} // namespace

int runR2Command(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Read and write an R2 bucket's local objects."));
    parser.addHelpOption();
    parser.addPositionalArgument(
        QStringLiteral("action"),
        QStringLiteral("object put|get|delete BUCKET/KEY | object list BUCKET"));
    parser.addOption({{QStringLiteral("f"), QStringLiteral("file")},
                      QStringLiteral("put: read from / get: write to this file."),
                      QStringLiteral("file")});
    parser.addOption({{QStringLiteral("p"), QStringLiteral("pipe")},
                      QStringLiteral("put: read stdin / get: write stdout (get's default is a file "
                                     "named after the key).")});
    parser.addOption({{QStringLiteral("ct"), QStringLiteral("content-type")},
                      QStringLiteral("put: the object's Content-Type."),
                      QStringLiteral("type")});
    parser.addOption({QStringLiteral("prefix"),
                      QStringLiteral("list: only keys starting with this."),
                      QStringLiteral("prefix")});
    addStoreOptions(parser);
    parser.process(args);

    const QStringList pos = parser.positionalArguments();
    if (pos.value(0) != QLatin1String("object") || pos.size() < 3)
        return commandFailed(QStringLiteral("usage: kiln r2 object put|get|delete BUCKET/KEY "
                                            "[--file F]; kiln r2 object list BUCKET"));
    const QString action = pos.at(1);
    const QString target = pos.at(2);
    const qsizetype slash = target.indexOf(QLatin1Char('/'));
    const QString bucketName = action == QLatin1String("list") ? target : target.left(slash);
    const QByteArray key = slash < 0 ? QByteArray() : target.mid(slash + 1).toUtf8();
    if (action != QLatin1String("list") && (slash < 0 || key.isEmpty()))
        return commandFailed(
            QStringLiteral("say which object: BUCKET/KEY, not \"%1\"").arg(target));

    auto loaded = loadStoreProject(parser, "R2 (preview_bucket_name)");
    if (!loaded) return commandFailed(loaded.error());
    QString bucketDirName;
    QStringList known;
    for (const auto& b : loaded->project.r2Buckets) {
        known << b.bucketName;
        if (b.bucketName == bucketName || b.binding == bucketName) bucketDirName = b.bucketName;
    }
    if (bucketDirName.isEmpty())
        return commandFailed(
            QStringLiteral("%1 has no R2 bucket named or bound as \"%2\" (r2_buckets: %3)")
                .arg(loaded->project.configFile, bucketName,
                     known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))));
    R2Bucket bucket(StateLayout(loaded->persistDir).r2Dir(bucketDirName));
    if (auto r = bucket.open(); !r) return commandFailed(r.error());

    if (action == QLatin1String("list")) {
        R2ListOptions options;
        options.prefix = parser.value(QStringLiteral("prefix")).toUtf8();
        QJsonArray out;
        for (;;) {
            auto page = bucket.list(options);
            if (!page) return commandFailed(r2Error("list", page.error()));
            for (const auto& o : page->objects)
                out.append(QJsonObject{{QStringLiteral("key"), QString::fromUtf8(o.key)},
                                       {QStringLiteral("size"), double(o.size)},
                                       {QStringLiteral("etag"), o.etag},
                                       {QStringLiteral("uploaded"),
                                        QDateTime::fromMSecsSinceEpoch(o.uploadedMs, Qt::UTC)
                                            .toString(Qt::ISODateWithMs)}});
            if (!page->truncated) break;
            options.cursor = page->cursor;
        }
        fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
        return 0;
    }
    if (action == QLatin1String("delete")) {
        if (auto r = bucket.remove({key}); !r) return commandFailed(r2Error("delete", r.error()));
        terminalInfo(
            QStringLiteral("Deleted object %1/%2").arg(bucketName, QString::fromUtf8(key)));
        return 0;
    }
    if (action == QLatin1String("put")) {
        QFile in;
        if (parser.isSet(QStringLiteral("file"))) {
            in.setFileName(parser.value(QStringLiteral("file")));
            if (!in.open(QIODevice::ReadOnly))
                return commandFailed(QStringLiteral("%1: %2").arg(in.fileName(), in.errorString()));
        } else if (parser.isSet(QStringLiteral("pipe"))) {
            if (!in.open(stdin, QIODevice::ReadOnly))
                return commandFailed(QStringLiteral("cannot read standard input"));
        } else {
            return commandFailed(QStringLiteral("kiln r2 object put needs --file FILE or --pipe"));
        }
        auto upload = bucket.beginUpload();
        if (!upload) return commandFailed(r2Error("put", upload.error()));
        for (;;) {
            const QByteArray chunk = in.read(1 << 20);
            if (chunk.isEmpty()) break;
            if (!(*upload)->append(chunk))
                return commandFailed(QStringLiteral("put: ") + (*upload)->error());
        }
        R2PutOptions options;
        if (parser.isSet(QStringLiteral("content-type")))
            options.httpMetadata =
                QJsonDocument(QJsonObject{{QStringLiteral("contentType"),
                                           parser.value(QStringLiteral("content-type"))}})
                    .toJson(QJsonDocument::Compact);
        auto put = bucket.put(key, **upload, options);
        if (!put) return commandFailed(r2Error("put", put.error()));
        terminalInfo(QStringLiteral("Uploaded %1/%2 (%3 bytes)")
                         .arg(bucketName, QString::fromUtf8(key))
                         .arg((*put)->size));
        return 0;
    }
    if (action == QLatin1String("get")) {
        auto got = bucket.get(key, {}, {});
        if (!got) return commandFailed(r2Error("get", got.error()));
        if (!*got)
            return commandFailed(QStringLiteral("The specified key does not exist: %1/%2")
                                     .arg(bucketName, QString::fromUtf8(key)));
        auto& body = *(**got).second;
        // As wrangler: without --file or --pipe the object goes to a file named after its key
        // (folders made as needed). A key that would land outside the current folder (absolute,
        // or with a ".." part) is refused rather than followed.
        QString path = parser.value(QStringLiteral("file"));
        const bool toFile = !parser.isSet(QStringLiteral("pipe"));
        if (toFile && path.isEmpty()) {
            path = QString::fromUtf8(key);
            if (QDir::isAbsolutePath(path) ||
                path.split(QLatin1Char('/')).contains(QLatin1String("..")))
                return commandFailed(QStringLiteral("the key \"%1\" is not a safe file name here; "
                                                    "say where with --file FILE, or use --pipe")
                                         .arg(path));
            if (!QDir().mkpath(QFileInfo(path).path()))
                return commandFailed(QStringLiteral("cannot make the folder for %1").arg(path));
        }
        if (toFile)
            fprintf(stdout, "Downloading \"%s\" from \"%s\".\n", key.constData(),
                    bucketName.toUtf8().constData());
        QSaveFile file(path);
        QFile out;
        QIODevice* sink = &file;
        if (toFile) {
            if (!file.open(QIODevice::WriteOnly))
                return commandFailed(
                    QStringLiteral("%1: %2").arg(file.fileName(), file.errorString()));
        } else {
            out.open(stdout, QIODevice::WriteOnly);
            sink = &out;
        }
        while (body.remaining() > 0) {
            const auto chunk = body.read(1 << 20);
            if (!chunk) return commandFailed(QStringLiteral("get: %1").arg(chunk.error()));
            if (sink->write(*chunk) != chunk->size())
                return commandFailed(QStringLiteral("get: could not copy the object's bytes"));
        }
        if (toFile && !file.commit())
            return commandFailed(QStringLiteral("%1: %2").arg(file.fileName(), file.errorString()));
        return 0;
    }
    return commandFailed(
        QStringLiteral("unknown action \"r2 object %1\": use put, get, delete or list")
            .arg(action));
}

} // namespace kiln
