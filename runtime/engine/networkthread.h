#pragma once

#include <functional>

class QNetworkAccessManager;

namespace kiln {

// The process-wide thread that owns every outbound HTTP connection. Isolate threads never
// run a Qt event loop (they run kiln's EventLoop), so QNetworkAccessManager and its replies
// live here, on a QThread of their own, and talk back to isolates only through
// EventLoop::post(). One manager for the whole process lets requests from all isolates
// share its connection pool and DNS cache.
class NetworkThread {
public:
    using Task = std::function<void(QNetworkAccessManager&)>;

    // Runs `task` on the network thread with its manager. Thread-safe. Starts the thread on
    // first use. After the QCoreApplication is gone the thread is stopped and tasks are
    // dropped (nothing could deliver their results any more).
    static void post(Task task);
};

} // namespace kiln
