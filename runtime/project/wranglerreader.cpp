#include "project/wranglerreader.h"

#include <QDate>
#include <QDir>
#include <QJsonArray>

#include <cmath>

namespace kiln {

namespace {

// Keys an environment does not inherit from the top level (wrangler's "non-inheritable keys").
const QStringList kNonInheritable = {
    QStringLiteral("vars"),         QStringLiteral("kv_namespaces"),
    QStringLiteral("d1_databases"), QStringLiteral("r2_buckets"),
    QStringLiteral("workflows"),    QStringLiteral("durable_objects"),
    QStringLiteral("secrets"),      QStringLiteral("services"),
    QStringLiteral("queues"),
};

// Binding kinds wrangler knows that Kiln does not provide yet: the Worker will not find them
// on env, so say so up front rather than as an AttributeError at request time.
const QStringList kUnsupportedBindings = {
    QStringLiteral("services"),   QStringLiteral("queues"),
    QStringLiteral("ai"),         QStringLiteral("vectorize"),
    QStringLiteral("hyperdrive"), QStringLiteral("analytics_engine_datasets"),
    QStringLiteral("browser"),    QStringLiteral("send_email"),
    QStringLiteral("images"),     QStringLiteral("dispatch_namespaces"),
    QStringLiteral("assets"),     QStringLiteral("secrets_store_secrets"),
};

bool isToml(const QString& file) {
    return file.endsWith(QLatin1String(".toml"), Qt::CaseInsensitive);
}

} // namespace

WranglerReader::WranglerReader(const ConfigDocument& doc, const QString& envName,
                               const QString& rootDir)
    : m_doc(doc)
    , m_fields(doc)
    , m_envName(envName)
    , m_rootDir(rootDir) {}

std::optional<ConfigError> WranglerReader::read(ProjectConfig& out) {
    const bool ok = selectEnv(out) && readBasics(out) && readCompatibility(out) &&
                    readLimitsAndTriggers(out) && readKv(out) && readD1(out) && readR2(out) &&
                    readWorkflows(out) && readDurableObjects(out) && readSecretsDecl();
    if (!ok) return m_fields.error();
    warnUnsupported(out);
    return std::nullopt;
}

ConfigError WranglerReader::errorAtMain(const QString& message) const {
    return m_fields.errorAt(m_mainField, message);
}

ConfigError WranglerReader::errorAtFlags(const QString& message) const {
    // Without a compatibility_flags key, point at the top-level object where it belongs.
    return m_flagsField.present() ? m_fields.errorAt(m_flagsField, message)
                                  : m_doc.errorAt(QString(), message);
}

ConfigField WranglerReader::field(const QString& key) const {
    if (!m_envPointer.isEmpty()) {
        const QString envPtr = ConfigDocument::childPointer(m_envPointer, key);
        if (m_env.contains(key)) return {m_env.value(key), envPtr};
        if (kNonInheritable.contains(key)) return {QJsonValue(QJsonValue::Undefined), envPtr};
    }
    return m_fields.root(key);
}

bool WranglerReader::bindingArray(const QString& key, ConfigField& where, qsizetype& count) {
    where = field(key);
    QJsonArray items;
    if (!m_fields.optObjectArray(where, items)) return false;
    count = items.size();
    return true;
}

bool WranglerReader::selectEnv(ProjectConfig& out) {
    if (m_envName.isEmpty()) return true;
    const ConfigField envs = m_fields.root(QStringLiteral("env"));
    if (!m_fields.optObject(envs, QStringLiteral("an object of environments"))) return false;
    const QJsonObject all = envs.value.toObject();
    if (!all.contains(m_envName)) {
        // wrangler: an error when other environments exist (likely a typo), else a warning
        // and the top-level configuration is used as is.
        const QString msg =
            QStringLiteral("no environment named \"%1\" in the configuration").arg(m_envName);
        if (!all.isEmpty())
            return m_fields.fail(envs, msg + QStringLiteral("; the configured environments are: %1")
                                                 .arg(all.keys().join(QLatin1String(", "))));
        out.warnings << msg + QStringLiteral("; using the top-level configuration");
        return true;
    }
    const ConfigField env = ConfigFields::child(envs, m_envName);
    if (!m_fields.optObject(env, QStringLiteral("an object"))) return false;
    m_env = env.value.toObject();
    m_envPointer = env.pointer;
    for (const QString& key : kNonInheritable) {
        if (m_doc.root.contains(key) && !m_env.contains(key))
            out.warnings << QStringLiteral("\"%1\" exists at the top level but not in \"env.%2\"; "
                                           "it is not inherited, so env.%2 has none. Add \"%1\" "
                                           "to \"env.%2\" if it needs them.")
                                .arg(key, m_envName);
    }
    return true;
}

bool WranglerReader::readBasics(ProjectConfig& out) {
    if (!m_fields.optString(field(QStringLiteral("name")), out.name)) return false;
    if (!m_envPointer.isEmpty() && !m_env.contains(QLatin1String("name")) && !out.name.isEmpty())
        out.name += QLatin1Char('-') + m_envName;

    m_mainField = field(QStringLiteral("main"));
    if (!m_mainField.present())
        return m_fields.fail(m_mainField, QStringLiteral("no \"main\": set it to the Worker's "
                                                         "entry point, e.g. \"src/entry.py\""));
    if (!m_fields.reqString(m_mainField, m_mainEntry)) return false;

    const ConfigField vars = field(QStringLiteral("vars"));
    if (!m_fields.optObject(vars, QStringLiteral("an object of names to values"))) return false;
    out.vars = vars.value.toObject();
    return true;
}

bool WranglerReader::readCompatibility(ProjectConfig& out) {
    const ConfigField date = field(QStringLiteral("compatibility_date"));
    if (!date.present()) {
        // Like wrangler's message: say what to add, with today's date as the sensible value.
        const QString today = QDate::currentDate().toString(Qt::ISODate);
        const QString example = isToml(m_doc.file)
                                    ? QStringLiteral("compatibility_date = \"%1\"").arg(today)
                                    : QStringLiteral("\"compatibility_date\": \"%1\"").arg(today);
        return m_fields.fail(date, QStringLiteral("a compatibility_date is required. Add one to "
                                                  "the configuration, e.g. %1")
                                       .arg(example));
    }
    if (!m_fields.optString(date, out.compatibilityDate)) return false;
    const QDate parsed = QDate::fromString(out.compatibilityDate, QStringLiteral("yyyy-MM-dd"));
    if (out.compatibilityDate.size() != 10 || !parsed.isValid())
        return m_fields.fail(date, QStringLiteral("\"%1\" must be a date in the form YYYY-MM-DD, "
                                                  "found \"%2\"")
                                       .arg(ConfigFields::display(date), out.compatibilityDate));
    if (parsed > QDate::currentDate())
        out.warnings << QStringLiteral("compatibility_date %1 is in the future; Cloudflare will "
                                       "refuse to deploy it")
                            .arg(out.compatibilityDate);

    m_flagsField = field(QStringLiteral("compatibility_flags"));
    return m_fields.optStringList(m_flagsField, out.compatibilityFlags);
}

bool WranglerReader::readLimitsAndTriggers(ProjectConfig& out) {
    const ConfigField limits = field(QStringLiteral("limits"));
    if (!m_fields.optObject(limits, QStringLiteral("an object"))) return false;
    const ConfigField cpu = ConfigFields::child(limits, QStringLiteral("cpu_ms"));
    if (cpu.present()) {
        const double ms = cpu.value.toDouble(-1);
        if (!cpu.value.isDouble() || ms <= 0 || ms != std::floor(ms) || ms > 2147483647.0)
            return m_fields.fail(
                cpu, QStringLiteral("\"%1\" must be a positive whole number of "
                                    "milliseconds, found %2")
                         .arg(ConfigFields::display(cpu), cpu.value.isDouble()
                                                              ? QString::number(ms)
                                                              : ConfigFields::typeName(cpu.value)));
        out.cpuMs = static_cast<int>(ms);
    }

    const ConfigField triggers = field(QStringLiteral("triggers"));
    if (!m_fields.optObject(triggers, QStringLiteral("an object")) ||
        !m_fields.optStringList(ConfigFields::child(triggers, QStringLiteral("crons")), out.crons))
        return false;
    for (const QString& cron : std::as_const(out.crons)) {
        if (cron.split(QLatin1Char(' '), Qt::SkipEmptyParts).size() != 5)
            out.warnings << QStringLiteral("cron \"%1\" does not have the five fields Cloudflare "
                                           "expects (minute hour day-of-month month day-of-week)")
                                .arg(cron);
    }
    return true;
}

bool WranglerReader::readKv(ProjectConfig& out) {
    ConfigField where;
    qsizetype n = 0;
    if (!bindingArray(QStringLiteral("kv_namespaces"), where, n)) return false;
    for (qsizetype i = 0; i < n; ++i) {
        const ConfigField item = ConfigFields::item(where, i);
        KvNamespaceDecl kv;
        if (!m_fields.reqString(ConfigFields::child(item, QStringLiteral("binding")), kv.binding) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("id")), kv.id) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("preview_id")),
                                kv.previewId))
            return false;
        if (kv.id.isEmpty()) // wrangler's local mode keys an id-less namespace by its binding
            kv.id = kv.binding;
        out.kvNamespaces << kv;
    }
    return true;
}

bool WranglerReader::readD1(ProjectConfig& out) {
    ConfigField where;
    qsizetype n = 0;
    if (!bindingArray(QStringLiteral("d1_databases"), where, n)) return false;
    for (qsizetype i = 0; i < n; ++i) {
        const ConfigField item = ConfigFields::item(where, i);
        D1DatabaseDecl db;
        QString migrations = QStringLiteral("migrations");
        if (!m_fields.reqString(ConfigFields::child(item, QStringLiteral("binding")), db.binding) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("database_name")),
                                db.databaseName) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("database_id")),
                                db.databaseId) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("migrations_dir")),
                                migrations))
            return false;
        if (db.databaseId.isEmpty()) db.databaseId = db.binding;
        db.migrationsDir = QDir::cleanPath(QDir(m_rootDir).absoluteFilePath(migrations));
        out.d1Databases << db;
    }
    return true;
}

bool WranglerReader::readR2(ProjectConfig& out) {
    ConfigField where;
    qsizetype n = 0;
    if (!bindingArray(QStringLiteral("r2_buckets"), where, n)) return false;
    for (qsizetype i = 0; i < n; ++i) {
        const ConfigField item = ConfigFields::item(where, i);
        R2BucketDecl r2;
        if (!m_fields.reqString(ConfigFields::child(item, QStringLiteral("binding")), r2.binding) ||
            !m_fields.optString(ConfigFields::child(item, QStringLiteral("bucket_name")),
                                r2.bucketName))
            return false;
        if (r2.bucketName.isEmpty()) r2.bucketName = r2.binding;
        out.r2Buckets << r2;
    }
    return true;
}

bool WranglerReader::readWorkflows(ProjectConfig& out) {
    ConfigField where;
    qsizetype n = 0;
    if (!bindingArray(QStringLiteral("workflows"), where, n)) return false;
    for (qsizetype i = 0; i < n; ++i) {
        const ConfigField item = ConfigFields::item(where, i);
        WorkflowDecl wf;
        if (!m_fields.reqString(ConfigFields::child(item, QStringLiteral("name")), wf.name) ||
            !m_fields.reqString(ConfigFields::child(item, QStringLiteral("binding")), wf.binding) ||
            !m_fields.reqString(ConfigFields::child(item, QStringLiteral("class_name")),
                                wf.className))
            return false;
        out.workflows << wf;
    }
    return true;
}

bool WranglerReader::readDurableObjects(ProjectConfig& out) {
    const ConfigField dobj = field(QStringLiteral("durable_objects"));
    if (!m_fields.optObject(dobj, QStringLiteral("an object with \"bindings\""))) return false;
    const ConfigField bindings = ConfigFields::child(dobj, QStringLiteral("bindings"));
    QJsonArray items;
    if (!m_fields.optObjectArray(bindings, items)) return false;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const ConfigField item = ConfigFields::item(bindings, i);
        DurableObjectDecl d;
        if (!m_fields.reqString(ConfigFields::child(item, QStringLiteral("name")), d.name) ||
            !m_fields.reqString(ConfigFields::child(item, QStringLiteral("class_name")),
                                d.className))
            return false;
        out.durableObjects << d;
    }
    return true;
}

bool WranglerReader::readSecretsDecl() {
    const ConfigField secrets = field(QStringLiteral("secrets"));
    if (!m_fields.optObject(secrets, QStringLiteral("an object with \"required\""))) return false;
    const ConfigField required = ConfigFields::child(secrets, QStringLiteral("required"));
    if (!required.present()) return true;
    QStringList names;
    if (!m_fields.optStringList(required, names)) return false;
    m_requiredSecrets = names;
    return true;
}

void WranglerReader::warnUnsupported(ProjectConfig& out) const {
    for (const QString& key : kUnsupportedBindings) {
        if (field(key).present())
            out.warnings << QStringLiteral("\"%1\" is not supported by Kiln yet; those bindings "
                                           "will be missing from env")
                                .arg(key);
    }
}

} // namespace kiln
