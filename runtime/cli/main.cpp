#include "cli/d1command.h"
#include "cli/devcommand.h"
#include "cli/kvcommand.h"
#include "cli/profilecommand.h"
#include "cli/r2command.h"
#include "cli/workflowscommand.h"
#include "engine/scriptrunner.h"

#include <QCoreApplication>
#include <QDir>
#include <QStringList>

#include <cstdio>

namespace {

const char* kUsage = R"(kiln — run Python Workers locally

Usage:
  kiln dev [PATH | -c FILE] [--port N] [--ip ADDR] [--persist-to DIR] [--env NAME]
  kiln kv key list|get|put|delete [KEY] [VALUE] --binding NS [--persist-to DIR]
  kiln d1 execute DB --command SQL | --file F [--json]
  kiln d1 migrations list|apply DB
  kiln d1 export DB --output FILE
  kiln r2 object put|get|delete BUCKET/KEY [--file F | --pipe] [--content-type T]
  kiln r2 object list BUCKET [--prefix P]
  kiln workflows list | describe NAME | trigger NAME [PARAMS_JSON] [--id ID]
  kiln workflows instances list|describe|pause|resume|terminate|restart NAME [ID|latest]
  kiln workflows instances send-event NAME [ID|latest] --type T [--payload JSON]
  kiln profile [DIR] [--runs N] [--path P] [--json] [--trace FILE]
  kiln js FILE.mjs          run a JS module in a Kiln isolate (engine diagnostics)
  kiln --version

Every command also takes wrangler's --cwd DIR (run from DIR) and -y/--yes.
)";

} // namespace

int main(int argc, char** argv) {
    // Qt's plain Unix event dispatcher instead of GLib's: kiln has no GUI loop to share, and
    // the server thread's wake-ups cost about a fifth less CPU per request without GLib.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB")) qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("kiln"));
    QCoreApplication::setApplicationVersion(QStringLiteral(KILN_VERSION));
    QStringList args = QCoreApplication::arguments();
    // wrangler's global options, for every command: --cwd DIR runs it from DIR; -y/--yes
    // answers its prompts (Kiln asks none, so it is accepted and changes nothing).
    for (qsizetype i = 1; i < args.size();) {
        const QString arg = args.at(i);
        if (arg == QLatin1String("-y") || arg == QLatin1String("--yes")) {
            args.removeAt(i);
        } else if (arg == QLatin1String("--cwd") || arg.startsWith(QLatin1String("--cwd="))) {
            const bool inline_ = arg.startsWith(QLatin1String("--cwd="));
            if (!inline_ && i + 1 >= args.size()) {
                fputs("kiln: --cwd needs a folder\n", stderr);
                return 2;
            }
            const QString dir = inline_ ? arg.mid(6) : args.at(i + 1);
            if (!QDir::setCurrent(dir)) {
                fprintf(stderr, "kiln: --cwd %s: no such folder\n", qPrintable(dir));
                return 2;
            }
            args.remove(i, inline_ ? 1 : 2);
        } else {
            ++i;
        }
    }
    const QString command = args.value(1);
    // Each subcommand parses its own arguments, from its name on.
    const struct {
        const char* name;
        int (*run)(const QStringList&);
    } commands[] = {{"dev", kiln::runDevCommand},         {"d1", kiln::runD1Command},
                    {"r2", kiln::runR2Command},           {"kv", kiln::runKvCommand},
                    {"profile", kiln::runProfileCommand}, {"workflows", kiln::runWorkflowsCommand}};
    for (const auto& c : commands) {
        if (command != QLatin1String(c.name)) continue;
        args.removeAt(1);
        return c.run(args);
    }
    if (command == QLatin1String("js") && args.size() >= 3) return kiln::runScriptFile(args.at(2));
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        printf("kiln %s\n", KILN_VERSION);
        return 0;
    }
    fputs(kUsage, command.isEmpty() || command == QLatin1String("--help") ? stdout : stderr);
    return command.isEmpty() || command == QLatin1String("--help") ? 0 : 2;
}
