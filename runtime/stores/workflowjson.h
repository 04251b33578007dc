#pragma once

#include "stores/workflowtypes.h"

#include <QJsonObject>

namespace kiln {

// Workflow records as JSON objects: what the engine's ops hand to JS, what `kiln workflows
// ... --json` prints and what the studio reads. Stored JSON texts (params, output, config,
// payload) are embedded as values, not strings; times are ms since the epoch, 0 or absent
// when not reached.
QJsonObject workflowInstanceJson(const WorkflowInstance& instance);
QJsonObject workflowStepJson(const WorkflowStep& step);
QJsonObject workflowEventJson(const WorkflowEvent& event);
// A span as a person reads it: "420 ms", "2.50 s", "3 min 4 s", "1 h 5 min".
QString workflowDurationText(qint64 ms);
// A stored JSON text as a value (null when empty or not JSON).
QJsonValue workflowJsonValue(const QByteArray& text);

} // namespace kiln
