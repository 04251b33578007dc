#include "cli/storeoptions.h"

#include "session/terminal.h"

#include "stores/statelayout.h"

namespace kiln {

void addStoreOptions(QCommandLineParser& parser) {
    parser.addOption({QStringLiteral("persist-to"),
                      QStringLiteral("Folder for local binding state (default %1).")
                          .arg(StateLayout::defaultRoot(QStringLiteral("<project>"))),
                      QStringLiteral("dir")});
    parser.addOption({{QStringLiteral("c"), QStringLiteral("config")},
                      QStringLiteral("Project folder or wrangler config (default: .)."),
                      QStringLiteral("path"),
                      QStringLiteral(".")});
    parser.addOption({{QStringLiteral("e"), QStringLiteral("env")},
                      QStringLiteral("Wrangler environment to use."),
                      QStringLiteral("name")});
    parser.addOption(
        {QStringLiteral("local"),
         QStringLiteral("Accepted for wrangler compatibility; Kiln is always local.")});
    parser.addOption({QStringLiteral("remote"),
                      QStringLiteral("Not available: Kiln never talks to Cloudflare.")});
    parser.addOption({QStringLiteral("preview"),
                      QStringLiteral("KV: use the namespace's preview_id, as wrangler does.")});
}

std::expected<StoreProject, QString> loadStoreProject(const QCommandLineParser& parser,
                                                      const char* previewUnsupported) {
    // Not ignored silently: wrangler would switch to the preview resource.
    if (previewUnsupported && parser.isSet(QStringLiteral("preview")))
        return std::unexpected(QStringLiteral("--preview is not supported for %1 in Kiln yet "
                                              "(it is for KV namespaces)")
                                   .arg(QLatin1String(previewUnsupported)));
    if (parser.isSet(QStringLiteral("remote")))
        return std::unexpected(
            QStringLiteral("--remote is not available: Kiln works on local data only"));
    auto project =
        loadProject(parser.value(QStringLiteral("config")), {parser.value(QStringLiteral("env"))});
    if (!project) return std::unexpected(project.error().toString());
    StoreProject out{*project, {}};
    out.persistDir =
        StateLayout::forProject(*project, parser.value(QStringLiteral("persist-to"))).root();
    return out;
}

int commandFailed(const QString& message) {
    terminalError(message);
    return 1;
}

} // namespace kiln
