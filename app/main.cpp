// kiln-studio [DIR]: the desktop workbench on a project folder. Without a display it says so
// in one line and serves the project as `kiln dev` would, so the command still does its job
// on a server.

#include "kilnprocess.h"
#include "ui/composerpane.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEvent>
#include <QIcon>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <unistd.h>

namespace {

bool haveDisplay() {
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        if (const char* value = std::getenv(name); value && *value) return true;
    return false;
}

int serveHeadless(int argc, char** argv) {
    std::fprintf(stderr, "kiln-studio: no display found (DISPLAY/WAYLAND_DISPLAY unset); serving "
                         "the project headless as `kiln dev` does.\n");
    std::string self = argv[0];
    const auto slash = self.rfind('/');
    const std::string kiln =
        (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + "kiln";
    std::vector<char*> args{const_cast<char*>(kiln.c_str()), const_cast<char*>("dev")};
    for (int i = 1; i < argc; ++i)
        args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(kiln.c_str(), args.data());
    std::perror(kiln.c_str());
    return 127;
}

// KILN_STUDIO_BENCH=/path (bench/studio.py): prints when the window is first painted and when
// the composer has the running worker's answer to GET /path, then quits.
class BenchProbe : public QObject {
public:
    BenchProbe(kiln::MainWindow* window, QString path)
        : QObject(window)
        , m_window(window)
        , m_path(std::move(path)) {
        m_clock.start();
        window->installEventFilter(this);
        connect(window->runtime(), &kiln::KilnProcess::ready, this, [this] {
            kiln::HttpCallRequest request;
            request.url = QUrl(m_path);
            m_window->composer()->setRequest(request);
            m_window->composer()->send();
        });
        connect(window->composer(), &kiln::ComposerPane::responded, this,
                [this](const kiln::HttpCallResponse& r) {
                    std::fprintf(stderr, "kiln-studio: first response %d after %.1f ms\n", r.status,
                                 double(m_clock.nsecsElapsed()) / 1e6);
                    QApplication::quit();
                });
    }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == m_window && event->type() == QEvent::Paint && !m_painted) {
            m_painted = true;
            std::fprintf(stderr, "kiln-studio: window painted after %.1f ms\n",
                         double(m_clock.nsecsElapsed()) / 1e6);
        }
        return false;
    }

private:
    kiln::MainWindow* m_window;
    QString m_path;
    QElapsedTimer m_clock; // from QApplication's construction; the bench times from spawn
    bool m_painted = false;
};

} // namespace

int main(int argc, char** argv) {
    if (!haveDisplay()) return serveHeadless(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("kiln-studio"));
    QApplication::setOrganizationName(QStringLiteral("kiln"));
    QApplication::setApplicationVersion(QStringLiteral(KILN_VERSION));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("kiln-studio"),
                                                 QIcon(QStringLiteral(":/kiln/kiln-studio.svg"))));
    const QStringList args = QApplication::arguments();
    const QString project = args.size() > 1 ? args.at(1) : QDir::currentPath();
    kiln::MainWindow window;
    if (const QString bench = qEnvironmentVariable("KILN_STUDIO_BENCH"); !bench.isEmpty())
        new BenchProbe(&window, bench);
    window.openProject(QFileInfo(project).absoluteFilePath());
    window.show();
    return QApplication::exec();
}
