#pragma once

#include <QObject>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace kiln {

// The background thread a data browser's model reads and writes its store on, so the GUI
// thread never waits for SQLite or a file (STUDIO.md "Data flow"). Jobs run one at a time,
// in the order given; each result comes back as a value, on this object's thread, through a
// queued call. Destroying the loader drops jobs not yet started and waits for the running
// one, so a result never reaches a model that is gone. Stale results (the view asked for
// something else meanwhile) are the caller's to drop, by generation number.
class StoreLoader : public QObject {
    Q_OBJECT
public:
    explicit StoreLoader(QObject* parent = nullptr);
    ~StoreLoader() override;

    template <typename Result>
    void run(std::function<Result()> work, std::function<void(Result)> done) {
        auto job = [this, work = std::move(work), done = std::move(done)]() mutable {
            auto result = std::make_shared<Result>(work());
            QMetaObject::invokeMethod(
                this, [done = std::move(done), result] { done(std::move(*result)); },
                Qt::QueuedConnection);
        };
        m_pool.start(std::move(job));
    }
    // Jobs queued or running.
    bool busy() const { return m_pool.activeThreadCount() > 0; }

private:
    QThreadPool m_pool;
};

} // namespace kiln
