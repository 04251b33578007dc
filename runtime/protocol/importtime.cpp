#include "protocol/importtime.h"

#include <QRegularExpression>

#include <functional>

namespace kiln {

std::vector<ImportTime> parseImportTime(const QStringList& lines) {
    static const QRegularExpression row(
        QStringLiteral(R"(import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S.*)$)"));
    std::vector<ImportTime> out;
    for (const QString& line : lines) {
        const auto m = row.match(line);
        if (!m.hasMatch()) continue; // the header line, or something else
        out.push_back({m.captured(4).trimmed(), int(m.captured(3).size() - 1) / 2,
                       m.captured(1).toDouble(), m.captured(2).toDouble()});
    }
    return out;
}

std::vector<ImportSpan> layoutImports(const std::vector<ImportTime>& imports) {
    struct Node {
        size_t import;
        std::vector<size_t> children;
    };
    std::vector<Node> nodes;
    std::vector<size_t> pending; // ended, not yet given a parent
    for (size_t i = 0; i < imports.size(); ++i) {
        Node node{i, {}};
        while (!pending.empty() && imports[nodes[pending.back()].import].depth > imports[i].depth) {
            node.children.insert(node.children.begin(), pending.back());
            pending.pop_back();
        }
        nodes.push_back(std::move(node));
        pending.push_back(nodes.size() - 1);
    }
    std::vector<ImportSpan> out;
    std::function<void(size_t, int, double)> place = [&](size_t n, int level, double start) {
        out.push_back({imports[nodes[n].import], level, start});
        double at = start;
        for (size_t c : nodes[n].children) {
            place(c, level + 1, at);
            at += imports[nodes[c].import].cumulativeUs;
        }
    };
    double at = 0;
    for (size_t root : pending) {
        place(root, 0, at);
        at += imports[nodes[root].import].cumulativeUs;
    }
    return out;
}

} // namespace kiln
