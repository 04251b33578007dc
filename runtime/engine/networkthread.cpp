#include "engine/networkthread.h"

#include <QCoreApplication>
#include <QNetworkAccessManager>
#include <QNetworkCookie>
#include <QNetworkCookieJar>
#include <QSslConfiguration>
#include <QThread>

#include <mutex>

namespace kiln {

namespace {

// fetch() in Workers has no cookie store: a Set-Cookie answer must not turn up in the next
// request. QNetworkAccessManager always has a jar, so give it one that keeps nothing.
class NoCookies final : public QNetworkCookieJar {
public:
    using QNetworkCookieJar::QNetworkCookieJar;
    QList<QNetworkCookie> cookiesForUrl(const QUrl&) const override { return {}; }
    bool setCookiesFromUrl(const QList<QNetworkCookie>&, const QUrl&) override { return false; }
};

struct Shared {
    std::mutex mutex;
    QThread* thread = nullptr;
    QObject* context = nullptr; // lives on `thread`: queued calls target it, it owns the manager
    QNetworkAccessManager* manager = nullptr; // created and used on `thread` only
    bool stopped = false;
};

Shared& shared() {
    static auto* state = new Shared; // leaked on purpose: isolates may post during static teardown
    return *state;
}

// Runs from ~QCoreApplication: a QThread still running when the process exits aborts it, and
// replies must be deleted on the thread that owns them.
void stopThread() {
    auto& s = shared();
    QThread* thread = nullptr;
    {
        std::lock_guard lock(s.mutex);
        s.stopped = true;
        if (!s.thread) return;
        thread = s.thread;
        QObject* context = s.context;
        QMetaObject::invokeMethod(
            context,
            [context, thread] {
                delete context; // and with it the manager and every reply still open
                shared().manager = nullptr;
                thread->quit();
            },
            Qt::QueuedConnection);
    }
    thread->wait();
    delete thread;
}

// KILN_EXTRA_CA_CERTS names a PEM file of extra trusted roots, like Node's
// NODE_EXTRA_CA_CERTS: for a private CA or an intercepting proxy during local development
// (and for the tests' loopback HTTPS server). The system roots stay trusted.
void addExtraCaCertificates() {
    const QString path = qEnvironmentVariable("KILN_EXTRA_CA_CERTS");
    if (path.isEmpty()) return;
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    if (config.addCaCertificates(path))
        QSslConfiguration::setDefaultConfiguration(config);
    else
        qWarning("KILN_EXTRA_CA_CERTS: no certificates could be read from %s", qPrintable(path));
}

QNetworkAccessManager& manager() {
    auto& s = shared();
    if (!s.manager) {
        addExtraCaCertificates();
        s.manager = new QNetworkAccessManager(s.context);
        s.manager->setCookieJar(new NoCookies(s.manager));
        // Redirects are followed by the JS fetch() so that `redirect: "manual" | "error"`,
        // method rewriting and header stripping follow the Fetch spec.
        s.manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        s.manager->setAutoDeleteReplies(false);
        s.manager->setStrictTransportSecurityEnabled(false);
    }
    return *s.manager;
}

} // namespace

void NetworkThread::post(Task task) {
    auto& s = shared();
    std::lock_guard lock(s.mutex);
    if (s.stopped) return;
    if (!s.thread) {
        s.thread = new QThread;
        s.thread->setObjectName(QStringLiteral("kiln-network"));
        s.context = new QObject;
        s.context->moveToThread(s.thread);
        s.thread->start();
        qAddPostRoutine(stopThread);
    }
    QMetaObject::invokeMethod(
        s.context, [task = std::move(task)] { task(manager()); }, Qt::QueuedConnection);
}

} // namespace kiln
