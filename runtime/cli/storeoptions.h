#pragma once

#include "project/projectconfig.h"

#include <QCommandLineParser>

#include <expected>

namespace kiln {

// The options every binding-data command shares with wrangler's (`kiln kv`, `kiln d1`):
// --persist-to, -c/--config, -e/--env, and --local/--preview accepted for compatibility.
void addStoreOptions(QCommandLineParser& parser);

struct StoreProject {
    ProjectConfig project;
    QString persistDir; // --persist-to, else <project>/.kiln/state, as `kiln dev` uses
};
std::expected<StoreProject, QString> loadStoreProject(const QCommandLineParser& parser);

// Prints `message` as an error and answers the commands' failure exit code (1).
int commandFailed(const QString& message);

} // namespace kiln
