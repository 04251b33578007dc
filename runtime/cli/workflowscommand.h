#pragma once

#include <QStringList>

namespace kiln {

// `kiln workflows ...`: wrangler's workflows commands over the project's local workflow
// stores. They work with or without `kiln dev` running: a running engine notices what they
// write (a trigger, a pause, an event) within a quarter second.
int runWorkflowsCommand(const QStringList& args);

} // namespace kiln
