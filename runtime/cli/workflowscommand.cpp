#include "cli/workflowscommand.h"

#include "cli/storeoptions.h"
#include "cli/texttable.h"
#include "cli/workflowsview.h"
#include "stores/statelayout.h"
#include "stores/workflowstore.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>
#include <map>
#include <memory>

namespace kiln {

namespace {

const char* kUsage =
    "usage: kiln workflows list | describe NAME | trigger NAME [PARAMS_JSON] [--id ID]\n"
    "       kiln workflows instances list NAME [--status S] [--reverse]\n"
    "       kiln workflows instances describe|pause|resume|terminate|restart|delete NAME "
    "[ID|latest]\n"
    "       kiln workflows instances send-event NAME [ID|latest] --type T [--payload JSON]";

qint64 now() {
    return QDateTime::currentMSecsSinceEpoch();
}

void printJson(const QJsonValue& value) {
    const QJsonDocument doc =
        value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    printf("%s", doc.toJson(QJsonDocument::Indented).constData());
}

// Parses JSON text given on the command line (a value of any kind); names the option.
std::expected<QByteArray, QString> jsonArgument(const QString& what, const QString& text) {
    QJsonParseError error;
    QJsonDocument::fromJson("[" + text.toUtf8() + "]", &error);
    if (error.error != QJsonParseError::NoError)
        return std::unexpected(QStringLiteral("%1 is not valid JSON: %2 (at character %3)")
                                   .arg(what, error.errorString())
                                   .arg(qMax(0, error.offset - 1)));
    return text.toUtf8();
}

class Workflows {
public:
    Workflows(const QCommandLineParser& parser, StoreProject project)
        : m_parser(parser)
        , m_project(std::move(project)) {}

    int run(const QStringList& pos);

private:
    const WorkflowDecl* decl(const QString& name, QString* error) const;
    // The workflow's store; nullptr with `error` set. Read-only commands leave a store that
    // was never written uncreated (`create` false: nullptr and no error).
    std::unique_ptr<WorkflowStore> open(const WorkflowDecl& flow, bool create,
                                        QString* error) const;
    std::expected<QString, QString> resolveId(WorkflowStore& store, const QString& flow,
                                              const QString& given) const;
    std::map<QString, int> counts(const WorkflowDecl& flow) const;
    bool json() const { return m_parser.isSet(QStringLiteral("json")); }

    int list();
    int describe(const WorkflowDecl& flow);
    int trigger(const WorkflowDecl& flow, const QString& params);
    int instances(const QString& action, const WorkflowDecl& flow, const QString& id);

    const QCommandLineParser& m_parser;
    StoreProject m_project;
};

const WorkflowDecl* Workflows::decl(const QString& name, QString* error) const {
    QStringList known;
    for (const WorkflowDecl& flow : m_project.project.workflows) {
        if (flow.name == name) return &flow;
        known << flow.name;
    }
    for (const WorkflowDecl& flow : m_project.project.workflows)
        if (flow.binding == name) return &flow; // its binding names it too
    *error = known.isEmpty()
                 ? QStringLiteral("%1 declares no workflows").arg(m_project.project.configFile)
                 : QStringLiteral("%1 has no workflow named \"%2\" (workflows: %3)")
                       .arg(m_project.project.configFile, name, known.join(QStringLiteral(", ")));
    return nullptr;
}

std::unique_ptr<WorkflowStore> Workflows::open(const WorkflowDecl& flow, bool create,
                                               QString* error) const {
    const QString path = StateLayout(m_project.persistDir).workflowFile(flow.name);
    if (!create && !QFileInfo::exists(path)) return nullptr;
    auto store = std::make_unique<WorkflowStore>(path);
    if (auto r = store->open(); !r) {
        *error = r.error();
        return nullptr;
    }
    return store;
}

std::expected<QString, QString> Workflows::resolveId(WorkflowStore& store, const QString& flow,
                                                     const QString& given) const {
    if (!given.isEmpty() && given != QLatin1String("latest")) return given;
    auto all = store.instances();
    if (!all) return std::unexpected(all.error());
    if (all->empty())
        return std::unexpected(
            QStringLiteral("There are no instances in workflow \"%1\"").arg(flow));
    return all->front().id;
}

std::map<QString, int> Workflows::counts(const WorkflowDecl& flow) const {
    std::map<QString, int> out;
    QString error;
    auto store = open(flow, false, &error);
    if (!store) return out;
    if (auto all = store->instances())
        for (const WorkflowInstance& i : *all)
            ++out[workflowStatusName(i.status)];
    return out;
}

int Workflows::list() {
    QJsonArray array;
    std::vector<QStringList> rows;
    for (const WorkflowDecl& flow : m_project.project.workflows) {
        QJsonObject byStatus;
        QStringList parts;
        int total = 0;
        for (const auto& [status, n] : counts(flow)) {
            byStatus.insert(status, n);
            parts << QStringLiteral("%1 %2").arg(n).arg(status);
            total += n;
        }
        array.append(QJsonObject{{QStringLiteral("name"), flow.name},
                                 {QStringLiteral("binding"), flow.binding},
                                 {QStringLiteral("class_name"), flow.className},
                                 {QStringLiteral("instances"), byStatus}});
        rows.push_back({flow.name, flow.binding, flow.className, QString::number(total),
                        parts.join(QStringLiteral(", "))});
    }
    if (json()) {
        printJson(array);
        return 0;
    }
    if (rows.empty()) {
        printf("%s declares no workflows.\n", qPrintable(m_project.project.configFile));
        return 0;
    }
    printTextTable({QStringLiteral("Name"), QStringLiteral("Binding"), QStringLiteral("Class Name"),
                    QStringLiteral("Instances"), QStringLiteral("By status")},
                   rows);
    return 0;
}

int Workflows::describe(const WorkflowDecl& flow) {
    QJsonObject byStatus;
    for (const auto& [status, n] : counts(flow))
        byStatus.insert(status, n);
    const QString path = StateLayout(m_project.persistDir).workflowFile(flow.name);
    if (json()) {
        printJson(QJsonObject{{QStringLiteral("name"), flow.name},
                              {QStringLiteral("binding"), flow.binding},
                              {QStringLiteral("class_name"), flow.className},
                              {QStringLiteral("store"), path},
                              {QStringLiteral("instances"), byStatus}});
        return 0;
    }
    printf("Name:        %s\nBinding:     %s\nClass Name:  %s\nStore:       %s\n",
           qPrintable(flow.name), qPrintable(flow.binding), qPrintable(flow.className),
           qPrintable(path));
    printf("Instance Status Counts:\n");
    if (byStatus.isEmpty()) printf("  (no instances)\n");
    for (auto it = byStatus.begin(); it != byStatus.end(); ++it)
        printf("  %-16s %d\n", qPrintable(it.key() + QLatin1Char(':')), it.value().toInt());
    return 0;
}

int Workflows::trigger(const WorkflowDecl& flow, const QString& params) {
    auto text = params.isEmpty() ? std::expected<QByteArray, QString>(QByteArray("{}"))
                                 : jsonArgument(QStringLiteral("PARAMS"), params);
    if (!text) return commandFailed(text.error());
    const QString id = m_parser.value(QStringLiteral("id"));
    if (!id.isEmpty() && !WorkflowStore::validInstanceId(id))
        return commandFailed(QStringLiteral("--id \"%1\": Workflow instance has invalid id (1-100 "
                                            "characters of a-z, A-Z, 0-9, _ and -, not starting "
                                            "with -)")
                                 .arg(id));
    QString error;
    auto store = open(flow, true, &error);
    if (!store) return commandFailed(error);
    auto created = store->create(id, *text, now());
    if (!created) return commandFailed(created.error().text());
    if (json()) {
        printJson(QJsonObject{{QStringLiteral("id"), created->id},
                              {QStringLiteral("status"), QStringLiteral("queued")}});
        return 0;
    }
    printf("\U0001f680 Workflow instance \"%s\" has been queued successfully\n",
           qPrintable(created->id));
    return 0;
}

int Workflows::instances(const QString& action, const WorkflowDecl& flow, const QString& given) {
    const bool reads = action == QLatin1String("list") || action == QLatin1String("describe");
    QString error;
    auto store = open(flow, !reads, &error);
    if (!store && !error.isEmpty()) return commandFailed(error);
    if (action == QLatin1String("list")) {
        std::vector<WorkflowInstance> all;
        if (store) {
            auto r = store->instances();
            if (!r) return commandFailed(r.error());
            all = std::move(*r);
        }
        const QString status = m_parser.value(QStringLiteral("status"));
        if (!status.isEmpty()) {
            if (workflowStatusFromName(status) == WorkflowStatus::Unknown &&
                status != QLatin1String("unknown"))
                return commandFailed(
                    QStringLiteral("--status \"%1\": must be one of queued, running, paused, "
                                   "waiting, waitingForPause, complete, errored, terminated")
                        .arg(status));
            std::erase_if(all, [&](const WorkflowInstance& i) {
                return workflowStatusName(i.status) != status;
            });
        }
        if (m_parser.isSet(QStringLiteral("reverse"))) std::reverse(all.begin(), all.end());
        if (json()) {
            QJsonArray array;
            for (const WorkflowInstance& i : all)
                array.append(workflowInstanceSummaryJson(i));
            printJson(array);
        } else if (all.empty()) {
            printf("There are no instances in workflow \"%s\"%s. Trigger one with \"kiln "
                   "workflows trigger %s\".\n",
                   qPrintable(flow.name), status.isEmpty() ? "" : " with that status",
                   qPrintable(flow.name));
        } else {
            printf("Showing %zu instance%s:\n", all.size(), all.size() == 1 ? "" : "s");
            printWorkflowInstanceTable(all, now());
        }
        return 0;
    }
    if (!store)
        return commandFailed(
            QStringLiteral("There are no instances in workflow \"%1\"").arg(flow.name));
    auto id = resolveId(*store, flow.name, given);
    if (!id) return commandFailed(id.error());
    auto instance = store->instance(*id);
    if (!instance) return commandFailed(instance.error());
    if (!*instance)
        return commandFailed(QStringLiteral("(instance.not_found) Instance \"%1\" not found in "
                                            "workflow \"%2\"")
                                 .arg(*id, flow.name));

    if (action == QLatin1String("describe")) {
        auto steps = store->steps(*id);
        if (!steps) return commandFailed(steps.error());
        if (json()) {
            printJson(workflowInstanceDetailJson(**instance, *steps));
            return 0;
        }
        WorkflowDescribeOptions options;
        options.stepOutput = !m_parser.isSet(QStringLiteral("no-step-output"));
        if (m_parser.isSet(QStringLiteral("truncate-output-limit")))
            options.truncateOutputLimit =
                qMax(0, m_parser.value(QStringLiteral("truncate-output-limit")).toInt());
        options.nowMs = now();
        printWorkflowInstance(flow.name, **instance, *steps, options);
        return 0;
    }
    if (action == QLatin1String("send-event")) {
        const QString type = m_parser.value(QStringLiteral("type"));
        if (type.isEmpty()) return commandFailed(QStringLiteral("send-event needs --type TYPE"));
        const QString payloadText = m_parser.value(QStringLiteral("payload"));
        auto payload = payloadText.isEmpty()
                           ? std::expected<QByteArray, QString>(QByteArray("{}"))
                           : jsonArgument(QStringLiteral("--payload"), payloadText);
        if (!payload) return commandFailed(payload.error());
        auto sent = store->sendEvent(*id, type, *payload, now());
        if (!sent) return commandFailed(sent.error().text());
        if (json()) {
            printJson(QJsonObject{{QStringLiteral("id"), *id}, {QStringLiteral("type"), type}});
            return 0;
        }
        printf("\U0001f4e4 The event with type \"%s\"%s was sent to the instance \"%s\" from %s\n",
               qPrintable(type),
               payloadText.isEmpty()
                   ? ""
                   : qPrintable(QStringLiteral(" and payload \"%1\"").arg(payloadText)),
               qPrintable(*id), qPrintable(flow.name));
        return 0;
    }
    if (action == QLatin1String("delete")) {
        if (auto r = store->remove(*id); !r) return commandFailed(r.error().text());
        if (!json())
            printf("\U0001f977 The instance \"%s\" from %s was deleted successfully\n",
                   qPrintable(*id), qPrintable(flow.name));
        else
            printJson(QJsonObject{{QStringLiteral("id"), *id}});
        return 0;
    }

    const struct {
        const char* word;
        WorkflowAction action;
        const char* done;
        const char* emoji;
    } controls[] = {{"pause", WorkflowAction::Pause, "paused", "\u23f8\ufe0f"},
                    {"resume", WorkflowAction::Resume, "resumed", "\U0001f504"},
                    {"terminate", WorkflowAction::Terminate, "terminated", "\U0001f977"},
                    {"restart", WorkflowAction::Restart, "restarted", "\U0001f977"}};
    for (const auto& c : controls) {
        if (action != QLatin1String(c.word)) continue;
        QString fromKey;
        if (c.action == WorkflowAction::Restart &&
            m_parser.isSet(QStringLiteral("from-step-name"))) {
            const QString type = m_parser.value(QStringLiteral("from-step-type"));
            const WorkflowStepKind kind = type == QLatin1String("sleep") ? WorkflowStepKind::Sleep
                                          : type == QLatin1String("waitForEvent")
                                              ? WorkflowStepKind::WaitForEvent
                                              : WorkflowStepKind::Do;
            if (!type.isEmpty() && type != QLatin1String("do") && kind == WorkflowStepKind::Do)
                return commandFailed(QStringLiteral("--from-step-type \"%1\": must be do, sleep "
                                                    "or waitForEvent")
                                         .arg(type));
            const int count = m_parser.value(QStringLiteral("from-step-count")).toInt() > 0
                                  ? m_parser.value(QStringLiteral("from-step-count")).toInt()
                                  : 1;
            fromKey = WorkflowStore::stepKey(kind, m_parser.value(QStringLiteral("from-step-name")),
                                             count);
        }
        auto status = store->control(*id, c.action, now(), fromKey);
        if (!status) return commandFailed(status.error().text());
        if (json()) {
            printJson(QJsonObject{{QStringLiteral("id"), *id},
                                  {QStringLiteral("status"), workflowStatusName(*status)}});
            return 0;
        }
        printf("%s The instance \"%s\" from %s was %s successfully (now %s)\n", c.emoji,
               qPrintable(*id), qPrintable(flow.name), c.done,
               qPrintable(workflowStatusName(*status)));
        return 0;
    }
    return commandFailed(QString::fromLatin1(kUsage));
}

int Workflows::run(const QStringList& pos) {
    const QString command = pos.value(0);
    if (command == QLatin1String("list")) return list();
    const bool nested = command == QLatin1String("instances");
    const QString name = pos.value(nested ? 2 : 1);
    if (name.isEmpty()) return commandFailed(QString::fromLatin1(kUsage));
    QString error;
    const WorkflowDecl* flow = decl(name, &error);
    if (!flow) return commandFailed(error);
    if (command == QLatin1String("describe")) return describe(*flow);
    if (command == QLatin1String("trigger")) return trigger(*flow, pos.value(2));
    if (nested) return instances(pos.value(1), *flow, pos.value(3));
    return commandFailed(QString::fromLatin1(kUsage));
}

} // namespace

int runWorkflowsCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Trigger, inspect and control the project's workflow instances."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("command"), QString::fromLatin1(kUsage));
    parser.addOptions({
        {QStringLiteral("json"), QStringLiteral("Print JSON (Cloudflare's API shapes).")},
        {QStringLiteral("id"), QStringLiteral("trigger: the new instance's id."),
         QStringLiteral("id")},
        {QStringLiteral("status"), QStringLiteral("instances list: only this status."),
         QStringLiteral("status")},
        {QStringLiteral("reverse"), QStringLiteral("instances list: oldest first.")},
        {QStringLiteral("type"), QStringLiteral("send-event: the event's type."),
         QStringLiteral("type")},
        {QStringLiteral("payload"), QStringLiteral("send-event: the event's payload as JSON."),
         QStringLiteral("json")},
        {QStringLiteral("no-step-output"), QStringLiteral("describe: leave out step outputs.")},
        {QStringLiteral("truncate-output-limit"),
         QStringLiteral("describe: cut step outputs after this many characters (5000)."),
         QStringLiteral("n")},
        {QStringLiteral("from-step-name"), QStringLiteral("restart: the step to restart from."),
         QStringLiteral("name")},
        {QStringLiteral("from-step-count"),
         QStringLiteral("restart: which occurrence of that step name (1)."), QStringLiteral("n")},
        {QStringLiteral("from-step-type"),
         QStringLiteral("restart: do, sleep or waitForEvent (do)."), QStringLiteral("type")},
    });
    addStoreOptions(parser);
    parser.process(args);
    auto loaded = loadStoreProject(parser, "Workflows");
    if (!loaded) return commandFailed(loaded.error());
    Workflows workflows(parser, std::move(*loaded));
    return workflows.run(parser.positionalArguments());
}

} // namespace kiln
