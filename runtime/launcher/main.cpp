// bin/kiln: starts libexec/kiln (the real CLI) with glibc's malloc told to ask for transparent
// huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), in the same process (exec, so the pid a
// supervisor holds is the worker's). A start spends much of its time filling fresh memory: V8
// copies Pyodide's 6 MB module twice while deserialising it, and code caches and snapshots are
// read into new buffers; in a VM each 4 KB page's first touch costs microseconds, a 2 MB
// page's about as much. glibc reads tunables only when a process starts, so kiln cannot set
// them for itself. A tunable the user set (hugetlb included) is kept; ours follows theirs.
// libc only and no allocation: this process lives for one exec.

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace {

constexpr char kTunable[] = "glibc.malloc.hugetlb";

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
    if (!namesTunable(current, kTunable)) {
        static char value[4096];
        const int written = current && *current
                                ? std::snprintf(value, sizeof value, "%s:%s=1", current, kTunable)
                                : std::snprintf(value, sizeof value, "%s=1", kTunable);
        // A list too long to extend is passed on as the user wrote it.
        if (written > 0 && size_t(written) < sizeof value) setenv("GLIBC_TUNABLES", value, 1);
    }
    execv(real, argv);
    return fail("start", real);
}
