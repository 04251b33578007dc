// "New project": a template copied into a new folder under the chosen name (each template's
// behaviour is tested in tests/runtime/test_templates).

#include "project/projectconfig.h"
#include "projecttemplates.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestProjectTemplates : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void createsANamedProject();
    void refusesBadNamesAndBusyFolders();
};

namespace {
ProjectTemplates sourceTemplates() {
    return ProjectTemplates(qEnvironmentVariable("KILN_SOURCE_DIR") +
                            QStringLiteral("/resources/templates"));
}
} // namespace

void TestProjectTemplates::createsANamedProject() {
    const ProjectTemplates templates = sourceTemplates();
    QVERIFY(templates.names().contains(QStringLiteral("d1-notes")));
    QTemporaryDir parent;
    auto created =
        templates.create(QStringLiteral("d1-notes"), parent.filePath(QStringLiteral("my-notes")),
                         QStringLiteral("my-notes"));
    QVERIFY2(created, created ? "" : qPrintable(created.error()));
    auto project = loadProject(*created);
    QVERIFY2(project, project ? "" : qPrintable(project.error().message));
    QCOMPARE(project->name, QStringLiteral("my-notes"));
    QVERIFY(QFile::exists(QDir(*created).filePath(QStringLiteral("migrations/0001_notes.sql"))));
    QFile pyproject(QDir(*created).filePath(QStringLiteral("pyproject.toml")));
    QVERIFY(pyproject.open(QIODevice::ReadOnly));
    QVERIFY(pyproject.readAll().contains("name = \"my-notes\""));
}

void TestProjectTemplates::refusesBadNamesAndBusyFolders() {
    const ProjectTemplates templates = sourceTemplates();
    QTemporaryDir parent;
    QVERIFY(templates
                .create(QStringLiteral("hello"), parent.filePath(QStringLiteral("x")),
                        QStringLiteral("Bad Name"))
                .error()
                .contains(QLatin1String("lower-case")));
    QVERIFY(templates
                .create(QStringLiteral("nope"), parent.filePath(QStringLiteral("x")),
                        QStringLiteral("ok"))
                .error()
                .contains(QLatin1String("no such template")));
    QFile busy(parent.filePath(QStringLiteral("file.txt")));
    QVERIFY(busy.open(QIODevice::WriteOnly));
    busy.close();
    QVERIFY(templates.create(QStringLiteral("hello"), parent.path(), QStringLiteral("ok"))
                .error()
                .contains(QLatin1String("not empty")));
}

QTEST_GUILESS_MAIN(TestProjectTemplates)
#include "test_projecttemplates.moc"
