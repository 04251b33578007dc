// StateLayout: where each binding's state lives, the same paths `kiln dev`, the CLI and the
// studio use, and ids from the config that try to leave their folder.
#include "project/projectconfig.h"
#include "stores/statelayout.h"

#include <QDir>
#include <QFileInfo>
#include <QTest>

using namespace kiln;

class TestStateLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void paths();
    void hostileIds_data();
    void hostileIds();
    void forProject();
    void locations();
};

void TestStateLayout::paths() {
    const StateLayout layout(QStringLiteral("/p/.kiln/state"));
    QCOMPARE(layout.root(), QStringLiteral("/p/.kiln/state"));
    QCOMPARE(layout.kvFile(QStringLiteral("ns1")), QStringLiteral("/p/.kiln/state/kv/ns1.sqlite"));
    QCOMPARE(layout.d1File(QStringLiteral("db-uuid")),
             QStringLiteral("/p/.kiln/state/d1/db-uuid.sqlite"));
    QCOMPARE(layout.r2Dir(QStringLiteral("bucket")), QStringLiteral("/p/.kiln/state/r2/bucket"));
    QCOMPARE(layout.workflowFile(QStringLiteral("flow")),
             QStringLiteral("/p/.kiln/state/workflows/flow.sqlite"));
    // Placeholders from templates are ordinary names.
    QCOMPARE(layout.kvFile(QStringLiteral("<YOUR_KV_NAMESPACE_ID>")),
             QStringLiteral("/p/.kiln/state/kv/<YOUR_KV_NAMESPACE_ID>.sqlite"));
    QCOMPARE(StateLayout::defaultRoot(QStringLiteral("/home/me/proj")),
             QStringLiteral("/home/me/proj/.kiln/state"));
}

void TestStateLayout::hostileIds_data() {
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("name");
    QTest::newRow("parent") << QStringLiteral("../x") << QStringLiteral(".._x");
    QTest::newRow("nested") << QStringLiteral("a/b") << QStringLiteral("a_b");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QStringLiteral("a_b");
    QTest::newRow("empty") << QString() << QStringLiteral("_");
    QTest::newRow("dot") << QStringLiteral(".") << QStringLiteral("_.");
    QTest::newRow("dotdot") << QStringLiteral("..") << QStringLiteral("_..");
    QTest::newRow("nul") << QString(QChar(0)) << QStringLiteral("_");
    QTest::newRow("absolute") << QStringLiteral("/etc/passwd") << QStringLiteral("_etc_passwd");
    QTest::newRow("dots-inside") << QStringLiteral("a..b") << QStringLiteral("a..b");
}

void TestStateLayout::hostileIds() {
    QFETCH(QString, id);
    QFETCH(QString, name);
    const QString root = QStringLiteral("/p/.kiln/state");
    const StateLayout layout(root);
    QCOMPARE(StateLayout::safeName(id), name);
    const QString paths[][2] = {{layout.kvFile(id), QStringLiteral("/kv")},
                                {layout.d1File(id), QStringLiteral("/d1")},
                                {layout.r2Dir(id), QStringLiteral("/r2")},
                                {layout.workflowFile(id), QStringLiteral("/workflows")}};
    for (const auto& [path, folder] : paths) {
        // Exactly one entry inside the kind's folder, whatever the id says.
        QCOMPARE(QFileInfo(path).path(), root + folder);
        QCOMPARE(QDir::cleanPath(path), path);
        QVERIFY(QFileInfo(path).fileName().startsWith(name));
    }
}

void TestStateLayout::forProject() {
    ProjectConfig project;
    project.rootDir = QStringLiteral("/work/proj");
    QCOMPARE(StateLayout::forProject(project).root(), QStringLiteral("/work/proj/.kiln/state"));
    QCOMPARE(StateLayout::forProject(project, QStringLiteral("/tmp/elsewhere/")).root(),
             QStringLiteral("/tmp/elsewhere"));
    // A relative --persist-to is relative to where the command runs, as wrangler's is.
    QCOMPARE(StateLayout::forProject(project, QStringLiteral("rel/state")).root(),
             QDir::current().absoluteFilePath(QStringLiteral("rel/state")));
}

void TestStateLayout::locations() {
    ProjectConfig project;
    project.rootDir = QStringLiteral("/proj");
    project.kvNamespaces = {
        {QStringLiteral("CACHE"), QStringLiteral("ns-id"), QStringLiteral("preview")},
        {QStringLiteral("EVIL"), QStringLiteral("../../x"), {}}};
    project.d1Databases = {{QStringLiteral("DB"), QStringLiteral("my-db"),
                            QStringLiteral("db-uuid"), QStringLiteral("/proj/migrations")}};
    project.r2Buckets = {{QStringLiteral("FILES"), QStringLiteral("files-bucket")}};
    project.workflows = {{QStringLiteral("flow"), QStringLiteral("FLOW"), QStringLiteral("Flow")}};
    const StateLayout layout = StateLayout::forProject(project);
    const auto all = layout.locations(project);
    QCOMPARE(all.size(), size_t(5));
    const QString root = QStringLiteral("/proj/.kiln/state");
    QCOMPARE(all[0].binding, QStringLiteral("CACHE"));
    QVERIFY(all[0].kind == StoreKind::Kv);
    QCOMPARE(all[0].id, QStringLiteral("ns-id")); // the id, not the preview id
    QCOMPARE(all[0].path, root + QStringLiteral("/kv/ns-id.sqlite"));
    QCOMPARE(all[1].binding, QStringLiteral("EVIL"));
    QCOMPARE(all[1].path, root + QStringLiteral("/kv/.._.._x.sqlite"));
    QCOMPARE(all[2].binding, QStringLiteral("DB"));
    QVERIFY(all[2].kind == StoreKind::D1);
    QCOMPARE(all[2].id, QStringLiteral("db-uuid")); // database_id, not database_name
    QCOMPARE(all[2].path, root + QStringLiteral("/d1/db-uuid.sqlite"));
    QCOMPARE(all[3].binding, QStringLiteral("FILES"));
    QVERIFY(all[3].kind == StoreKind::R2);
    QCOMPARE(all[3].id, QStringLiteral("files-bucket")); // bucket_name, not the binding
    QCOMPARE(all[3].path, root + QStringLiteral("/r2/files-bucket"));
    QCOMPARE(all[4].binding, QStringLiteral("FLOW"));
    QVERIFY(all[4].kind == StoreKind::Workflow);
    QCOMPARE(all[4].id, QStringLiteral("flow")); // the workflow's name, not its binding
    QCOMPARE(all[4].path, root + QStringLiteral("/workflows/flow.sqlite"));
    // Each location is the path the accessors give.
    QCOMPARE(all[0].path, layout.kvFile(all[0].id));
    QCOMPARE(all[2].path, layout.d1File(all[2].id));
    QCOMPARE(all[3].path, layout.r2Dir(all[3].id));
    QVERIFY(StateLayout(root).locations(ProjectConfig{}).empty());
}

QTEST_GUILESS_MAIN(TestStateLayout)
#include "test_statelayout.moc"
