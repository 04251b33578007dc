#pragma once

#include "project/projectconfig.h"

#include <QCommandLineParser>

#include <expected>

namespace kiln {

// The options every binding-data command shares with wrangler's (`kiln kv`, `kiln d1`):
// --persist-to, -c/--config, -e/--env, --local (accepted for compatibility) and --preview.
void addStoreOptions(QCommandLineParser& parser);

struct StoreProject {
    ProjectConfig project;
    QString persistDir; // --persist-to, else <project>/.kiln/state, as `kiln dev` uses
};
// `previewUnsupported` names what --preview would switch for the command ("D1
// (preview_database_id)"); --preview is then an error rather than ignored. Null: the command
// handles --preview itself (KV).
std::expected<StoreProject, QString> loadStoreProject(const QCommandLineParser& parser,
                                                      const char* previewUnsupported);

// Prints `message` as an error and answers the commands' failure exit code (1).
int commandFailed(const QString& message);

} // namespace kiln
