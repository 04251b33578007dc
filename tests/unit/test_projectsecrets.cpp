// .dev.vars/.env secrets, pyproject.toml, python_modules/ and the Pyodide table.
#include "test_projectconfig.h"

using namespace kiln;
using namespace testutil;

void TestProjectConfig::dotenvParsing() {
    const QString text = QStringLiteral("# comment line\n"
                                        "\n"
                                        "PLAIN=hello world  \n"
                                        "export EXPORTED=yes\n"
                                        "  INDENTED = spaced # trailing comment\n"
                                        "SINGLE='literal \\n # kept'\n"
                                        "DOUBLE=\"line1\\nline2\"\n"
                                        "MULTI=\"first\n"
                                        "second\"\n"
                                        "EMPTY=\n"
                                        "QUOTE_IN=\"say \\\"hi\\\"\"\n"
                                        "COLON: value\n"
                                        "DUP=one\r\n"
                                        "DUP=two\r\n"
                                        "BACKTICK=`it's \"fine\"`\n"
                                        "AFTER=ok");
    auto vals = parseDotenvText(text, "mem.env");
    QVERIFY2(vals, qPrintable(vals ? QString() : vals.error().toString()));
    QCOMPARE(vals->value("PLAIN"), QStringLiteral("hello world"));
    QCOMPARE(vals->value("EXPORTED"), QStringLiteral("yes"));
    QCOMPARE(vals->value("INDENTED"), QStringLiteral("spaced"));
    QCOMPARE(vals->value("SINGLE"), QStringLiteral("literal \\n # kept"));
    QCOMPARE(vals->value("DOUBLE"), QStringLiteral("line1\nline2"));
    QCOMPARE(vals->value("MULTI"), QStringLiteral("first\nsecond"));
    QVERIFY(vals->contains("EMPTY"));
    QCOMPARE(vals->value("EMPTY"), QString());
    QCOMPARE(vals->value("QUOTE_IN"), QStringLiteral("say \\\"hi\\\"")); // as Node's dotenv
    QCOMPARE(vals->value("COLON"), QStringLiteral("value"));
    QCOMPARE(vals->value("DUP"), QStringLiteral("two"));
    QCOMPARE(vals->value("BACKTICK"), QStringLiteral("it's \"fine\""));
    QCOMPARE(vals->value("AFTER"), QStringLiteral("ok"));
    QCOMPARE(vals->size(), 12);

    QTemporaryDir tmp;
    QVERIFY(writeFile(tmp.path() + "/.dev.vars", "A=1\nB=\"x y\"\n"));
    auto fromFile = parseDotenv(tmp.path() + "/.dev.vars");
    QVERIFY(fromFile);
    QCOMPARE(fromFile->value("B"), QStringLiteral("x y"));
    QVERIFY(!parseDotenv(tmp.path() + "/missing"));
}

void TestProjectConfig::dotenvErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("no equals") << "A=1\nJUSTAWORD\n" << 2 << 10 << "expected '=' after JUSTAWORD";
    QTest::newRow("bad name") << "A=1\n\n  $X=1\n" << 3 << 3 << "expected KEY=value";
    QTest::newRow("after multi-line") << "M=\"a\nb\nc\"\nOK=1\nBROKEN LINE\n"
                                      << 5 << 8 << "expected '=' after BROKEN";
    QTest::newRow("unterminated") << "A=1\nB=\"open\nC=2\n" << 2 << 3 << "unterminated double";
    QTest::newRow("junk after quote") << "A='x' y\n" << 1 << 7 << "after the closing quote";
}

void TestProjectConfig::dotenvErrors() {
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, fragment);
    auto r = parseDotenvText(text, "/p/.dev.vars");
    QVERIFY(!r);
    QCOMPARE(r.error().file, QStringLiteral("/p/.dev.vars"));
    QVERIFY2(r.error().message.contains(fragment), qPrintable(r.error().toString()));
    QCOMPARE(r.error().line, line);
    QCOMPARE(r.error().column, column);
}

void TestProjectConfig::secretsOverrideVars() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({"name": "s", "main": "src/entry.py",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"],
  "vars": {"MODE": "prod", "RETRIES": 3, "TOKEN": 42}})");
    QVERIFY(writeFile(root + "/.dev.vars", "TOKEN=\"secret-token\"\nAPI_KEY=k1\n"));
    QVERIFY(writeFile(root + "/.env", "MODE=from-dotenv\n")); // ignored: .dev.vars exists
    auto cfg = loadProject(root);
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->vars.value("TOKEN").toString(), QStringLiteral("secret-token"));
    QVERIFY(cfg->vars.value("TOKEN").isString());
    QCOMPARE(cfg->vars.value("MODE").toString(), QStringLiteral("prod"));
    QVERIFY(cfg->vars.value("RETRIES").isDouble());
    QCOMPARE(cfg->secretNames, (QStringList{"API_KEY", "TOKEN"}));
    QCOMPARE(cfg->secretsFile, QDir(root).absoluteFilePath(".dev.vars"));

    QVERIFY(writeFile(root + "/.dev.vars", "OK=1\nnot a line\n"));
    const ConfigError err = loadError(root);
    QCOMPARE(err.file, QDir(root).absoluteFilePath(".dev.vars"));
    QCOMPARE(err.line, 2);
}

void TestProjectConfig::dotEnvFallbackAndMerge() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    QVERIFY(writeFile(root + "/.env", "A=env\nB=env\nC=env\nD=env\n"));
    QVERIFY(writeFile(root + "/.env.staging", "B=env.staging\nC=env.staging\nD=env.staging\n"));
    QVERIFY(writeFile(root + "/.env.local", "C=env.local\nD=env.local\n"));
    QVERIFY(writeFile(root + "/.env.staging.local", "D=env.staging.local\n"));
    auto top = loadProject(root);
    QVERIFY(top);
    QCOMPARE(top->vars.value("A").toString(), QStringLiteral("env"));
    QCOMPARE(top->vars.value("B").toString(), QStringLiteral("env"));
    QCOMPARE(top->vars.value("D").toString(), QStringLiteral("env.local"));
    auto staging = loadProject(root, {QStringLiteral("staging")});
    QVERIFY(staging);
    QCOMPARE(staging->vars.value("A").toString(), QStringLiteral("env"));
    QCOMPARE(staging->vars.value("B").toString(), QStringLiteral("env.staging"));
    QCOMPARE(staging->vars.value("C").toString(), QStringLiteral("env.local"));
    QCOMPARE(staging->vars.value("D").toString(), QStringLiteral("env.staging.local"));
    QCOMPARE(staging->secretNames, (QStringList{"A", "B", "C", "D"}));
}

void TestProjectConfig::devVarsPerEnvironment() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    QVERIFY(writeFile(root + "/.dev.vars", "GENERIC=1\nSHARED=generic\n"));
    QVERIFY(writeFile(root + "/.dev.vars.staging", "SHARED=staging\n"));
    auto staging = loadProject(root, {QStringLiteral("staging")});
    QVERIFY(staging);
    QCOMPARE(staging->vars.value("SHARED").toString(), QStringLiteral("staging"));
    QVERIFY(!staging->vars.contains("GENERIC"));         // .dev.vars.<env> replaces .dev.vars
    auto qa = loadProject(root, {QStringLiteral("qa")}); // no .dev.vars.qa: the generic file
    QVERIFY(qa);
    QCOMPARE(qa->vars.value("SHARED").toString(), QStringLiteral("generic"));
}

void TestProjectConfig::requiredSecrets() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({"name": "r", "main": "src/entry.py",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"],
  "secrets": {"required": ["API_KEY", "DB_PASSWORD"]}})");
    QVERIFY(writeFile(root + "/.dev.vars", "API_KEY=a\nEXTRA=b\n"));
    auto cfg = loadProject(root);
    QVERIFY(cfg);
    QCOMPARE(cfg->secretNames, QStringList{"API_KEY"});
    QVERIFY(!cfg->vars.contains("EXTRA"));
    QVERIFY(cfg->warnings.join('\n').contains("DB_PASSWORD"));
}

void TestProjectConfig::pyproject() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    QVERIFY(loadProject(root)->pyprojectName.isEmpty());
    QVERIFY(writeFile(root + "/pyproject.toml", R"([project]
name = "my-worker"
version = "0.1.0"
dependencies = ["httpx>=0.27", "pydantic"]

[tool.other]
x = 1
)"));
    auto cfg = loadProject(root);
    QVERIFY(cfg);
    QCOMPARE(cfg->pyprojectName, QStringLiteral("my-worker"));
    QCOMPARE(cfg->pyprojectDependencies, (QStringList{"httpx>=0.27", "pydantic"}));

    QVERIFY(
        writeFile(root + "/pyproject.toml", "[project]\nname = \"x\"\ndependencies = [\n  1]\n"));
    const ConfigError err = loadError(root);
    QCOMPARE(err.file, QDir(root).absoluteFilePath("pyproject.toml"));
    QCOMPARE(err.line, 4);
    QVERIFY(writeFile(root + "/pyproject.toml", "[project\n"));
    QCOMPARE(loadError(root).line, 1);
}

void TestProjectConfig::pythonModules() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    QVERIFY(loadProject(root)->pythonModulesDir.isEmpty());
    QVERIFY(QDir(root).mkpath("python_modules/pkg"));
    QCOMPARE(loadProject(root)->pythonModulesDir, QDir(root).absoluteFilePath("python_modules"));
}

void TestProjectConfig::pyodideTable() {
    auto rel = [](const char* date, QStringList flags) {
        return cloudflarePyodideRelease(QDate::fromString(date, Qt::ISODate), flags);
    };
    const QStringList py{"python_workers"};
    QCOMPARE(rel("2025-01-01", py).pyodideVersion, QStringLiteral("0.26.0a2"));
    QCOMPARE(rel("2025-01-01", py).pythonVersion, QStringLiteral("3.12.1"));
    QCOMPARE(rel("2025-09-28", py).pyodideVersion, QStringLiteral("0.26.0a2"));
    QCOMPARE(rel("2025-09-29", py).pyodideVersion, QStringLiteral("0.28.2"));
    QCOMPARE(rel("2025-01-01", py + QStringList{"python_workers_20250116"}).pyodideVersion,
             QStringLiteral("0.28.2"));
    QCOMPARE(rel("2026-01-01", py + QStringList{"no_python_workers_20250116"}).pyodideVersion,
             QStringLiteral("0.26.0a2"));
    QCOMPARE(rel("2026-09-07", py).pyodideVersion, QStringLiteral("0.28.2"));
    QCOMPARE(rel("2026-09-08", py).pyodideVersion, QStringLiteral("314.0.6"));
    QCOMPARE(rel("2026-09-08", py).flag, QStringLiteral("python_workers_314"));
    QCOMPARE(rel("2026-10-01", py + QStringList{"no_python_workers_314"}).pyodideVersion,
             QStringLiteral("0.28.2"));
    QCOMPARE(rel("2026-07-01", py + QStringList{"python_workers_20260610"}).pyodideVersion,
             QStringLiteral("314.0.4"));
    QCOMPARE(rel("2026-07-01", py + QStringList{"python_workers_314"}).pyodideVersion,
             QStringLiteral("314.0.6"));
    QVERIFY(sameLineAsBundled(rel("2026-09-08", py)));
    QVERIFY(sameLineAsBundled(rel("2026-07-01", py + QStringList{"python_workers_20260610"})));
    QVERIFY(!sameLineAsBundled(rel("2026-06-15", py)));
    QVERIFY(!pythonWorkersEnabled({"nodejs_compat"}));
    QVERIFY(pythonWorkersEnabled({"python_workers_development"}));

    // The workflow flags the engine and SDK read follow the date, and their off switches.
    auto on = [](const char* flag, const char* date, QStringList flags) {
        return compatibilityFlagEnabled(QLatin1String(flag), QDate::fromString(date, Qt::ISODate),
                                        flags);
    };
    const char* implicit = "python_workflows_implicit_dependencies";
    QVERIFY(!on(implicit, "2026-02-24", py));
    QVERIFY(on(implicit, "2026-02-25", py));
    QVERIFY(on(implicit, "2026-01-01", py + QStringList{implicit}));
    QVERIFY(
        !on(implicit, "2026-03-01", py + QStringList{"no_python_workflows_implicit_dependencies"}));
    const char* preserve = "workflows_preserve_non_retryable_error_message";
    QVERIFY(!on(preserve, "2026-05-13", py));
    QVERIFY(on(preserve, "2026-05-14", py));
    QVERIFY(!on(preserve, "2026-06-01",
                py + QStringList{"workflows_replace_non_retryable_error_message"}));
}
