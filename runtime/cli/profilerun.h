#pragma once

#include "protocol/importtime.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <vector>

namespace kiln {

// One cold start of a project, measured from outside as a person would live it: a fresh
// `kiln dev` process (its own state folder, the caches the mode gives it) from just before
// the spawn to the first complete HTTP 200, then SIGTERM and the time to exit. The worker's
// own boot phases come from its debug log ("boot: NAME X ms (at Y ms)").
struct ProfileSample {
    struct Phase {
        QString name;
        double startMs = 0; // since the process was spawned (boot start estimated, below)
        double durationMs = 0;
    };
    QString mode;
    double acceptMs = 0;        // first TCP connection accepted
    double firstResponseMs = 0; // first complete HTTP response (the server holds it until ready)
    int status = 0;
    double readyMs = 0;      // the worker's own clock: boot start to ready
    double bootStartMs = 0;  // firstResponseMs - readyMs: where the phases begin
    double cpuMs = 0;        // all threads, at the first response
    double peakRssMb = 0;    // VmHWM at the first response
    double snapshotMb = 0;   // the memory snapshot restored (0: none)
    double wasmMemoryMb = 0; // the wasm memory when the worker was ready
    double exitMs = 0;       // SIGTERM to exit
    std::vector<Phase> phases;
    std::vector<ImportTime> imports;
    QString error;  // set when the run failed; the rest may be partial
    QString output; // the process's output, for the error
};

struct ProfileRunOptions {
    QString kiln;    // the executable
    QString project; // folder or config
    QString mode;    // a label
    QProcessEnvironment env;
    QString path = QStringLiteral("/"); // the request timed
    bool importTime = false;            // run Python with -X importtime
    int timeoutMs = 120000;
};

ProfileSample profileOnce(const ProfileRunOptions& options);

// The child ends with its parent (a `kiln profile` stopped by SIGTERM leaves no kiln behind).
void endWithParent(QProcess& process);

} // namespace kiln
