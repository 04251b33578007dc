#pragma once

#include "stores/workflowtypes.h"

#include <QJsonObject>

#include <vector>

namespace kiln {

// How `kiln workflows` shows instances: with --json, the shapes of Cloudflare's Workflows
// API (what `wrangler workflows ... --json` prints: ISO times, steps typed "step", "sleep",
// "waitForEvent"); otherwise wrangler's labelled text and tables.
QJsonObject workflowInstanceSummaryJson(const WorkflowInstance& instance);
QJsonObject workflowInstanceDetailJson(const WorkflowInstance& instance,
                                       const std::vector<WorkflowStep>& steps);

struct WorkflowDescribeOptions {
    bool stepOutput = true;
    int truncateOutputLimit = 5000;
    qint64 nowMs = 0; // durations of what is still running end here
};
void printWorkflowInstance(const QString& workflow, const WorkflowInstance& instance,
                           const std::vector<WorkflowStep>& steps,
                           const WorkflowDescribeOptions& options);
void printWorkflowInstanceTable(const std::vector<WorkflowInstance>& instances, qint64 nowMs);

// Labels as wrangler's: "✅ Completed", "⏰ Waiting", ...
QString workflowStatusLabel(WorkflowStatus status);
// Local time to the second.
QString workflowTimeText(qint64 ms);

} // namespace kiln
