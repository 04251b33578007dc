#pragma once

#include "stores/workflowtypes.h"

#include <QMetaType>
#include <QString>

#include <map>
#include <vector>

namespace kiln {

// What the workflow pane shows, read at one moment on the loader's thread: every instance
// (newest first) and the steps of the instances the timeline shows.
struct WorkflowSnapshot {
    std::vector<WorkflowInstance> instances;
    std::map<QString, std::vector<WorkflowStep>> steps; // by instance id
    qint64 version = 0;                                 // the store's data_version when read
    bool missing = false;                               // no store file yet: the workflow never ran
    QString error;
};

class WorkflowStore;
// Reads a snapshot of `store` with the steps of `ids`; a store whose file does not exist
// yet is not created (the snapshot says `missing`).
WorkflowSnapshot loadWorkflowSnapshot(WorkflowStore& store, const QStringList& ids);

// One bar of a step's row on the timeline. Times are ms since the epoch; `end` of something
// still going is the `now` the segments were made for (it grows as the pane repaints).
struct TimelineSegment {
    enum Kind {
        AttemptSucceeded,
        AttemptFailed,
        AttemptRunning,
        AttemptInterrupted, // the process running it died (kill -9): it ran again
        RetryWait,          // between a failed attempt and the next (hatched)
        Sleep,
        EventWait,
        Planned, // the rest of a sleep or an event wait's timeout, not reached yet
    };
    Kind kind = AttemptSucceeded;
    qint64 start = 0, end = 0;
    QString text; // the tooltip: what it is, how long, its error
};
std::vector<TimelineSegment> timelineSegments(const WorkflowStep& step, qint64 now);

} // namespace kiln

Q_DECLARE_METATYPE(kiln::WorkflowSnapshot)
