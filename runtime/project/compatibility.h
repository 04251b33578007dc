#pragma once

#include <QDate>
#include <QString>
#include <QStringList>

namespace kiln {

// What Kiln itself runs. One Pyodide is bundled (.deps/npm, see installers/bootstrap.sh).
inline constexpr auto kBundledPyodideVersion = "314.0.7";
inline constexpr auto kBundledPythonVersion = "3.14.2";

// A Pyodide release as Cloudflare's runtime (workerd) selects it for a Worker.
struct PyodideRelease {
    QString pyodideVersion; // e.g. "0.28.2"
    QString pythonVersion;  // e.g. "3.13.2"
    QString flag; // the compatibility flag that selects it, e.g. "python_workers_20250116"
};

// Compatibility flags are on when listed, or when implied by the date and not switched off
// with their "no_" counterpart; this answers that question for the Python flags Kiln knows.
bool compatibilityFlagEnabled(const QString& flag, const QDate& date, const QStringList& flags);

// True when Python Workers are enabled: "python_workers" itself, or a flag that implies it.
bool pythonWorkersEnabled(const QStringList& flags);

// The Pyodide Cloudflare would boot for a Python Worker with this date and these flags
// (assumes pythonWorkersEnabled(flags)). The table is in compatibility.cpp, with sources.
PyodideRelease cloudflarePyodideRelease(const QDate& date, const QStringList& flags);

// Node.js's `process` global as workerd gives it (compatibility-date.capnp): present with
// nodejs_compat_v2, which nodejs_compat implies from 2024-09-23 and every worker has from
// 2026-08-04 (no_nodejs_compat_v2 turns it off); `env` holds the text bindings with
// nodejs_compat_populate_process_env, which Node.js compatibility implies from 2025-04-01.
struct NodeProcessGlobal {
    bool present = false;
    bool populateEnv = false;
};
NodeProcessGlobal nodeProcessGlobal(const QDate& date, const QStringList& flags);

// True when a release and Kiln's bundled Pyodide are the same line (same Pyodide major.minor,
// hence the same Python minor version and wheel ABI), i.e. a patch-level difference at most.
// A different line is worth a warning: the language, stdlib and python_modules wheels differ.
bool sameLineAsBundled(const PyodideRelease& release);

} // namespace kiln
