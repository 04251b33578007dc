// bin/kiln: starts libexec/kiln (the real CLI) with glibc's malloc tuned for a quick start
// (GLIBC_TUNABLES), in the same process (exec, so the pid a supervisor holds is the worker's).
// A start spends much of its time filling fresh memory: V8 copies Pyodide's 6 MB module twice
// while deserialising it, and code caches and snapshots are read into new buffers; in a VM
// each 4 KB page's first touch costs ~10 us. glibc.malloc.hugetlb=1 has malloc ask for
// transparent huge pages (a 2 MB page's first touch costs about as much as a 4 KB one's), and
// glibc.malloc.top_pad=4 MiB grows each arena by 4 MiB at a time instead of 128 KiB, so that
// its growth is huge-page sized at all (a start: ~1,900 fewer page faults). kiln sets the pad
// back to glibc's 128 KiB once its worker is up (KILN_START_TOP_PAD says the pad was ours).
// glibc reads tunables only when a process starts, so kiln cannot set them for itself. A
// tunable the user set is kept; ours follow theirs.
// libc only and no allocation: this process lives for one exec.

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace {

struct Tunable {
    const char* name;
    const char* value;
};
constexpr char kTopPad[] = "glibc.malloc.top_pad";
constexpr Tunable kTunables[] = {{"glibc.malloc.hugetlb", "1"}, {kTopPad, "4194304"}};

// GLIBC_TUNABLES is a colon-separated list of name=value.
bool namesTunable(const char* list, const char* name) {
    const size_t length = std::strlen(name);
    for (const char* p = list; p && *p;) {
        if (std::strncmp(p, name, length) == 0 && p[length] == '=') return true;
        p = std::strchr(p, ':');
        if (p) ++p;
    }
    return false;
}

int fail(const char* what, const char* path) {
    std::fprintf(stderr, "kiln: cannot %s %s: %s\n", what, path, std::strerror(errno));
    return 127;
}

} // namespace

int main(int, char** argv) {
    char real[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", real, sizeof real - 1);
    if (n <= 0) return fail("read", "/proc/self/exe");
    real[n] = '\0';
    char* slash = std::strrchr(real, '/');
    static constexpr char kReal[] = "/../libexec/kiln";
    if (!slash || size_t(slash - real) + sizeof kReal > sizeof real) {
        errno = ENAMETOOLONG;
        return fail("place", real);
    }
    std::memcpy(slash, kReal, sizeof kReal);

    const char* current = std::getenv("GLIBC_TUNABLES");
    static char value[4096];
    size_t used = 0;
    bool added = false;
    if (current && *current) used = size_t(std::snprintf(value, sizeof value, "%s", current));
    for (const Tunable& t : kTunables) {
        if (used >= sizeof value || namesTunable(current, t.name)) continue;
        const int n = std::snprintf(value + used, sizeof value - used, "%s%s=%s", used ? ":" : "",
                                    t.name, t.value);
        used += n > 0 ? size_t(n) : sizeof value;
        added = true;
    }
    // A list too long to extend is passed on as the user wrote it.
    if (added && used < sizeof value) {
        setenv("GLIBC_TUNABLES", value, 1);
        // Ours, not the user's: kiln puts the pad back to glibc's default once its worker is
        // up (runtime/session), so that serving does not keep arenas 4 MiB ahead.
        if (!namesTunable(current, kTopPad)) setenv("KILN_START_TOP_PAD", "1", 1);
    }
    execv(real, argv);
    return fail("start", real);
}
