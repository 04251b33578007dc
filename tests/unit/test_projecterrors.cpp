// Errors users see: each must name the right file, line and column.
#include "test_projectconfig.h"

using namespace kiln;
using namespace testutil;

void TestProjectConfig::malformedJsonc_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("missing comma") << QByteArray("{\n  \"name\": \"x\"\n  \"main\": \"a.py\"\n}")
                                   << 3 << 3 << "expected ',' or '}' after the value of \"name\"";
    QTest::newRow("unterminated string")
        << QByteArray("{\n  \"name\": \"x,\n  \"main\": 1\n}") << 2 << 11 << "unterminated string";
    QTest::newRow("unterminated comment")
        << QByteArray("{\n  /* open\n  \"a\": 1\n}") << 2 << 3 << "unterminated /* comment";
    QTest::newRow("bare word") << QByteArray("{\n  \"a\": yes\n}") << 2 << 8 << "'yes'";
    QTest::newRow("single quotes") << QByteArray("{\n\t\"a\": 'x'\n}") << 2 << 7 << "double quotes";
    QTest::newRow("unclosed object")
        << QByteArray("{\n  \"a\": [1, 2]\n") << 3 << 1 << "unexpected end of file";
    QTest::newRow("lone comma") << QByteArray("{\"a\": [1,,2]}") << 1 << 10 << "expected a value";
    QTest::newRow("not an object") << QByteArray("\n[1]") << 2 << 1 << "must be a JSON object";
    QTest::newRow("trailing junk") << QByteArray("{}\n}") << 2 << 1 << "after the end";
    QTest::newRow("bad escape") << QByteArray("{\"a\": \"\\q\"}") << 1 << 8 << "invalid escape";
    QTest::newRow("empty") << QByteArray("  // nothing\n") << 1 << 1 << "empty";
}

void TestProjectConfig::malformedJsonc() {
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, fragment);
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", text);
    const ConfigError err = loadError(root);
    QCOMPARE(err.file, QDir(root).absoluteFilePath("wrangler.jsonc"));
    QVERIFY2(err.message.contains(fragment), qPrintable(err.toString()));
    QCOMPARE(err.line, line);
    QCOMPARE(err.column, column);
}

void TestProjectConfig::malformedToml() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.toml",
                                 "name = \"x\"\nmain = \"src/entry.py\"\nvars = { A = 1,, }\n");
    const ConfigError err = loadError(root);
    QCOMPARE(err.file, QDir(root).absoluteFilePath("wrangler.toml"));
    QCOMPARE(err.line, 3);
    QCOMPARE(err.column, 16); // the second comma
    QVERIFY(!err.message.isEmpty());

    QTemporaryDir tmp2;
    const QString root2 = project(tmp2, "wrangler.toml", "name = \"x\"\n\nname = \"y\"\n");
    const ConfigError dup = loadError(root2);
    QCOMPARE(dup.line, 3);
}

void TestProjectConfig::missingMainFile() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({
  "name": "m",
  "main": "src/missing.py",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers"]
})");
    const ConfigError err = loadError(root);
    QCOMPARE(err.line, 3);
    QCOMPARE(err.column, 11);
    QVERIFY2(err.message.contains("src/missing.py") && err.message.contains("does not exist"),
             qPrintable(err.toString()));

    QTemporaryDir tmp2;
    const QString root2 = project(tmp2, "wrangler.jsonc", R"({"name": "m",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"]})");
    QVERIFY(loadError(root2).message.contains("no \"main\""));
}

// A main outside the project folder, by path or through a symlink, would make another
// folder of the machine the import root: an error naming it, at main's line.
void TestProjectConfig::mainOutsideTheProject() {
    QTemporaryDir outside;
    QVERIFY(writeFile(outside.path() + "/evil.py", "print('evil')\n"));
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({
  "name": "m",
  "main": "MAIN",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers"]
})");
    const QString relative = QDir(root).relativeFilePath(outside.path() + "/evil.py");
    for (const QString& main : {relative, QStringLiteral("../../../../../../../etc/passwd"),
                                QStringLiteral("src/link.py")}) {
        QFile::remove(root + "/src/link.py");
        QVERIFY(QFile::link(outside.path() + "/evil.py", root + "/src/link.py"));
        QByteArray config = R"({
  "name": "m",
  "main": "MAIN",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers"]
})";
        config.replace("MAIN", main.toUtf8());
        QVERIFY(writeFile(root + "/wrangler.jsonc", config));
        const ConfigError err = loadError(root);
        QCOMPARE(err.line, 3);
        QVERIFY2(err.message.contains("outside the project folder") && err.message.contains(main),
                 qPrintable(err.toString()));
    }
    // A symlink that stays inside the project is fine.
    QFile::remove(root + "/src/link.py");
    QVERIFY(QFile::link(root + "/src/entry.py", root + "/src/link.py"));
    QVERIFY(writeFile(root + "/wrangler.jsonc",
                      QByteArray(kMinimalJsonc).replace("src/entry.py", "src/link.py")));
    auto loaded = loadProject(root);
    QVERIFY2(loaded, loaded ? "" : qPrintable(loaded.error().toString()));
}

void TestProjectConfig::missingCompatibilityFlag() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({
  "name": "f",
  "main": "src/entry.py",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["nodejs_compat"]
})");
    const ConfigError err = loadError(root);
    QCOMPARE(err.line, 5);
    QVERIFY2(err.message.contains("\"python_workers\" compatibility flag"),
             qPrintable(err.toString()));
    QVERIFY(err.message.contains("\"compatibility_flags\": [\"python_workers\"]"));

    QTemporaryDir tmp2;
    const QString root2 = project(tmp2, "wrangler.toml",
                                  "main = \"src/entry.py\"\ncompatibility_date = \"2026-06-15\"\n");
    const ConfigError err2 = loadError(root2);
    QVERIFY2(err2.message.contains("compatibility_flags = [\"python_workers\"]"),
             qPrintable(err2.toString()));

    // python_workers_development implies python_workers, as in workerd.
    QTemporaryDir tmp3;
    const QString root3 = project(tmp3, "wrangler.jsonc", R"({"main": "src/entry.py",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers_development"]})");
    QVERIFY(loadProject(root3));
}

void TestProjectConfig::compatibilityDateRules() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({
  "name": "d",
  "main": "src/entry.py",
  "compatibility_flags": ["python_workers"]
})");
    const ConfigError err = loadError(root);
    QVERIFY2(err.message.contains("compatibility_date is required"), qPrintable(err.toString()));
    QCOMPARE(err.line, 1);
    QVERIFY(writeFile(root + "/wrangler.jsonc", R"({"main": "src/entry.py",
  "compatibility_date": "2026-6-1", "compatibility_flags": ["python_workers"]})"));
    const ConfigError bad = loadError(root);
    QVERIFY2(bad.message.contains("YYYY-MM-DD"), qPrintable(bad.toString()));
    QCOMPARE(bad.line, 2);
    QCOMPARE(bad.column, 25);
    QVERIFY(writeFile(root + "/wrangler.jsonc", R"({"main": "src/entry.py",
  "compatibility_date": "2026-02-30", "compatibility_flags": ["python_workers"]})"));
    QVERIFY(loadError(root).message.contains("YYYY-MM-DD"));
}

void TestProjectConfig::wrongTypes_data() {
    QTest::addColumn<QByteArray>("extra");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("vars number") << QByteArray("\"vars\": 3") << 6 << "\"vars\" must be an object";
    QTest::newRow("kv without binding")
        << QByteArray("\"kv_namespaces\": [\n  {\"id\": \"x\"}]") << 7
        << "\"kv_namespaces[0]\" is missing the required key \"binding\"";
    QTest::newRow("kv binding number") << QByteArray("\"kv_namespaces\": [{\"binding\": 5}]") << 6
                                       << "\"kv_namespaces[0].binding\" must be a string";
    QTest::newRow("flags string") << QByteArray("\"compatibility_flags\": \"python_workers\"") << 6
                                  << "must be an array of strings";
    QTest::newRow("cpu_ms string") << QByteArray("\"limits\": {\n\"cpu_ms\": \"50\"}") << 7
                                   << "\"limits.cpu_ms\" must be a positive whole number";
    QTest::newRow("cpu_ms fraction")
        << QByteArray("\"limits\": {\"cpu_ms\": 1.5}") << 6 << "found 1.5";
    QTest::newRow("crons number") << QByteArray("\"triggers\": {\"crons\": [\"0 * * * *\",\n 5]}")
                                  << 7 << "\"triggers.crons[1]\" must be a string";
    QTest::newRow("d1 not object")
        << QByteArray("\"d1_databases\": [\"DB\"]") << 6 << "\"d1_databases[0]\" must be an object";
    QTest::newRow("workflow no class")
        << QByteArray("\"workflows\": [{\"name\": \"w\", \"binding\": \"W\"}]") << 6
        << "missing the required key \"class_name\"";
    QTest::newRow("do bindings") << QByteArray("\"durable_objects\": {\"bindings\": {}}") << 6
                                 << "\"durable_objects.bindings\" must be an array";
    QTest::newRow("main number") << QByteArray("\"main\": 7") << 6 << "\"main\" must be a string";
}

void TestProjectConfig::wrongTypes() {
    QFETCH(QByteArray, extra);
    QFETCH(int, line);
    QFETCH(QString, fragment);
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc",
                                 "{\n  \"name\": \"t\",\n  \"main\": \"src/entry.py\",\n"
                                 "  \"compatibility_date\": \"2026-06-15\",\n"
                                 "  \"compatibility_flags\": [\"python_workers\"],\n" +
                                     extra + "\n}\n");
    const ConfigError err = loadError(root);
    QCOMPARE(err.file, QDir(root).absoluteFilePath("wrangler.jsonc"));
    QVERIFY2(err.message.contains(fragment), qPrintable(err.toString()));
    QCOMPARE(err.line, line);
}

void TestProjectConfig::errorToString() {
    QCOMPARE((ConfigError{"w.jsonc", 3, 7, "boom"}).toString(),
             QStringLiteral("w.jsonc:3:7: boom"));
    QCOMPARE((ConfigError{"w.jsonc", 3, 0, "boom"}).toString(), QStringLiteral("w.jsonc:3: boom"));
    QCOMPARE((ConfigError{"w.jsonc", 0, 0, "boom"}).toString(), QStringLiteral("w.jsonc: boom"));
}
