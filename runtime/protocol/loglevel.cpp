#include "protocol/loglevel.h"

#include <array>
#include <utility>

namespace kiln {

namespace {

// One table per enum, indexed by the enumerator, so a name and its parse cannot drift apart.
constexpr std::array<const char*, 6> kLevelNames = {"debug", "log",   "info",
                                                    "warn",  "error", "none"};
constexpr std::array<const char*, 4> kSourceNames = {"request", "print", "console", "kiln"};

template <typename Enum, std::size_t N>
std::optional<Enum> parseName(const std::array<const char*, N>& names, QStringView name) {
    // Exact, lower-case: these names are wire values as much as command-line words, and one
    // spelling per value keeps both ends comparing strings the same way.
    for (std::size_t i = 0; i < N; ++i) {
        if (name == QLatin1String(names[i])) return static_cast<Enum>(i);
    }
    return std::nullopt;
}

} // namespace

QString logLevelName(LogLevel level) {
    const auto i = static_cast<std::size_t>(level);
    return i < kLevelNames.size() ? QString::fromLatin1(kLevelNames[i]) : QString();
}

std::optional<LogLevel> parseLogLevel(QStringView name) {
    return parseName<LogLevel>(kLevelNames, name);
}

QString logSourceName(LogSource source) {
    const auto i = static_cast<std::size_t>(source);
    return i < kSourceNames.size() ? QString::fromLatin1(kSourceNames[i]) : QString();
}

std::optional<LogSource> parseLogSource(QStringView name) {
    return parseName<LogSource>(kSourceNames, name);
}

} // namespace kiln
