// kiln-prebind IN OUT [EXE...]: writes IN's shared object to OUT with its references to its own
// functions bound, except those to names an EXE exports (prebind.h says which and why). Run by
// the build on Debian's libnode, for libexec/kiln.

#include "prebind.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cstdio>

namespace {

int fail(const QString& path, const QString& cause) {
    std::fprintf(stderr, "kiln-prebind: %s: %s\n", qPrintable(path), qPrintable(cause));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: kiln-prebind IN OUT [EXE...]\n");
        return 2;
    }
    const QString in = QFile::decodeName(argv[1]);
    const QString out = QFile::decodeName(argv[2]);
    QSet<QByteArray> keep;
    for (int i = 3; i < argc; ++i) {
        const QString exe = QFile::decodeName(argv[i]);
        QFile file(exe);
        if (!file.open(QIODevice::ReadOnly)) return fail(exe, file.errorString());
        const auto exported = kiln::exportedSymbols(file.readAll());
        if (!exported) return fail(exe, exported.error());
        keep.unite(*exported);
    }
    QFile input(in);
    if (!input.open(QIODevice::ReadOnly)) return fail(in, input.errorString());
    QByteArray image = input.readAll();
    const auto report = kiln::prebindOwnFunctions(image, keep);
    if (!report) return fail(in, report.error());
    // Earlier builds left OUT a link to IN; QSaveFile would write through it into IN.
    if (QFileInfo(out).isSymLink() && !QFile::remove(out))
        return fail(out, QStringLiteral("cannot replace the link"));
    QSaveFile output(out);
    if (!output.open(QIODevice::WriteOnly) || output.write(image) != image.size() ||
        !output.commit())
        return fail(out, output.errorString());
    std::printf("kiln-prebind: %s: %lld relocations to %lld of its own functions bound\n",
                qPrintable(out), static_cast<long long>(report->converted),
                static_cast<long long>(report->functions.size()));
    return 0;
}
