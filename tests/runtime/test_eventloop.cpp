// EventLoop (no V8): tasks and timers run in the order they became ready, so a due timer
// (a Python loop turn is a zero-delay setTimeout) is not kept waiting by tasks that keep
// being posted after it, as requests under load are.

#include "engine/eventloop.h"

#include <QTest>

#include <string>
#include <vector>

using namespace kiln;

class TestEventLoop : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tasksRunInPostOrder();
    void aDueTimerGoesBeforeTasksPostedAfterIt();
    void tasksPostedBeforeATimerWasDueGoFirst();
};

namespace {

// Posts a chain of `length` tasks, each posting the next while it runs (a stream of work that
// never leaves the queue empty); each records "t<i>".
void postChain(EventLoop& loop, std::vector<std::string>& order, int i, int length) {
    loop.post([&loop, &order, i, length] {
        order.push_back("t" + std::to_string(i));
        if (i + 1 < length)
            postChain(loop, order, i + 1, length);
        else
            loop.quit();
    });
}

} // namespace

void TestEventLoop::tasksRunInPostOrder() {
    EventLoop loop;
    std::vector<std::string> order;
    for (int i = 0; i < 3; ++i)
        loop.post([&order, i] { order.push_back("t" + std::to_string(i)); });
    loop.post([&loop] { loop.quit(); });
    loop.run();
    QCOMPARE(order, (std::vector<std::string>{"t0", "t1", "t2"}));
}

void TestEventLoop::aDueTimerGoesBeforeTasksPostedAfterIt() {
    EventLoop loop;
    std::vector<std::string> order;
    // The first task arms a zero-delay timer, then the chain goes on posting: every later task
    // was posted after the timer was due, so the timer runs next, not after the whole chain.
    loop.post([&] {
        order.push_back("arm");
        loop.postDelayed(0, [&order] { order.push_back("timer"); });
        postChain(loop, order, 0, 200);
    });
    loop.run();
    QCOMPARE(order.size(), size_t(202));
    QCOMPARE(order[1], std::string("timer"));
}

void TestEventLoop::tasksPostedBeforeATimerWasDueGoFirst() {
    EventLoop loop;
    std::vector<std::string> order;
    loop.post([&] {
        loop.post([&order] { order.push_back("early"); });
        loop.postDelayed(0, [&order] { order.push_back("timer"); });
        loop.post([&loop, &order] {
            order.push_back("late");
            loop.quit();
        });
    });
    loop.run();
    QCOMPARE(order, (std::vector<std::string>{"early", "timer", "late"}));
}

QTEST_GUILESS_MAIN(TestEventLoop)
#include "test_eventloop.moc"
