// The native side of bench/bindings.py: the same store work Kiln's bindings do, done with
// the sqlite3 C API and plain file I/O in one process, with the same durability settings
// (WAL, synchronous=FULL, one transaction per KV put). Prints one JSON line.
//   kiln_storebench kv DIR N          N puts then N gets of 100-byte values
//   kiln_storebench d1 DIR ROWS N     N point selects on a ROWS-row table; one 10k-row batch insert
//   kiln_storebench r2 DIR MIB        write a MIB MiB file in 1 MiB pieces + fsync, then read it
//                                     back streamed (1 MiB buffer) and whole (one buffer of its
//                                     size); and the write again with the MD5 R2 needs for its
//                                     etag computed meanwhile on a second thread
#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

double nowUs() {
    return std::chrono::duration<double, std::micro>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

sqlite3* openDb(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", path.c_str());
        exit(1);
    }
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr,
                 nullptr);
    return db;
}

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, error);
        exit(1);
    }
}

int kv(const std::string& dir, int n) {
    sqlite3* db = openDb(dir + "/kv.sqlite");
    exec(db, "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, expiration "
             "INTEGER, metadata TEXT) WITHOUT ROWID");
    const std::string value(100, 'v');
    sqlite3_stmt* put = nullptr;
    sqlite3_stmt* get = nullptr;
    sqlite3_prepare_v2(
        db,
        "INSERT OR REPLACE INTO kv (key, value, expiration, metadata) VALUES (?, ?, NULL, NULL)",
        -1, &put, nullptr);
    sqlite3_prepare_v2(db,
                       "SELECT value, expiration, metadata FROM kv WHERE key = ? AND (expiration "
                       "IS NULL OR expiration > ?)",
                       -1, &get, nullptr);
    double t = nowUs();
    for (int i = 0; i < n; ++i) {
        const std::string key = "key:" + std::to_string(i);
        sqlite3_bind_blob(put, 1, key.data(), int(key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_blob(put, 2, value.data(), int(value.size()), SQLITE_TRANSIENT);
        sqlite3_step(put);
        sqlite3_reset(put);
    }
    const double putUs = (nowUs() - t) / n;
    t = nowUs();
    size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
        const std::string key = "key:" + std::to_string(i);
        sqlite3_bind_blob(get, 1, key.data(), int(key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(get, 2, 0);
        if (sqlite3_step(get) == SQLITE_ROW) bytes += size_t(sqlite3_column_bytes(get, 0));
        sqlite3_reset(get);
    }
    const double getUs = (nowUs() - t) / n;
    printf("{\"put_us\": %.3f, \"get_us\": %.3f, \"bytes\": %zu}\n", putUs, getUs, bytes);
    sqlite3_finalize(put);
    sqlite3_finalize(get);
    sqlite3_close(db);
    return 0;
}

int d1(const std::string& dir, int rows, int n) {
    sqlite3* db = openDb(dir + "/d1.sqlite");
    exec(db, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)");
    exec(db, "DELETE FROM items");
    exec(db, "BEGIN");
    sqlite3_stmt* ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO items (id, name, value) VALUES (?, ?, ?)", -1, &ins,
                       nullptr);
    for (int i = 1; i <= rows; ++i) {
        const std::string name = "item " + std::to_string(i);
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_text(ins, 2, name.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 3, i * 7);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    exec(db, "COMMIT");
    std::mt19937 rng(42);
    sqlite3_stmt* sel = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, name, value FROM items WHERE id = ?", -1, &sel, nullptr);
    long long sum = 0;
    for (int i = 0; i < 200; ++i) { // untimed, as the worker warms up
        sqlite3_bind_int(sel, 1, int(rng() % unsigned(rows)) + 1);
        if (sqlite3_step(sel) == SQLITE_ROW) sum += sqlite3_column_int64(sel, 2);
        sqlite3_reset(sel);
    }
    sum = 0;
    double t = nowUs();
    for (int i = 0; i < n; ++i) {
        sqlite3_bind_int(sel, 1, int(rng() % unsigned(rows)) + 1);
        if (sqlite3_step(sel) == SQLITE_ROW) sum += sqlite3_column_int64(sel, 2);
        sqlite3_reset(sel);
    }
    const double selectUs = (nowUs() - t) / n;
    exec(db, "CREATE TABLE IF NOT EXISTS batch (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)");
    exec(db, "DELETE FROM batch");
    sqlite3_stmt* bat = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO batch (name, value) VALUES (?, ?)", -1, &bat, nullptr);
    t = nowUs();
    exec(db, "BEGIN IMMEDIATE");
    for (int i = 0; i < 10000; ++i) {
        const std::string name = "row " + std::to_string(i);
        sqlite3_bind_text(bat, 1, name.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(bat, 2, i);
        sqlite3_step(bat);
        sqlite3_reset(bat);
    }
    exec(db, "COMMIT");
    const double batchMs = (nowUs() - t) / 1000;
    printf("{\"select_us\": %.3f, \"batch10k_ms\": %.3f, \"checksum\": %lld}\n", selectUs, batchMs,
           sum);
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_finalize(bat);
    sqlite3_close(db);
    return 0;
}

// Writes MIB MiB in 1 MiB pieces and syncs; seconds taken.
double writeFile(const std::string& path, const std::vector<char>& chunk, int mib) {
    const double t = nowUs();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < mib; ++i)
        if (::write(fd, chunk.data(), chunk.size()) != ssize_t(chunk.size())) exit(1);
    ::fsync(fd);
    ::close(fd);
    return (nowUs() - t) / 1e6;
}

double readWhole(const std::string& path, std::vector<char>& into) {
    const double t = nowUs();
    int fd = ::open(path.c_str(), O_RDONLY);
    size_t at = 0;
    ssize_t got;
    while (at < into.size() && (got = ::read(fd, into.data() + at, into.size() - at)) > 0)
        at += size_t(got);
    ::close(fd);
    if (at != into.size()) exit(1);
    return (nowUs() - t) / 1e6;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int r2(const std::string& dir, int mib) {
    const std::string path = dir + "/object.bin";
    std::vector<char> chunk(1 << 20, 'r');
    // Untimed, as the worker does: a file of the same size written, read and removed first.
    const std::string warm = dir + "/warm.bin";
    std::vector<char> whole(size_t(mib) << 20); // touched here, by the warm-up read
    writeFile(warm, chunk, mib);
    readWhole(warm, whole);
    ::unlink(warm.c_str());
    // Three rounds, the median of each figure reported (the worker does the same).
    std::vector<double> puts, gets, streams, md5Puts;
    for (int rep = 0; rep < 3; ++rep) {
        std::fill(chunk.begin(), chunk.end(), char('r' + rep));
        puts.push_back(writeFile(path, chunk, mib));
        // Streamed through a 1 MiB buffer, then read whole into a buffer of the object's
        // size (what arrayBuffer() hands the worker).
        double t = nowUs();
        int fd = ::open(path.c_str(), O_RDONLY);
        ssize_t got;
        while ((got = ::read(fd, chunk.data(), chunk.size())) > 0) {
        }
        ::close(fd);
        streams.push_back((nowUs() - t) / 1e6);
        gets.push_back(readWhole(path, whole));
        ::unlink(path.c_str());
        // The least any R2 put of these bytes costs: the write and the etag's MD5 (one pass
        // that cannot be split) side by side, from one buffer of the object's size as a put
        // from memory has them.
        t = nowUs();
        unsigned char md5[EVP_MAX_MD_SIZE];
        std::thread hash([&] {
            unsigned length = 0;
            EVP_Digest(whole.data(), whole.size(), md5, &length, EVP_md5(), nullptr);
        });
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (::write(fd, whole.data(), whole.size()) != ssize_t(whole.size())) exit(1);
        ::fsync(fd);
        ::close(fd);
        hash.join();
        md5Puts.push_back((nowUs() - t) / 1e6);
        ::unlink(path.c_str());
    }
    printf("{\"put_mib_s\": %.1f, \"get_mib_s\": %.1f, \"get_stream_mib_s\": %.1f, "
           "\"put_md5_mib_s\": %.1f, \"bytes\": %zu}\n",
           mib / median(puts), mib / median(gets), mib / median(streams), mib / median(md5Puts),
           whole.size());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) return 2;
    const std::string mode = argv[1], dir = argv[2];
    if (mode == "kv") return kv(dir, atoi(argv[3]));
    if (mode == "d1" && argc >= 5) return d1(dir, atoi(argv[3]), atoi(argv[4]));
    if (mode == "r2") return r2(dir, atoi(argv[3]));
    return 2;
}
