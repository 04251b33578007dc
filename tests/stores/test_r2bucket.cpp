// R2Bucket on real files: content-addressed blobs, hostile keys, ranges, conditions, digests,
// listing with delimiters and cursors, multipart uploads, and a 1 GiB object streamed
// through without the process ever holding it.
#include "stores/r2bucket.h"

#include "procstatus.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <sys/resource.h>

using namespace kiln;
using kiln::test::procStatusKiB;

class TestR2Bucket : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void putGetHead();
    void hostileKeysNeverBecomePaths();
    void blobsAreSharedAndCollected();
    void bodiesPinTheirBlobs();
    void ranges();
    void conditionsAndDigests();
    void listing();
    void multipart();
    void oneGibStreamsThrough();
    void failedWriteSaysWhy();

private:
    std::optional<R2ObjectInfo> put(const QByteArray& key, const QByteArray& bytes,
                                    const R2PutOptions& options = {});
    QByteArray read(R2Body& body);
    QByteArray read(R2Body&& body) { return read(body); }
    int blobCount();
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<R2Bucket> m_bucket;
};

void TestR2Bucket::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_bucket = std::make_unique<R2Bucket>(m_dir->filePath(QStringLiteral("r2/bucket")));
    QVERIFY(m_bucket->open());
}

void TestR2Bucket::cleanup() {
    m_bucket.reset();
    m_dir.reset();
}

std::optional<R2ObjectInfo> TestR2Bucket::put(const QByteArray& key, const QByteArray& bytes,
                                              const R2PutOptions& options) {
    auto upload = m_bucket->beginUpload();
    if (!upload || !(*upload)->append(bytes)) return std::nullopt;
    auto r = m_bucket->put(key, **upload, options);
    if (!r) qWarning("put failed: %s", qPrintable(r.error().message));
    return r ? *r : std::nullopt;
}

QByteArray TestR2Bucket::read(R2Body& body) {
    auto out = body.read(body.remaining());
    return out ? *out : QByteArray("<unreadable>");
}

int TestR2Bucket::blobCount() {
    int n = 0;
    QDirIterator it(m_dir->filePath(QStringLiteral("r2/bucket/blobs")), QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        ++n;
    }
    return n;
}

void TestR2Bucket::putGetHead() {
    R2PutOptions options;
    options.httpMetadata = R"({"contentType":"text/plain"})";
    options.customMetadata = R"({"owner":"me"})";
    auto o = put("notes/a.txt", "hello", options);
    QVERIFY(o);
    QCOMPARE(o->size, qint64(5));
    QCOMPARE(o->etag, QString::fromLatin1(
                          QCryptographicHash::hash("hello", QCryptographicHash::Md5).toHex()));
    QVERIFY(o->checksums.contains(o->etag.toLatin1()));
    auto head = m_bucket->head("notes/a.txt");
    QVERIFY(head && *head);
    QCOMPARE((*head)->httpMetadata, QByteArray(R"({"contentType":"text/plain"})"));
    QCOMPARE((*head)->version, o->version);
    auto got = m_bucket->get("notes/a.txt", {}, {});
    QVERIFY(got && *got && (*got)->second);
    QCOMPARE(read(*(*got)->second), QByteArray("hello"));
    QVERIFY(!*m_bucket->get("missing", {}, {}));
    QVERIFY(put("empty", {}));
    QCOMPARE((*m_bucket->head("empty"))->size, qint64(0));
}

void TestR2Bucket::hostileKeysNeverBecomePaths() {
    // The empty key is valid: Cloudflare's own local R2 (miniflare's validator, adapted from
    // the R2 gateway) limits a key's length to 1024 bytes and nothing else.
    const QList<QByteArray> keys = {"",
                                    "../../escape",
                                    QByteArray("nul\0key", 7),
                                    "/abs",
                                    QByteArray(1024, 'k'),
                                    "\xff\xfe",
                                    "a/../../b",
                                    "C:\\x"};
    for (const auto& key : keys)
        QVERIFY2(put(key, key), key.toHex().constData());
    for (const auto& key : keys) {
        auto got = m_bucket->get(key, {}, {});
        QVERIFY(got && *got);
        QCOMPARE(read(*(*got)->second), key);
    }
    auto tooLong = m_bucket->head(QByteArray(1025, 'k'));
    QVERIFY(!tooLong);
    QCOMPARE(tooLong.error().code, 10020);
    // Only the index, its WAL and content-addressed blob files exist.
    QDirIterator it(m_dir->path(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString rel =
            QDir(m_dir->filePath(QStringLiteral("r2/bucket"))).relativeFilePath(it.next());
        QVERIFY2(rel.startsWith(QLatin1String("index.sqlite")) ||
                     QRegularExpression(QStringLiteral("^blobs/[0-9a-f]{2}/[0-9a-f]{64}$"))
                         .match(rel)
                         .hasMatch(),
                 qPrintable(rel));
    }
    QVERIFY(!QFile::exists(m_dir->filePath(QStringLiteral("escape"))));
}

void TestR2Bucket::blobsAreSharedAndCollected() {
    QVERIFY(put("one", "same bytes"));
    QVERIFY(put("two", "same bytes"));
    QCOMPARE(blobCount(), 1);
    QVERIFY(m_bucket->remove({"one"}));
    QCOMPARE(blobCount(), 1); // still used by "two"
    QVERIFY(put("two", "other bytes"));
    QCOMPARE(blobCount(), 1); // the overwritten blob went with its last reference
    QVERIFY(m_bucket->remove({"two", "never-there"}));
    QCOMPARE(blobCount(), 0);
}

void TestR2Bucket::bodiesPinTheirBlobs() {
    // A body that is never read holds no file descriptor: far more of them than this
    // process may open files at once (lowered here so the test means the same anywhere).
    QVERIFY(put("many", "bytes got often"));
    rlimit limit{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    const rlimit lowered{std::min<rlim_t>(limit.rlim_cur, 256), limit.rlim_max};
    QCOMPARE(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    std::vector<R2Body> unread;
    for (int i = 0; i < 2000; ++i) {
        auto got = m_bucket->get("many", {}, {});
        QVERIFY(got && *got && (*got)->second);
        unread.push_back(std::move(*(*got)->second));
    }
    QCOMPARE(read(unread.back()), QByteArray("bytes got often"));
    QVERIFY(put("during", "a put still opens its files"));
    ::setrlimit(RLIMIT_NOFILE, &limit);
    unread.clear();
    QVERIFY(m_bucket->remove({"during"}));

    // Deleted or overwritten while a body is out: the body still reads the bytes it got,
    // and the blob goes with the last body.
    QVERIFY(put("k", "first bytes"));
    auto a = m_bucket->get("k", {}, {});
    auto b = m_bucket->get("k", {{}, {}, 5}, {}); // suffix: "bytes"
    QVERIFY(put("k", "second bytes"));
    QVERIFY(m_bucket->remove({"many"}));
    QCOMPARE(blobCount(), 2); // "first bytes" still pinned, "second bytes"
    QCOMPARE(read(*(*a)->second), QByteArray("first bytes"));
    a->reset();
    QCOMPARE(blobCount(), 2); // b still holds "first bytes"
    QCOMPARE(read(*(*b)->second), QByteArray("bytes"));
    b->reset();
    QCOMPARE(blobCount(), 1);

    // Dropped while pinned, then stored again by a put before the body goes: kept.
    auto c = m_bucket->get("k", {}, {});
    QVERIFY(m_bucket->remove({"k"}));
    QVERIFY(put("again", "second bytes"));
    c->reset();
    QCOMPARE(blobCount(), 1);
    QCOMPARE(read(*(*m_bucket->get("again", {}, {}))->second), QByteArray("second bytes"));
}

void TestR2Bucket::ranges() {
    QVERIFY(put("r", "0123456789"));
    auto slice = [&](R2Range range) { return read(*(**m_bucket->get("r", range, {})).second); };
    QCOMPARE(slice({2, 3, {}}), QByteArray("234"));
    QCOMPARE(slice({7, {}, {}}), QByteArray("789"));
    QCOMPARE(slice({{}, {}, 4}), QByteArray("6789"));
    QCOMPARE(slice({8, 100, {}}), QByteArray("89"));
    auto beyond = m_bucket->get("r", {11, {}, {}}, {});
    QVERIFY(!beyond);
    QCOMPARE(beyond.error().code, 10039);
}

void TestR2Bucket::conditionsAndDigests() {
    auto o = put("c", "v1");
    R2Conditions wrong;
    wrong.etagMatches = {QStringLiteral("\"nope\"")};
    auto got = m_bucket->get("c", {}, wrong);
    QVERIFY(got && *got);
    QVERIFY(!(*got)->second); // the object, without a body
    R2Conditions right;
    right.etagMatches = {QLatin1Char('"') + o->etag + QLatin1Char('"')};
    QVERIFY((*m_bucket->get("c", {}, right))->second);
    R2PutOptions ifAbsent;
    ifAbsent.onlyIf.etagDoesNotMatch = {QStringLiteral("*")};
    QVERIFY(!put("c", "v2", ifAbsent)); // exists: not written
    QCOMPARE(read(*(**m_bucket->get("c", {}, {})).second), QByteArray("v1"));
    QVERIFY(put("fresh", "v", ifAbsent)); // absent: written
    R2PutOptions badMd5;
    badMd5.md5 = QByteArray(16, '\0');
    auto upload = m_bucket->beginUpload();
    (*upload)->append("data");
    auto r = m_bucket->put("d", **upload, badMd5);
    QVERIFY(!r);
    QCOMPARE(r.error().code, 10037);
    R2PutOptions goodSha;
    goodSha.sha256 = QCryptographicHash::hash("data", QCryptographicHash::Sha256);
    auto withSha = put("d", "data", goodSha);
    QVERIFY(withSha && withSha->checksums.contains("sha256"));
}

void TestR2Bucket::listing() {
    for (const char* key : {"a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y"})
        QVERIFY(put(key, key));
    R2ListOptions all;
    auto r = m_bucket->list(all);
    QCOMPARE(r->objects.size(), size_t(6));
    R2ListOptions grouped;
    grouped.delimiter = "/";
    r = m_bucket->list(grouped);
    QCOMPARE(r->objects.size(), size_t(1)); // "c"
    QCOMPARE(r->delimitedPrefixes, (std::vector<QByteArray>{"a/", "b/", "d/"}));
    R2ListOptions inA;
    inA.prefix = "a/";
    inA.delimiter = "/";
    r = m_bucket->list(inA);
    QCOMPARE(r->objects.size(), size_t(2));
    QCOMPARE(r->delimitedPrefixes, (std::vector<QByteArray>{"a/b/"}));
    // Paging two at a time over objects and prefixes alike.
    R2ListOptions paged = grouped;
    paged.limit = 2;
    std::vector<QByteArray> seen;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = m_bucket->list(paged);
        QVERIFY(page);
        for (const auto& o : page->objects)
            seen.push_back(o.key);
        for (const auto& p : page->delimitedPrefixes)
            seen.push_back(p);
        if (!page->truncated) break;
        paged.cursor = page->cursor;
    }
    std::sort(seen.begin(), seen.end());
    QCOMPARE(seen, (std::vector<QByteArray>{"a/", "b/", "c", "d/"}));
    R2ListOptions after;
    after.startAfter = "b/1";
    QCOMPARE(m_bucket->list(after)->objects.front().key, QByteArray("c"));
    R2ListOptions badLimit;
    badLimit.limit = 1001;
    QVERIFY(!m_bucket->list(badLimit));
}

void TestR2Bucket::multipart() {
    auto id = m_bucket->createMultipart("big", R"({"contentType":"application/x-test"})", "{}");
    QVERIFY(id);
    const QByteArray first(R2Bucket::kMinPartBytes, 'a');
    const QByteArray second("tail");
    auto part = [&](int n, const QByteArray& bytes) {
        auto upload = m_bucket->beginUpload();
        (*upload)->append(bytes);
        return m_bucket->uploadPart("big", *id, n, **upload);
    };
    auto e1 = part(1, first);
    auto e2 = part(2, second);
    QVERIFY(e1 && e2);
    auto wrongEtag =
        m_bucket->completeMultipart("big", *id, {{1, *e1}, {2, QStringLiteral("nope")}});
    QCOMPARE(wrongEtag.error().code, 10025);
    auto done = m_bucket->completeMultipart("big", *id, {{1, *e1}, {2, *e2}});
    QVERIFY(done);
    QCOMPARE(done->size, first.size() + second.size());
    QVERIFY(done->etag.endsWith(QLatin1String("-2")));
    QCOMPARE(done->httpMetadata, QByteArray(R"({"contentType":"application/x-test"})"));
    auto got = m_bucket->get("big", {{}, {}, 4}, {});
    QCOMPARE(read(*(*got)->second), QByteArray("tail"));
    QCOMPARE(blobCount(), 1); // the parts' blobs went once the object was assembled
    QCOMPARE(m_bucket->uploadPart("big", *id, 3, **m_bucket->beginUpload()).error().code,
             10024); // upload is over

    auto small = m_bucket->createMultipart("small", "{}", "{}");
    auto s1 = [&] {
        auto u = m_bucket->beginUpload();
        (*u)->append("tiny");
        return m_bucket->uploadPart("small", *small, 1, **u);
    }();
    auto s2 = [&] {
        auto u = m_bucket->beginUpload();
        (*u)->append("end");
        return m_bucket->uploadPart("small", *small, 2, **u);
    }();
    QCOMPARE(m_bucket->completeMultipart("small", *small, {{1, *s1}, {2, *s2}}).error().code,
             10011);
    QVERIFY(m_bucket->abortMultipart("small", *small));
    QCOMPARE(blobCount(), 1);
}

void TestR2Bucket::oneGibStreamsThrough() {
    const qint64 before = procStatusKiB("VmRSS");
    const QByteArray chunk(1 << 20, 'z');
    auto upload = m_bucket->beginUpload();
    QCryptographicHash written(QCryptographicHash::Sha256);
    for (int i = 0; i < 1024; ++i) {
        QByteArray c = chunk;
        c[0] = static_cast<char>(i);
        QVERIFY((*upload)->append(c));
        written.addData(c);
    }
    auto o = m_bucket->put("gib", **upload, {});
    QVERIFY(o && *o);
    QCOMPARE((*o)->size, qint64(1) << 30);
    auto got = m_bucket->get("gib", {}, {});
    QCryptographicHash readBack(QCryptographicHash::Sha256);
    qint64 total = 0;
    auto& body = *(*got)->second;
    while (body.remaining() > 0) {
        const auto piece = body.read(1 << 20);
        QVERIFY(piece && !piece->isEmpty());
        total += piece->size();
        readBack.addData(*piece);
    }
    QCOMPARE(total, qint64(1) << 30);
    QCOMPARE(readBack.result(), written.result());
    const qint64 growth = procStatusKiB("VmRSS") - before;
    qInfo("RSS grew by %lld KiB over a 1 GiB put and get", static_cast<long long>(growth));
    QVERIFY2(growth < 64 * 1024, qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(growth)));
}

// A put the disk refuses (full, over quota) fails with the system's reason and the file, and
// stores nothing. A file size limit stands in for a full disk: the write fails the same way,
// with "File too large" instead of "No space left on device".
void TestR2Bucket::failedWriteSaysWhy() {
    rlimit limit{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &limit), 0);
    const rlimit lowered{1 << 20, limit.rlim_max};
    const auto previous = std::signal(SIGXFSZ, SIG_IGN); // the write fails instead of killing us
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &lowered), 0);
    auto upload = m_bucket->beginUpload();
    QVERIFY(upload);
    const bool written = (*upload)->append(QByteArray(2 << 20, 'x'));
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::signal(SIGXFSZ, previous);
    QVERIFY(!written);
    const QString error = (*upload)->error();
    QVERIFY2(error.contains(QLatin1String("could not write the object's bytes to ")) &&
                 error.contains(QLatin1String("/tmp/")) &&
                 error.endsWith(QString::fromLocal8Bit(std::strerror(EFBIG))),
             qPrintable(error));
    auto put = m_bucket->put("k", **upload, {});
    QVERIFY(!put);
    QCOMPARE(put.error().message, error);
    QVERIFY(!*m_bucket->head("k"));
}

QTEST_GUILESS_MAIN(TestR2Bucket)
#include "test_r2bucket.moc"
