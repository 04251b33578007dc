#include "project/compatibility.h"

#include <array>

namespace kiln {

// Sources (read 2026-10):
//  - workerd src/workerd/io/compatibility-date.capnp: python_workers (no date; implied by
//    python_workers_development), python_workers_20250116 (disable flag
//    no_python_workers_20250116, implied by python_workers after 2025-09-29).
//  - Cloudflare docs, compatibility-flags/python-workers-314.md: python_workers_314,
//    enable_date 2026-09-08 ("the Python version is selected based on the compatibility date").
//  - workerd build/python_metadata.bzl: which Pyodide each flag selects: python_workers ->
//    0.26.0a2 (Python 3.12.1), python_workers_20250116 -> 0.28.2 (3.13.2),
//    python_workers_20260610 -> 314.0.4 (3.14.2, opt-in only, never implied by a date),
//    python_workers_314 -> 314.0.6 (3.14.2), python_workers_development -> the dev build,
//    currently 314.0.6.
//  - cloudflare/workers-py pywrangler metadata.py: same date thresholds for 3.13 / 3.14.
// When several are on, workerd takes the newest release; the table is ordered newest first.
namespace {

struct ImpliedFlag {
    const char* flag;
    const char* date; // on from this date when python_workers is on, unless "no_<flag>"
};

constexpr std::array kImplied{
    ImpliedFlag{"python_workers_20250116", "2025-09-29"},
    ImpliedFlag{"python_workers_314", "2026-09-08"},
    // compatibility-date.capnp: pythonWorkflowsImplicitDeps, impliedByAfterDate
    // (pythonWorkers, 2026-02-25): step dependencies named by parameters, no `depends=`.
    ImpliedFlag{"python_workflows_implicit_dependencies", "2026-02-25"},
    // workflowsPreserveNonRetryableErrorMessage: a plain enable date (Kiln's workers are
    // always Python Workers); its off switch is workflows_replace_non_retryable_error_message.
    ImpliedFlag{"workflows_preserve_non_retryable_error_message", "2026-05-14"},
    // pythonDedicatedSnapshot: impliedByAfterDate(pythonWorkers20250116, 2025-10-16), which
    // python_workers implies from 2025-09-29; off switch disable_python_dedicated_snapshot.
    ImpliedFlag{"python_dedicated_snapshot", "2025-10-16"},
    // pythonProcessPthFiles: a plain enable date; off switch disable_python_process_pth_files.
    ImpliedFlag{"python_process_pth_files", "2026-05-26"},
    // WebSockets (compatibility-date.capnp): webSocketAutoReplyToClose (off switch
    // web_socket_manual_reply_to_close), websocketBinaryTypeDefault ("blob" by default),
    // websocketCloseReasonByteLimit (a close reason over 123 bytes is a SyntaxError).
    ImpliedFlag{"web_socket_auto_reply_to_close", "2026-04-07"},
    ImpliedFlag{"websocket_standard_binary_type", "2026-03-17"},
    ImpliedFlag{"websocket_close_reason_byte_limit", "2026-03-03"},
};

struct ReleaseRow {
    const char* flag;
    const char* pyodide;
    const char* python;
};

constexpr std::array kReleases{
    ReleaseRow{"python_workers_development", "314.0.6", "3.14.2"},
    ReleaseRow{"python_workers_314", "314.0.6", "3.14.2"},
    ReleaseRow{"python_workers_20260610", "314.0.4", "3.14.2"},
    ReleaseRow{"python_workers_20250116", "0.28.2", "3.13.2"},
    ReleaseRow{"python_workers", "0.26.0a2", "3.12.1"},
};

// "314.0.6" -> "314.0", "0.28.2" -> "0.28"
QString majorMinor(const QString& version) {
    const QStringList parts = version.split(QLatin1Char('.'));
    return parts.size() < 2 ? version : parts.at(0) + QLatin1Char('.') + parts.at(1);
}

} // namespace

bool pythonWorkersEnabled(const QStringList& flags) {
    return flags.contains(QLatin1String("python_workers")) ||
           flags.contains(QLatin1String("python_workers_development"));
}

bool compatibilityFlagEnabled(const QString& flag, const QDate& date, const QStringList& flags) {
    if (flags.contains(flag)) return true;
    if (flag == QLatin1String("python_workers")) return pythonWorkersEnabled(flags);
    if (flags.contains(QLatin1String("no_") + flag)) return false;
    if (flag == QLatin1String("python_dedicated_snapshot") &&
        flags.contains(QLatin1String("disable_python_dedicated_snapshot")))
        return false;
    if (flag == QLatin1String("python_process_pth_files") &&
        flags.contains(QLatin1String("disable_python_process_pth_files")))
        return false;
    if (flag == QLatin1String("web_socket_auto_reply_to_close") &&
        flags.contains(QLatin1String("web_socket_manual_reply_to_close")))
        return false;
    if (flag == QLatin1String("workflows_preserve_non_retryable_error_message") &&
        flags.contains(QLatin1String("workflows_replace_non_retryable_error_message")))
        return false;
    for (const ImpliedFlag& implied : kImplied) {
        if (flag == QLatin1String(implied.flag))
            return pythonWorkersEnabled(flags) && date.isValid() &&
                   date >= QDate::fromString(QLatin1String(implied.date), Qt::ISODate);
    }
    return false;
}

PyodideRelease cloudflarePyodideRelease(const QDate& date, const QStringList& flags) {
    for (const ReleaseRow& row : kReleases) {
        const QString flag = QLatin1String(row.flag);
        if (compatibilityFlagEnabled(flag, date, flags))
            return {QLatin1String(row.pyodide), QLatin1String(row.python), flag};
    }
    const ReleaseRow& base = kReleases.back(); // the caller checked python_workers; be total anyway
    return {QLatin1String(base.pyodide), QLatin1String(base.python), QLatin1String(base.flag)};
}

NodeProcessGlobal nodeProcessGlobal(const QDate& date, const QStringList& flags) {
    const auto on = [&](const char* flag) { return flags.contains(QLatin1String(flag)); };
    const auto since = [&](const char* day) {
        return date.isValid() && date >= QDate::fromString(QLatin1String(day), Qt::ISODate);
    };
    const bool v2 = on("nodejs_compat_v2") ||
                    (!on("no_nodejs_compat_v2") &&
                     ((on("nodejs_compat") && since("2024-09-23")) || since("2026-08-04")));
    const bool nodeCompat = on("nodejs_compat") || v2; // v2 implies nodejs_compat
    const bool populate =
        on("nodejs_compat_populate_process_env") ||
        (!on("nodejs_compat_do_not_populate_process_env") && nodeCompat && since("2025-04-01"));
    return {v2, v2 && populate};
}

bool sameLineAsBundled(const PyodideRelease& release) {
    return majorMinor(release.pyodideVersion) ==
               majorMinor(QLatin1String(kBundledPyodideVersion)) &&
           majorMinor(release.pythonVersion) == majorMinor(QLatin1String(kBundledPythonVersion));
}

} // namespace kiln
