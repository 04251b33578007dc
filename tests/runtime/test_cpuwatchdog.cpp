// CpuWatchdog on a plain spinning thread (no V8): the interrupt comes at the limit and again
// while the run goes on, since one can be lost (Pyodide's interrupt word is read and cleared
// without an atomic exchange); terminate comes only after the grace period; a delivered
// interrupt is wiped before the next run.

#include "engine/cpuwatchdog.h"

#include <QTest>

#include <atomic>
#include <future>
#include <thread>

#include <time.h>

using namespace kiln;

class TestCpuWatchdog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aLostInterruptIsSentAgain();
    void anEndlessRunIsTerminated();
    void waitingIsNotCpuTime();
};

namespace {

// A thread that runs `body` as one watched run once the watchdog exists.
struct Engine {
    std::promise<pthread_t> self;
    std::promise<CpuWatchdog*> watchdog;
    std::thread thread;
    explicit Engine(std::function<void()> body) {
        auto ready = watchdog.get_future().share();
        thread = std::thread([this, ready, body = std::move(body)] {
            self.set_value(pthread_self());
            CpuWatchdog* dog = ready.get();
            dog->runBegins();
            body();
            dog->runEnds();
            dog->runBegins(); // the next run: a leftover interrupt is wiped here
            dog->runEnds();
        });
    }
    pthread_t handle() { return self.get_future().get(); }
};

} // namespace

void TestCpuWatchdog::aLostInterruptIsSentAgain() {
    std::atomic<int> interrupts{0}, cleared{0};
    std::atomic<bool> terminated{false};
    // The "worker" ignores the first interrupt (as if Pyodide lost it) and stops at the second.
    Engine engine([&] {
        while (interrupts.load() < 2 && !terminated.load()) {
        }
    });
    CpuWatchdog dog(
        engine.handle(), 50, [&] { interrupts.fetch_add(1); }, [&] { terminated.store(true); });
    dog.setClearInterrupt([&] { cleared.fetch_add(1); });
    engine.watchdog.set_value(&dog);
    engine.thread.join();
    QCOMPARE(interrupts.load(), 2);
    QVERIFY(!terminated.load());
    QCOMPARE(cleared.load(), 1);
}

void TestCpuWatchdog::anEndlessRunIsTerminated() {
    std::atomic<int> interrupts{0};
    std::atomic<bool> terminated{false};
    Engine engine([&] {
        while (!terminated.load()) {
        }
    });
    CpuWatchdog dog(
        engine.handle(), 50, [&] { interrupts.fetch_add(1); }, [&] { terminated.store(true); });
    engine.watchdog.set_value(&dog);
    engine.thread.join();
    QVERIFY(terminated.load());
    // Re-sent about every 100 ms of CPU through the 1 s grace period, then given up on.
    QVERIFY2(interrupts.load() >= 5, qPrintable(QString::number(interrupts.load())));
}

void TestCpuWatchdog::waitingIsNotCpuTime() {
    // A run that waits four times its limit (a blocking call) and then spins half of it has
    // used half its CPU limit: no interrupt. The engine reads only the wall clock when a run
    // begins; the watchdog's bound must still count CPU, not the wait.
    std::atomic<int> interrupts{0};
    std::atomic<bool> terminated{false};
    Engine engine([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        timespec start{}, now{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
        do {
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        } while ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) <
                     50000000LL &&
                 !terminated.load());
    });
    CpuWatchdog dog(
        engine.handle(), 100, [&] { interrupts.fetch_add(1); }, [&] { terminated.store(true); });
    engine.watchdog.set_value(&dog);
    engine.thread.join();
    QCOMPARE(interrupts.load(), 0);
    QVERIFY(!terminated.load());
}

QTEST_GUILESS_MAIN(TestCpuWatchdog)
#include "test_cpuwatchdog.moc"
