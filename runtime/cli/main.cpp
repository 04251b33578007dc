#include "engine/scriptrunner.h"

#include <QCoreApplication>
#include <QStringList>

#include <cstdio>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("kiln"));
    const QStringList args = QCoreApplication::arguments();
    if (args.size() >= 3 && args.at(1) == QLatin1String("js"))
        return kiln::runScriptFile(args.at(2));
    fprintf(stderr, "usage: kiln js FILE.mjs\n");
    return 2;
}
