// Config formats, precedence, env sections and the real conformance projects.
#include "test_projectconfig.h"

using namespace kiln;
using namespace testutil;

void TestProjectConfig::jsoncCommentsAndTrailingCommas() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"(// leading comment
{
  /* block
     comment */
  "name": "commented", // trailing comment
  "main": "src/entry.py",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers",],
  "vars": {
    "URL": "https://example.com/a//b/*not a comment*/",
    "N": 2.5,
    "ON": true,
    "NESTED": {"list": [1, "two", null,], "esc": "tab\there \u00e9 \"q\""},
  },
  "limits": {"cpu_ms": 50},
  "triggers": {"crons": ["*/5 * * * *", "0 3 * * *"]},
}
/* trailing block */)");
    auto cfg = loadProject(root);
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->name, QStringLiteral("commented"));
    QCOMPARE(cfg->configFile, QDir(root).absoluteFilePath("wrangler.jsonc"));
    QCOMPARE(cfg->rootDir, QDir(root).absolutePath());
    QCOMPARE(cfg->mainFile, QDir(root).absoluteFilePath("src/entry.py"));
    QCOMPARE(cfg->mainModule, QStringLiteral("entry"));
    QCOMPARE(cfg->importRoot, QDir(root).absoluteFilePath("src"));
    QCOMPARE(cfg->compatibilityFlags, QStringList{"python_workers"});
    QCOMPARE(cfg->vars.value("URL").toString(),
             QStringLiteral("https://example.com/a//b/*not a comment*/"));
    QCOMPARE(cfg->vars.value("N").toDouble(), 2.5);
    QCOMPARE(cfg->vars.value("ON").toBool(), true);
    const QJsonObject nested = cfg->vars.value("NESTED").toObject();
    QCOMPARE(nested.value("list").toArray().size(), 3);
    QVERIFY(nested.value("list").toArray().at(2).isNull());
    QCOMPARE(nested.value("esc").toString(), QString::fromUtf8("tab\there \xc3\xa9 \"q\""));
    QCOMPARE(cfg->cpuMs, std::optional<int>(50));
    QCOMPARE(cfg->crons, (QStringList{"*/5 * * * *", "0 3 * * *"}));
    QVERIFY(cfg->secretNames.isEmpty());
    QVERIFY(cfg->pythonModulesDir.isEmpty());
}

void TestProjectConfig::plainJson() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.json", R"({"name": "plain", "main": "src/entry.py",
        "compatibility_date": "2026-09-10", "compatibility_flags": ["python_workers"],
        "vars": {"A": "1"}})");
    auto cfg = loadProject(root);
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->name, QStringLiteral("plain"));
    QCOMPARE(cfg->vars.value("A").toString(), QStringLiteral("1"));
    QVERIFY(!cfg->cpuMs);
    // 2026-09-10 is past python_workers_314's date: Cloudflare's 314.0.6, same line as Kiln's.
    QCOMPARE(cfg->cloudflarePyodideVersion, QStringLiteral("314.0.6"));
    QVERIFY(!cfg->pyodideMismatch);
}

void TestProjectConfig::tomlAllFields() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.toml", R"(# a TOML project
name = "tomly"
main = "src/entry.py"
compatibility_date = "2026-06-15"
compatibility_flags = ["python_workers"]

[vars]
MODE = "dev"
RETRIES = 3
RATIO = 0.5
DEBUG = false
SERVICE = { url = "https://x.example", id = 7 }

[limits]
cpu_ms = 100

[triggers]
crons = ["0 * * * *"]

[[kv_namespaces]]
binding = "CACHE"
id = "abc123"
preview_id = "prev456"

[[d1_databases]]
binding = "DB"
database_name = "main-db"
database_id = "d1-id"
migrations_dir = "db/migrations"

[[d1_databases]]
binding = "LOGS"
database_name = "logs"
database_id = "logs-id"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"

[[workflows]]
name = "signup"
binding = "SIGNUP"
class_name = "SignupFlow"

[durable_objects]
bindings = [{ name = "COUNTER", class_name = "Counter" }]
)");
    auto cfg = loadProject(root);
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->name, QStringLiteral("tomly"));
    QCOMPARE(cfg->vars.value("MODE").toString(), QStringLiteral("dev"));
    QVERIFY(cfg->vars.value("RETRIES").isDouble());
    QCOMPARE(cfg->vars.value("RETRIES").toInt(), 3);
    QCOMPARE(cfg->vars.value("RATIO").toDouble(), 0.5);
    QVERIFY(cfg->vars.value("DEBUG").isBool());
    QCOMPARE(cfg->vars.value("SERVICE").toObject().value("id").toInt(), 7);
    QCOMPARE(cfg->cpuMs, std::optional<int>(100));
    QCOMPARE(cfg->crons, QStringList{"0 * * * *"});
    QCOMPARE(cfg->kvNamespaces.size(), 1);
    QCOMPARE(cfg->kvNamespaces[0].binding, QStringLiteral("CACHE"));
    QCOMPARE(cfg->kvNamespaces[0].id, QStringLiteral("abc123"));
    QCOMPARE(cfg->kvNamespaces[0].previewId, QStringLiteral("prev456"));
    QCOMPARE(cfg->d1Databases.size(), 2);
    QCOMPARE(cfg->d1Databases[0].databaseName, QStringLiteral("main-db"));
    QCOMPARE(cfg->d1Databases[0].databaseId, QStringLiteral("d1-id"));
    QCOMPARE(cfg->d1Databases[0].migrationsDir, QDir(root).absoluteFilePath("db/migrations"));
    QCOMPARE(cfg->d1Databases[1].migrationsDir, QDir(root).absoluteFilePath("migrations"));
    QCOMPARE(cfg->r2Buckets.size(), 1);
    QCOMPARE(cfg->r2Buckets[0].bucketName, QStringLiteral("files"));
    QCOMPARE(cfg->workflows.size(), 1);
    QCOMPARE(cfg->workflows[0].name, QStringLiteral("signup"));
    QCOMPARE(cfg->workflows[0].binding, QStringLiteral("SIGNUP"));
    QCOMPARE(cfg->workflows[0].className, QStringLiteral("SignupFlow"));
    QCOMPARE(cfg->durableObjects.size(), 1);
    QCOMPARE(cfg->durableObjects[0].name, QStringLiteral("COUNTER"));
    QCOMPARE(cfg->durableObjects[0].className, QStringLiteral("Counter"));
}

void TestProjectConfig::configPrecedence() {
    QTemporaryDir tmp;
    const QString root = tmp.path();
    QVERIFY(writeFile(root + "/src/entry.py", ""));
    auto cfgText = [](const char* name, bool toml) {
        return toml ? QByteArray("name = \"") + name +
                          "\"\nmain = \"src/entry.py\"\ncompatibility_date = \"2026-06-15\"\n"
                          "compatibility_flags = [\"python_workers\"]\n"
                    : QByteArray("{\"name\": \"") + name +
                          "\", \"main\": \"src/entry.py\", \"compatibility_date\": \"2026-06-15\","
                          " \"compatibility_flags\": [\"python_workers\"]}";
    };
    QVERIFY(writeFile(root + "/wrangler.toml", cfgText("from-toml", true)));
    QCOMPARE(loadProject(root)->name, QStringLiteral("from-toml"));
    QVERIFY(writeFile(root + "/wrangler.jsonc", cfgText("from-jsonc", false)));
    auto cfg = loadProject(root);
    QCOMPARE(cfg->name, QStringLiteral("from-jsonc"));
    QVERIFY(cfg->warnings.join('\n').contains("wrangler.jsonc and wrangler.toml"));
    QVERIFY(writeFile(root + "/wrangler.json", cfgText("from-json", false)));
    QCOMPARE(loadProject(root)->name, QStringLiteral("from-json"));

    QTemporaryDir empty;
    const ConfigError err = loadError(empty.path());
    QVERIFY(err.message.contains("no wrangler.json, wrangler.jsonc or wrangler.toml"));
}

void TestProjectConfig::configFileGivenDirectly() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    QVERIFY(writeFile(root + "/staging.toml", "name = \"direct\"\nmain = \"src/entry.py\"\n"
                                              "compatibility_date = \"2026-06-15\"\n"
                                              "compatibility_flags = [\"python_workers\"]\n"));
    auto cfg = loadProject(root + "/staging.toml");
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->name, QStringLiteral("direct"));
    QCOMPARE(cfg->configFile, QDir(root).absoluteFilePath("staging.toml"));
    QVERIFY(!loadProject(root + "/nope.toml"));
}

void TestProjectConfig::envSectionsJsonc() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({
  "name": "app",
  "main": "src/entry.py",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers"],
  "limits": {"cpu_ms": 30},
  "vars": {"MODE": "top", "ONLY_TOP": 1},
  "kv_namespaces": [{"binding": "TOP_KV", "id": "top"}],
  "r2_buckets": [{"binding": "FILES", "bucket_name": "top-files"}],
  "env": {
    "staging": {
      "vars": {"MODE": "staging"},
      "kv_namespaces": [{"binding": "STAGE_KV", "id": "stage"}],
    },
    "production": {"name": "prod-worker", "compatibility_date": "2026-09-10"},
  },
})");
    QVERIFY(writeFile(root + "/src/other.py", ""));
    auto top = loadProject(root);
    QVERIFY(top);
    QCOMPARE(top->name, QStringLiteral("app"));
    QCOMPARE(top->vars.value("MODE").toString(), QStringLiteral("top"));

    auto staging = loadProject(root, {QStringLiteral("staging")});
    QVERIFY2(staging, qPrintable(staging ? QString() : staging.error().toString()));
    QCOMPARE(staging->envName, QStringLiteral("staging"));
    QCOMPARE(staging->name, QStringLiteral("app-staging"));
    QCOMPARE(staging->vars.value("MODE").toString(), QStringLiteral("staging"));
    QVERIFY(!staging->vars.contains("ONLY_TOP")); // vars are not inherited
    QCOMPARE(staging->kvNamespaces.size(), 1);
    QCOMPARE(staging->kvNamespaces[0].binding, QStringLiteral("STAGE_KV"));
    QVERIFY(staging->r2Buckets.isEmpty()); // bindings are not inherited
    QVERIFY(staging->warnings.join('\n').contains("\"r2_buckets\" exists at the top level"));
    QCOMPARE(staging->cpuMs, std::optional<int>(30)); // limits are inherited
    QCOMPARE(staging->compatibilityDate, QStringLiteral("2026-06-15"));

    auto prod = loadProject(root, {QStringLiteral("production")});
    QVERIFY(prod);
    QCOMPARE(prod->name, QStringLiteral("prod-worker"));
    QCOMPARE(prod->compatibilityDate, QStringLiteral("2026-09-10"));
    QCOMPARE(prod->cloudflarePyodideVersion, QStringLiteral("314.0.6"));
    QVERIFY(prod->vars.isEmpty());
}

void TestProjectConfig::envSectionsToml() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.toml", R"(name = "svc"
main = "src/entry.py"
compatibility_date = "2026-06-15"
compatibility_flags = ["python_workers"]

[env.staging]
main = "src/other.py"

[env.staging.vars]
MODE = "staging"

[[env.staging.d1_databases]]
binding = "DB"
database_id = "stage-db"

[env.broken]
vars = 3
)");
    QVERIFY(writeFile(root + "/src/other.py", ""));
    auto cfg = loadProject(root, {QStringLiteral("staging")});
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->name, QStringLiteral("svc-staging"));
    QCOMPARE(cfg->mainModule, QStringLiteral("other"));
    QCOMPARE(cfg->vars.value("MODE").toString(), QStringLiteral("staging"));
    QCOMPARE(cfg->d1Databases.size(), 1);
    QCOMPARE(cfg->d1Databases[0].databaseId, QStringLiteral("stage-db"));

    const ConfigError err = loadError(root, {QStringLiteral("broken")});
    QCOMPARE(err.line, 17); // the "vars = 3" line
    QVERIFY2(err.message.contains("env.broken.vars"), qPrintable(err.toString()));
}

void TestProjectConfig::unknownCompatibilityFlag() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({"name": "a", "main": "src/entry.py",
  "compatibility_date": "2026-09-08",
  "compatibility_flags": ["python_workers", "nodejs_compat", "no_python_workers_314", "python_wrokers"]})");
    auto cfg = loadProject(root, {});
    QVERIFY(cfg);
    const QString warnings = cfg->warnings.join('\n');
    // The misspelt one is named; workerd's own flags (enable and disable forms) are not.
    QVERIFY2(warnings.contains("compatibility flag \"python_wrokers\" is not one workerd knows"),
             qPrintable(warnings));
    QVERIFY2(!warnings.contains("\"nodejs_compat\" is not") &&
                 !warnings.contains("\"no_python_workers_314\" is not"),
             qPrintable(warnings));
}

void TestProjectConfig::unknownEnv() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", kMinimalJsonc);
    auto cfg = loadProject(root, {QStringLiteral("qa")}); // no env sections at all: a warning
    QVERIFY(cfg);
    QCOMPARE(cfg->name, QStringLiteral("app"));
    QVERIFY(cfg->warnings.join('\n').contains("no environment named \"qa\""));

    QTemporaryDir tmp2;
    const QString root2 = project(tmp2, "wrangler.jsonc", R"({"name": "a", "main": "src/entry.py",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"],
  "env": {"staging": {}}})");
    const ConfigError err = loadError(root2, {QStringLiteral("stagign")});
    QVERIFY2(err.message.contains("no environment named \"stagign\"") &&
                 err.message.contains("staging"),
             qPrintable(err.toString()));
}

void TestProjectConfig::placeholderIds() {
    QTemporaryDir tmp;
    const QString root = project(tmp, "wrangler.jsonc", R"({"name": "p", "main": "src/entry.py",
  "compatibility_date": "2026-06-15", "compatibility_flags": ["python_workers"],
  "kv_namespaces": [{"binding": "KV", "id": "<YOUR_KV_NAMESPACE_ID>"}, {"binding": "NOID"}],
  "d1_databases": [{"binding": "DB", "database_name": "db", "database_id": "<YOUR_D1_ID>"}],
  "r2_buckets": [{"binding": "R2"}]})");
    auto cfg = loadProject(root);
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().toString()));
    QCOMPARE(cfg->kvNamespaces[0].id, QStringLiteral("<YOUR_KV_NAMESPACE_ID>"));
    QCOMPARE(cfg->kvNamespaces[1].id, QStringLiteral("NOID"));
    QCOMPARE(cfg->d1Databases[0].databaseId, QStringLiteral("<YOUR_D1_ID>"));
    QCOMPARE(cfg->r2Buckets[0].bucketName, QStringLiteral("R2"));
}

void TestProjectConfig::conformanceProjects() {
    QString shared = qEnvironmentVariable("KILN_SHARED_DIR");
    if (shared.isEmpty()) shared = QStringLiteral(KILN_SHARED_DIR_DEFAULT);
    const QDir dir(shared + "/conformance");
    const QStringList cases = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    QVERIFY2(cases.size() >= 9, qPrintable("conformance cases not found in " + dir.path()));
    for (const QString& name : cases) {
        auto cfg = loadProject(dir.absoluteFilePath(name));
        QVERIFY2(cfg, qPrintable(name + ": " + (cfg ? QString() : cfg.error().toString())));
        QCOMPARE(cfg->name, name);
        QCOMPARE(cfg->mainModule, QStringLiteral("entry"));
        QCOMPARE(cfg->importRoot, dir.absoluteFilePath(name + "/src"));
        QCOMPARE(cfg->compatibilityDate, QStringLiteral("2026-06-15"));
        QCOMPARE(cfg->cloudflarePyodideVersion, QStringLiteral("0.28.2"));
        QCOMPARE(cfg->cloudflarePythonVersion, QStringLiteral("3.13.2"));
        QVERIFY(cfg->pyodideMismatch);
        QCOMPARE(cfg->pythonModulesDir.isEmpty(), name != QLatin1String("packaged"));
        if (name == QLatin1String("secrets")) {
            QCOMPARE(cfg->vars.value("MODE").toString(), QStringLiteral("development"));
            QVERIFY(cfg->vars.value("RETRIES").isDouble());
            QCOMPARE(cfg->vars.value("RETRIES").toInt(), 3);
            QCOMPARE(cfg->vars.value("API_KEY").toString(), QStringLiteral("dev-key-123"));
            QCOMPARE(cfg->secretNames, QStringList{"API_KEY"});
        } else {
            QVERIFY(cfg->secretNames.isEmpty());
        }
        if (name == QLatin1String("counter")) {
            QCOMPARE(cfg->kvNamespaces.size(), 1);
            QCOMPARE(cfg->kvNamespaces[0].binding, QStringLiteral("COUNTS"));
            QCOMPARE(cfg->kvNamespaces[0].id, QStringLiteral("5e1c0a9b7d2f4e3a8b6c1d0e9f8a7b6c"));
        } else if (name == QLatin1String("nightly")) {
            QCOMPARE(cfg->crons, QStringList{"0 3 * * *"});
            QCOMPARE(cfg->kvNamespaces.value(0).binding, QStringLiteral("RUNS"));
        } else if (name == QLatin1String("quotes")) {
            QCOMPARE(cfg->d1Databases.size(), 1);
            QCOMPARE(cfg->d1Databases[0].binding, QStringLiteral("DB"));
            QCOMPARE(cfg->d1Databases[0].databaseName, QStringLiteral("quotes"));
            QCOMPARE(cfg->d1Databases[0].databaseId,
                     QStringLiteral("c0ffee00-1111-4222-8333-944455556666"));
            QCOMPARE(cfg->d1Databases[0].migrationsDir, dir.absoluteFilePath("quotes/migrations"));
        } else if (name == QLatin1String("uploads")) {
            QCOMPARE(cfg->r2Buckets.size(), 1);
            QCOMPARE(cfg->r2Buckets[0].binding, QStringLiteral("BUCKET"));
            QCOMPARE(cfg->r2Buckets[0].bucketName, QStringLiteral("uploads"));
        } else if (name == QLatin1String("greet")) {
            QCOMPARE(cfg->configFile, dir.absoluteFilePath("greet/wrangler.jsonc"));
            QVERIFY(cfg->vars.isEmpty());
        }
    }
}

QTEST_GUILESS_MAIN(TestProjectConfig)
