// The control-channel protocol (runtime/protocol): DAP framing whatever the pieces the bytes
// arrive in, recovery after every kind of bad frame, the envelope's checks, and every event
// and command carried from a struct through bytes and back with each field compared.

#include "protocol/commands.h"
#include "protocol/endpoint.h"
#include "protocol/events.h"
#include "protocol/framereader.h"
#include "protocol/loglevel.h"
#include "protocol/message.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace kiln;
using namespace kiln::protocol;

namespace {

using Item = std::expected<QByteArray, QString>;

// What a reader yields, as text: "body:<bytes>" or "error:<message>", in order.
QStringList drain(FrameReader& reader) {
    QStringList out;
    while (std::optional<Item> item = reader.next()) {
        if (item->has_value())
            out << QLatin1String("body:") + QString::fromUtf8(**item);
        else
            out << QLatin1String("error:") + item->error();
    }
    return out;
}

QStringList readAll(QByteArrayView stream, qsizetype chunk,
                    qsizetype maxFrameBytes = kMaxFrameBytes) {
    FrameReader reader(maxFrameBytes);
    QStringList out;
    for (qsizetype at = 0; at < stream.size(); at += chunk) {
        reader.append(stream.sliced(at, std::min(chunk, stream.size() - at)));
        out << drain(reader);
    }
    return out;
}

// Carries a message from one Endpoint to another a byte at a time and checks it arrived alone.
Message overTheWire(Message message) {
    Endpoint sender;
    Endpoint receiver;
    const QByteArray bytes = sender.encode(message);
    std::vector<std::expected<Message, QString>> received;
    for (char c : bytes) {
        for (auto& item : receiver.feed(QByteArrayView(&c, 1)))
            received.push_back(std::move(item));
    }
    if (received.size() != 1 || !received.front()) {
        QTest::qFail("the message did not arrive as one good message", __FILE__, __LINE__);
        return {};
    }
    return *received.front();
}

template <typename T> std::expected<T, QString> eventRoundTrip(const T& event) {
    const Message m = overTheWire(makeEvent(event));
    if (m.type != MessageType::Event || m.name != QLatin1String(T::kName))
        return std::unexpected(QStringLiteral("wrong type or name: %1").arg(m.name));
    if (m.seq != 1) return std::unexpected(QStringLiteral("seq %1").arg(m.seq));
    return T::fromBody(m.body);
}

template <typename T> std::expected<T, QString> commandRoundTrip(const T& command) {
    const Message m = overTheWire(makeRequest(command));
    if (m.type != MessageType::Request || m.name != QLatin1String(T::kName))
        return std::unexpected(QStringLiteral("wrong type or name: %1").arg(m.name));
    return T::fromArguments(m.body);
}

#define CHECK_OK(result)                                                                           \
    QVERIFY2((result).has_value(), qPrintable((result).has_value() ? QString() : (result).error()))

const QByteArray kGoodBody = R"({"seq":7,"type":"event","event":"ready","body":{}})";

} // namespace

class TestProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void framesSurviveEverySplit();
    void severalFramesInOneChunk();
    void headerNamesAreCaseInsensitiveAndOthersIgnored();
    void largeFrameWithinLimit();
    void oversizedFrameIsReportedAtOnceAndSkipped();
    void absurdLengthAllocatesNothing();
    void malformedHeader_data();
    void malformedHeader();
    void wrongLengthResynchronises();
    void endlessHeader();
    void badBodies_data();
    void badBodies();
    void envelope_data();
    void envelope();
    void eventsRoundTrip();
    void commandsRoundTrip();
    void missingAndMistypedFields_data();
    void missingAndMistypedFields();
    void enumNames();
    void unknownEnumNames_data();
    void unknownEnumNames();
    void responseFields();
    void endpointNumbersMessages();
    void endpointReportsBadFramesAndCarriesOn();
};

// --- framing -----------------------------------------------------------------------------

void TestProtocol::framesSurviveEverySplit() {
    const QList<QByteArray> bodies = {
        R"({"seq":1,"type":"event","event":"log","body":{"text":"é \r\n\r\n"}})",
        "{}",
        R"({"seq":3,"type":"request","command":"stop","arguments":{}})",
    };
    QByteArray stream;
    QStringList expected;
    for (const QByteArray& b : bodies) {
        stream += frame(b);
        expected << QLatin1String("body:") + QString::fromUtf8(b);
    }
    QCOMPARE(frame("{}"), QByteArray("Content-Length: 2\r\n\r\n{}"));

    // Two pieces, cut at every position.
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        FrameReader reader;
        reader.append(QByteArrayView(stream).first(cut));
        QStringList got = drain(reader);
        reader.append(QByteArrayView(stream).sliced(cut));
        got << drain(reader);
        QVERIFY2(got == expected,
                 qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(got.join(u'|'))));
        QCOMPARE(reader.buffered(), 0);
    }
    // Byte by byte, and in odd-sized pieces.
    for (qsizetype chunk : {1, 2, 3, 7, 25}) {
        QCOMPARE(readAll(stream, chunk), expected);
    }
}

void TestProtocol::severalFramesInOneChunk() {
    QByteArray stream;
    QStringList expected;
    for (int i = 0; i < 50; ++i) {
        const QByteArray body = "{\"n\":" + QByteArray::number(i) + '}';
        stream += frame(body);
        expected << QLatin1String("body:") + QString::fromUtf8(body);
    }
    FrameReader reader;
    reader.append(stream);
    QCOMPARE(drain(reader), expected);
    QCOMPARE(reader.buffered(), 0);
    // Half a frame left over stays buffered until the rest comes.
    reader.append(QByteArrayView(frame("{\"x\":1}")).first(10));
    QVERIFY(drain(reader).isEmpty());
    QCOMPARE(reader.buffered(), 10);
}

void TestProtocol::headerNamesAreCaseInsensitiveAndOthersIgnored() {
    const QByteArray stream = "content-length: 2\r\n\r\n{}"
                              "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                              "CONTENT-LENGTH:3\r\nX-Other\r\n\r\n[1]"
                              "Content-Length: 4\r\nContent-Length: 4\r\n\r\n\"ab\"";
    const QStringList expected = {"body:{}", "body:[1]", "body:\"ab\""};
    QCOMPARE(readAll(stream, stream.size()), expected);
    QCOMPARE(readAll(stream, 1), expected);
}

void TestProtocol::largeFrameWithinLimit() {
    const qsizetype size = 5 * 1024 * 1024;
    const QString text(size, QLatin1Char('k'));
    LogEvent log;
    log.text = text;
    Endpoint sender;
    Message m = makeEvent(log);
    const QByteArray bytes = sender.encode(m);
    QVERIFY(bytes.size() > size);

    Endpoint receiver;
    std::vector<std::expected<Message, QString>> got;
    for (qsizetype at = 0; at < bytes.size(); at += 65536) {
        for (auto& item : receiver.feed(
                 QByteArrayView(bytes).sliced(at, std::min<qsizetype>(65536, bytes.size() - at))))
            got.push_back(std::move(item));
    }
    QCOMPARE(got.size(), size_t(1));
    CHECK_OK(got.front());
    const auto back = LogEvent::fromBody(got.front()->body);
    CHECK_OK(back);
    QCOMPARE(back->text.size(), size);
    QCOMPARE(back->text, text);
}

void TestProtocol::oversizedFrameIsReportedAtOnceAndSkipped() {
    const QByteArray big(5000, 'x');
    FrameReader reader(1000);
    reader.append("Content-Length: 5000\r\n\r\n");
    // Reported as soon as the header is complete, before any body byte arrived.
    const QStringList first = drain(reader);
    QCOMPARE(first.size(), 1);
    QVERIFY2(first.front().startsWith(
                 QLatin1String("error:frame of 5000 bytes is larger than the limit of 1000 bytes")),
             qPrintable(first.front()));
    // The body is discarded as it comes, never buffered.
    for (qsizetype at = 0; at < big.size(); at += 333) {
        reader.append(QByteArrayView(big).sliced(at, std::min<qsizetype>(333, big.size() - at)));
        QVERIFY(drain(reader).isEmpty());
        QCOMPARE(reader.buffered(), 0);
    }
    reader.append(frame(kGoodBody));
    QCOMPARE(drain(reader), QStringList{QLatin1String("body:") + QString::fromUtf8(kGoodBody)});

    // The same stream in any pieces gives the same result; exactly at the limit is fine.
    const QByteArray stream = frame(big) + frame(QByteArray(1000, 'y')) + frame(kGoodBody);
    for (qsizetype chunk : {qsizetype(1), qsizetype(17), qsizetype(4096), stream.size()}) {
        const QStringList got = readAll(stream, chunk, 1000);
        QCOMPARE(got.size(), 3);
        QVERIFY(got[0].startsWith(QLatin1String("error:frame of 5000 bytes")));
        QCOMPARE(got[1], QLatin1String("body:") + QString(1000, QLatin1Char('y')));
        QCOMPARE(got[2], QLatin1String("body:") + QString::fromUtf8(kGoodBody));
    }
}

void TestProtocol::absurdLengthAllocatesNothing() {
    FrameReader reader;
    reader.append("Content-Length: 999999999999999999\r\n\r\n{\"a\":1}");
    const QStringList got = drain(reader);
    QCOMPARE(got.size(), 1);
    QVERIFY2(got.front().contains(QLatin1String("999999999999999999 bytes is larger")),
             qPrintable(got.front()));
    QCOMPARE(reader.buffered(), 0); // the 7 bytes after it count towards the discarded body
    reader.append(QByteArray(100000, 'z'));
    QVERIFY(drain(reader).isEmpty());
    QCOMPARE(reader.buffered(), 0);
}

void TestProtocol::malformedHeader_data() {
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("error");
    QTest::newRow("no length") << QByteArray("Content-Type: json\r\n\r\n")
                               << "frame header has no Content-Length; skipped";
    QTest::newRow("empty header") << QByteArray("\r\n\r\n")
                                  << "frame header has no Content-Length; skipped";
    QTest::newRow("not a number") << QByteArray("Content-Length: abc\r\n\r\n")
                                  << "frame header has an invalid Content-Length \"abc\"; skipped";
    QTest::newRow("negative") << QByteArray("Content-Length: -5\r\n\r\n")
                              << "frame header has an invalid Content-Length \"-5\"; skipped";
    QTest::newRow("empty value") << QByteArray("Content-Length:\r\n\r\n")
                                 << "frame header has an invalid Content-Length \"\"; skipped";
    QTest::newRow("trailing junk") << QByteArray("Content-Length: 12x\r\n\r\n")
                                   << "frame header has an invalid Content-Length \"12x\"; skipped";
    QTest::newRow("too many digits")
        << QByteArray("Content-Length: 1234567890123456789012\r\n\r\n")
        << "frame header has an invalid Content-Length \"1234567890123456789012\"; skipped";
    QTest::newRow("conflicting")
        << QByteArray("Content-Length: 2\r\nContent-Length: 3\r\n\r\n")
        << "frame header has conflicting Content-Length values \"2\" and \"3\"; skipped";
    QTest::newRow("binary") << QByteArray("\xff\xfe\x00\x01\r\n\r\n", 8)
                            << "frame header has no Content-Length; skipped";
}

void TestProtocol::malformedHeader() {
    QFETCH(QByteArray, header);
    QFETCH(QString, error);
    const QByteArray stream = header + frame(kGoodBody);
    const QStringList expected = {QLatin1String("error:") + error,
                                  QLatin1String("body:") + QString::fromUtf8(kGoodBody)};
    QCOMPARE(readAll(stream, stream.size()), expected);
    QCOMPARE(readAll(stream, 1), expected);
}

void TestProtocol::wrongLengthResynchronises() {
    // A Content-Length one short leaves a byte that runs into the next header: the reader says
    // so and reads that frame anyway, instead of losing every frame after.
    const QByteArray stream = "Content-Length: 6\r\n\r\n{\"a\":1}" + frame(kGoodBody) + frame("{}");
    const QStringList got = readAll(stream, 1);
    const QStringList expected = {
        "body:{\"a\":1",
        "error:1 bytes that belong to no frame were skipped before a Content-Length header",
        QLatin1String("body:") + QString::fromUtf8(kGoodBody),
        "body:{}",
    };
    QCOMPARE(got, expected);
    QCOMPARE(readAll(stream, stream.size()), expected);
}

void TestProtocol::endlessHeader() {
    const QByteArray junk(3 * kMaxHeaderBytes, 'h');
    FrameReader reader;
    reader.append(junk);
    QStringList got = drain(reader);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.front(),
             QStringLiteral("error:frame header longer than 8192 bytes without a blank "
                            "line; skipped up to its end"));
    QVERIFY(reader.buffered() <= 3);

    // Byte by byte: the same single error, and memory stays bounded meanwhile.
    FrameReader slow;
    QStringList slowGot;
    for (char c : junk) {
        slow.append(QByteArrayView(&c, 1));
        slowGot << drain(slow);
        QVERIFY(slow.buffered() <= kMaxHeaderBytes);
    }
    QCOMPARE(slowGot, got);

    // Its blank line ends it; the next frame reads normally.
    for (FrameReader* r : {&reader, &slow}) {
        r->append("\r\n\r\n" + frame(kGoodBody));
        QCOMPARE(drain(*r), QStringList{QLatin1String("body:") + QString::fromUtf8(kGoodBody)});
    }

    // A header of exactly the limit (blank line included) is still read.
    QByteArray header = "Content-Length: 2\r\nX-Pad: ";
    header += QByteArray(kMaxHeaderBytes - header.size() - 4, 'p') + "\r\n\r\n";
    QCOMPARE(header.size(), kMaxHeaderBytes);
    QCOMPARE(readAll(header + "{}", 1), QStringList{"body:{}"});
    header.insert(header.size() - 4, 'p');
    const QStringList tooLong = readAll(header + "{}" + frame("[]"), 1);
    QCOMPARE(tooLong.size(), 3);
    QVERIFY(tooLong[0].startsWith(QLatin1String("error:frame header longer than 8192 bytes")));
    // "{}" glued to the next header is reported, then that frame is read.
    QVERIFY(tooLong[1].startsWith(QLatin1String("error:2 bytes that belong to no frame")));
    QCOMPARE(tooLong[2], QStringLiteral("body:[]"));
}

// --- envelope ----------------------------------------------------------------------------

void TestProtocol::badBodies_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("binary") << QByteArray("\xff\xfe\x01\x02", 4) << "invalid JSON at offset";
    QTest::newRow("bad utf-8 in a string")
        << QByteArray(R"({"seq":1,"type":"event","event":"log","body":{"text":")") + "\xc3\x28" +
               "\"}}"
        << "invalid JSON at offset";
    QTest::newRow("truncated") << QByteArray(R"({"seq":1,"type":)") << "invalid JSON at offset";
    QTest::newRow("empty") << QByteArray() << "invalid JSON at offset";
    QTest::newRow("array") << QByteArray("[1,2]") << "message is not a JSON object";
}

void TestProtocol::badBodies() {
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const auto decoded = decodeMessage(body);
    QVERIFY(!decoded.has_value());
    QVERIFY2(decoded.error().startsWith(error), qPrintable(decoded.error()));
}

void TestProtocol::envelope_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("no seq") << QByteArray(R"({"type":"event","event":"x"})")
                            << "\"seq\" is missing";
    QTest::newRow("string seq") << QByteArray(R"({"seq":"1","type":"event","event":"x"})")
                                << "\"seq\" must be an integer";
    QTest::newRow("fraction seq") << QByteArray(R"({"seq":1.5,"type":"event","event":"x"})")
                                  << "\"seq\" must be an integer";
    QTest::newRow("no type") << QByteArray(R"({"seq":1,"event":"x"})") << "\"type\" is missing";
    QTest::newRow("unknown type") << QByteArray(R"({"seq":1,"type":"notice","event":"x"})")
                                  << "\"type\" must be \"request\", \"response\" or \"event\"";
    QTest::newRow("numeric type") << QByteArray(R"({"seq":1,"type":3,"event":"x"})")
                                  << "\"type\" must be \"request\", \"response\" or \"event\"";
    QTest::newRow("event without event")
        << QByteArray(R"({"seq":1,"type":"event","command":"x"})") << "\"event\" is missing";
    QTest::newRow("numeric event") << QByteArray(R"({"seq":1,"type":"event","event":5})")
                                   << "\"event\" must be a non-empty string";
    QTest::newRow("empty command") << QByteArray(R"({"seq":1,"type":"request","command":""})")
                                   << "\"command\" must be a non-empty string";
    QTest::newRow("array arguments")
        << QByteArray(R"({"seq":1,"type":"request","command":"reload","arguments":[]})")
        << "\"arguments\" must be an object";
    QTest::newRow("string body") << QByteArray(R"({"seq":1,"type":"event","event":"x","body":"b"})")
                                 << "\"body\" must be an object";
    QTest::newRow("response without request_seq")
        << QByteArray(R"({"seq":1,"type":"response","command":"reload","success":true})")
        << "\"request_seq\" is missing";
    QTest::newRow("response with string request_seq")
        << QByteArray(
               R"({"seq":1,"type":"response","command":"reload","request_seq":"2","success":true})")
        << "\"request_seq\" must be an integer";
    QTest::newRow("response without success")
        << QByteArray(R"({"seq":1,"type":"response","command":"reload","request_seq":2})")
        << "\"success\" is missing";
    QTest::newRow("response with numeric success")
        << QByteArray(
               R"({"seq":1,"type":"response","command":"reload","request_seq":2,"success":1})")
        << "\"success\" must be a boolean";
    QTest::newRow("response with numeric message")
        << QByteArray(R"({"seq":1,"type":"response","command":"r","request_seq":2,)"
                      R"("success":false,"message":4})")
        << "\"message\" must be a string";
}

void TestProtocol::envelope() {
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const auto decoded = decodeMessage(body);
    QVERIFY(!decoded.has_value());
    QCOMPARE(decoded.error(), error);
}

// --- events and commands -----------------------------------------------------------------

void TestProtocol::eventsRoundTrip() {
    {
        HelloEvent e;
        e.protocol = 1;
        e.kilnVersion = QStringLiteral("0.3.0");
        e.pid = 4242424242LL;
        e.projectDir = QStringLiteral("/home/ü/proj");
        e.configFile = QStringLiteral("/home/ü/proj/wrangler.jsonc");
        e.stateDir = QStringLiteral("/home/ü/proj/.kiln/state");
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->protocol, 1);
        QCOMPARE(b->kilnVersion, e.kilnVersion);
        QCOMPARE(b->pid, e.pid);
        QCOMPARE(b->projectDir, e.projectDir);
        QCOMPARE(b->configFile, e.configFile);
        QCOMPARE(b->stateDir, e.stateDir);
    }
    {
        ReadyEvent e{.url = QStringLiteral("http://127.0.0.1:8787"),
                     .port = 8787,
                     .bootMs = 312.5,
                     .bootError = QStringLiteral("src/entry.py:3: SyntaxError")};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->url, e.url);
        QCOMPARE(b->port, 8787);
        QCOMPARE(b->bootMs, 312.5);
        QCOMPARE(b->bootError, e.bootError);
    }
    {
        LogEvent e{.level = LogLevel::Warn,
                   .source = LogSource::Print,
                   .text = QStringLiteral("line one\nline \"two\" \t✓"),
                   .time = 1767225600123.0};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->level, LogLevel::Warn);
        QCOMPARE(b->source, LogSource::Print);
        QCOMPARE(b->text, e.text);
        QCOMPARE(b->time, e.time);
    }
    {
        RequestStartedEvent e{.id = 9007199254740991LL,
                              .method = QStringLiteral("PATCH"),
                              .path = QStringLiteral("/a%20b?x=1&y=%C3%BC"),
                              .time = 17.25};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->id, e.id);
        QCOMPARE(b->method, e.method);
        QCOMPARE(b->path, e.path);
        QCOMPARE(b->time, 17.25);
    }
    {
        RequestFinishedEvent e;
        e.id = 12;
        e.method = QStringLiteral("POST");
        e.path = QStringLiteral("/upload");
        e.status = 413;
        e.cancelled = true;
        e.queuedMs = 0.25;
        e.handlerMs = 41.5;
        e.totalMs = 43.75;
        e.bytesIn = 67108864;
        e.bytesOut = 5000000000LL;
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->id, 12);
        QCOMPARE(b->method, e.method);
        QCOMPARE(b->path, e.path);
        QCOMPARE(b->status, 413);
        QCOMPARE(b->cancelled, true);
        QCOMPARE(b->queuedMs, 0.25);
        QCOMPARE(b->handlerMs, 41.5);
        QCOMPARE(b->totalMs, 43.75);
        QCOMPARE(b->bytesIn, 67108864);
        QCOMPARE(b->bytesOut, 5000000000LL);
    }
    {
        ReloadStartedEvent e{
            .changed = {QStringLiteral("src/entry.py"), QStringLiteral(".dev.vars")}};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->changed, e.changed);
        const auto empty = eventRoundTrip(ReloadStartedEvent{});
        CHECK_OK(empty);
        QVERIFY(empty->changed.isEmpty());
    }
    {
        ReloadFinishedEvent e;
        e.ok = false;
        e.durationMs = 88.5;
        e.error =
            ConfigError{QStringLiteral("/p/wrangler.toml"), 4, 9, QStringLiteral("expected '='")};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->ok, false);
        QCOMPARE(b->durationMs, 88.5);
        QVERIFY(b->error.has_value());
        QCOMPARE(b->error->file, e.error->file);
        QCOMPARE(b->error->line, 4);
        QCOMPARE(b->error->column, 9);
        QCOMPARE(b->error->message, e.error->message);

        ReloadFinishedEvent fine{.ok = true, .durationMs = 120, .error = std::nullopt};
        QVERIFY(!fine.toBody().contains(QLatin1String("error"))); // absent, not null
        const auto c = eventRoundTrip(fine);
        CHECK_OK(c);
        QCOMPARE(c->ok, true);
        QCOMPARE(c->durationMs, 120.0);
        QVERIFY(!c->error.has_value());
    }
    {
        ExceptionEvent e;
        e.type = QStringLiteral("ZeroDivisionError");
        e.message = QStringLiteral("division by zero");
        e.frames = {
            {QStringLiteral("/p/src/entry.py"), 12, QStringLiteral("on_fetch"), true},
            {QStringLiteral("/lib/python3.14/asyncio/x.py"), 401, QStringLiteral("run"), false}};
        e.text = QStringLiteral(
            "Traceback (most recent call last):\n  ...\nZeroDivisionError: division by zero");
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->type, e.type);
        QCOMPARE(b->message, e.message);
        QCOMPARE(b->text, e.text);
        QCOMPARE(b->frames.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QCOMPARE(b->frames[i].file, e.frames[i].file);
            QCOMPARE(b->frames[i].line, e.frames[i].line);
            QCOMPARE(b->frames[i].function, e.frames[i].function);
            QCOMPARE(b->frames[i].inProject, e.frames[i].inProject);
        }
    }
    {
        BootPhaseEvent e{
            .name = QStringLiteral("loadSnapshot"), .startMs = 12.5, .durationMs = 230.25};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->name, e.name);
        QCOMPARE(b->startMs, 12.5);
        QCOMPARE(b->durationMs, 230.25);
    }
    {
        StoreChangedEvent e{.binding = QStringLiteral("BUCKET"),
                            .kind = StoreKind::R2,
                            .key = QStringLiteral("a/b.png"),
                            .table = QStringLiteral("t")};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->binding, e.binding);
        QCOMPARE(b->kind, StoreKind::R2);
        QCOMPARE(b->key, e.key);
        QCOMPARE(b->table, e.table);
    }
    {
        WorkflowActivityEvent e{.binding = QStringLiteral("ORDERS"),
                                .workflow = QStringLiteral("orders"),
                                .instance = QStringLiteral("A17"),
                                .what = QStringLiteral("stepRetrying"),
                                .step = QStringLiteral("do:1:charge"),
                                .detail = QStringLiteral("RuntimeError: card declined")};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->binding, e.binding);
        QCOMPARE(b->workflow, e.workflow);
        QCOMPARE(b->instance, e.instance);
        QCOMPARE(b->what, e.what);
        QCOMPARE(b->step, e.step);
        QCOMPARE(b->detail, e.detail);
        QVERIFY(!WorkflowActivityEvent::fromBody(QJsonObject{{"binding", "X"}}).has_value());
    }
    {
        ErrorEvent e{.message = QStringLiteral("frame header has no Content-Length; skipped")};
        const auto b = eventRoundTrip(e);
        CHECK_OK(b);
        QCOMPARE(b->message, e.message);
    }
    // The wire names, once: clients match on them.
    QCOMPARE(makeEvent(ReloadFinishedEvent{}).name, QStringLiteral("reloadFinished"));
    QCOMPARE(makeEvent(StoreChangedEvent{}).name, QStringLiteral("storeChanged"));
    QCOMPARE(makeEvent(BootPhaseEvent{}).name, QStringLiteral("bootPhase"));
    QCOMPARE(makeEvent(WorkflowActivityEvent{}).name, QStringLiteral("workflowActivity"));
    // Field names on the wire are the members' names.
    const QJsonObject body = RequestFinishedEvent{}.toBody();
    QCOMPARE(body.keys(), (QStringList{"bytesIn", "bytesOut", "cancelled", "handlerMs", "id",
                                       "method", "path", "queuedMs", "status", "totalMs"}));
}

void TestProtocol::commandsRoundTrip() {
    {
        InitializeCommand c{.protocol = 3, .client = QStringLiteral("kiln-studio 0.1")};
        const auto b = commandRoundTrip(c);
        CHECK_OK(b);
        QCOMPARE(b->protocol, 3);
        QCOMPARE(b->client, c.client);
        QCOMPARE(InitializeCommand{}.protocol, kVersion);
        const auto noClient = InitializeCommand::fromArguments({{"protocol", 1}});
        CHECK_OK(noClient);
        QVERIFY(noClient->client.isEmpty());
    }
    {
        const auto b =
            commandRoundTrip(TriggerScheduledCommand{.cron = QStringLiteral("*/5 * * * *")});
        CHECK_OK(b);
        QCOMPARE(b->cron, QStringLiteral("*/5 * * * *"));
    }
    for (LogLevel level : {LogLevel::Debug, LogLevel::Log, LogLevel::Info, LogLevel::Warn,
                           LogLevel::Error, LogLevel::None}) {
        const auto b = commandRoundTrip(SetLogLevelCommand{.level = level});
        CHECK_OK(b);
        QCOMPARE(b->level, level);
    }
    {
        const Message m = overTheWire(makeRequest(ReloadCommand{}));
        QCOMPARE(m.name, QStringLiteral("reload"));
        QVERIFY(m.body.isEmpty());
        QVERIFY(ReloadCommand::fromArguments(m.body).has_value());
        const Message s = overTheWire(makeRequest(StopCommand{}));
        QCOMPARE(s.name, QStringLiteral("stop"));
        QVERIFY(StopCommand::fromArguments(s.body).has_value());
    }
    const Message unknown =
        unknownCommandResponse(Message::request(QStringLiteral("profileStart")));
    QCOMPARE(unknown.success, false);
    QCOMPARE(unknown.message, QStringLiteral("unknown command 'profileStart'"));
    QCOMPARE(unsupportedVersionMessage(2),
             QStringLiteral("protocol version 2 is not supported; this kiln speaks version 1"));
}

void TestProtocol::missingAndMistypedFields_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    const QByteArray finished =
        R"("id":1,"method":"GET","path":"/","cancelled":false,"queuedMs":0,"handlerMs":0,)"
        R"("totalMs":0,"bytesIn":0,"bytesOut":0)";
    QTest::newRow("status missing") << "requestFinished"
                                    << "{" + finished + "}"
                                    << "requestFinished: \"status\" is missing";
    QTest::newRow("status string") << "requestFinished"
                                   << "{" + finished + R"(,"status":"200"})"
                                   << "requestFinished: \"status\" must be a number";
    QTest::newRow("status fraction") << "requestFinished"
                                     << "{" + finished + R"(,"status":200.5})"
                                     << "requestFinished: \"status\" must be a whole number";
    QTest::newRow("status huge") << "requestFinished"
                                 << "{" + finished + R"(,"status":1e12})"
                                 << "requestFinished: \"status\" is out of range";
    QTest::newRow("cancelled number")
        << "requestFinished"
        << QByteArray(R"({"id":1,"method":"GET","path":"/","status":200,"cancelled":0})")
        << "requestFinished: \"cancelled\" must be a boolean";
    QTest::newRow("hello without pid")
        << "hello" << QByteArray(R"({"protocol":1,"kilnVersion":"1","projectDir":"/p"})")
        << "hello: \"pid\" is missing";
    QTest::newRow("ready port string")
        << "ready" << QByteArray(R"({"url":"u","port":"8787","bootMs":1})")
        << "ready: \"port\" must be a number";
    QTest::newRow("ready bootError number")
        << "ready" << QByteArray(R"({"url":"u","port":1,"bootMs":1,"bootError":5})")
        << "ready: \"bootError\" must be a string";
    QTest::newRow("log without text")
        << "log" << QByteArray(R"({"level":"info","source":"kiln","time":1})")
        << "log: \"text\" is missing";
    QTest::newRow("log level number")
        << "log" << QByteArray(R"({"level":2,"source":"kiln","text":"","time":1})")
        << "log: \"level\" must be a string";
    QTest::newRow("reloadStarted changed string")
        << "reloadStarted" << QByteArray(R"({"changed":"a.py"})")
        << "reloadStarted: \"changed\" must be an array";
    QTest::newRow("reloadStarted changed numbers")
        << "reloadStarted" << QByteArray(R"({"changed":["a",1]})")
        << "reloadStarted: \"changed\" must be an array of strings";
    QTest::newRow("reloadFinished error message")
        << "reloadFinished"
        << QByteArray(R"({"ok":false,"durationMs":1,"error":{"file":"f","line":1}})")
        << "reloadFinished.error: \"message\" is missing";
    QTest::newRow("reloadFinished error string")
        << "reloadFinished" << QByteArray(R"({"ok":false,"durationMs":1,"error":"boom"})")
        << "reloadFinished: \"error\" must be an object";
    QTest::newRow("exception frame line")
        << "exception"
        << QByteArray(R"({"type":"E","frames":[{"file":"a","line":1},{"file":"b","line":"2"}]})")
        << "exception.frames[1]: \"line\" must be a number";
    QTest::newRow("exception frame not object")
        << "exception" << QByteArray(R"({"type":"E","frames":[3]})")
        << "exception: \"frames\"[0] must be an object";
    QTest::newRow("exception without type")
        << "exception" << QByteArray(R"({"message":"m"})") << "exception: \"type\" is missing";
    QTest::newRow("bootPhase startMs")
        << "bootPhase" << QByteArray(R"({"name":"x","startMs":null,"durationMs":1})")
        << "bootPhase: \"startMs\" must be a number";
    QTest::newRow("storeChanged binding") << "storeChanged" << QByteArray(R"({"kind":"kv"})")
                                          << "storeChanged: \"binding\" is missing";
    QTest::newRow("error message")
        << "error" << QByteArray("{}") << "error: \"message\" is missing";
    QTest::newRow("initialize protocol")
        << "initialize" << QByteArray(R"({"client":"x"})") << "initialize: \"protocol\" is missing";
    QTest::newRow("triggerScheduled cron") << "triggerScheduled" << QByteArray(R"({"cron":5})")
                                           << "triggerScheduled: \"cron\" must be a string";
    QTest::newRow("setLogLevel level")
        << "setLogLevel" << QByteArray("{}") << "setLogLevel: \"level\" is missing";
}

void TestProtocol::missingAndMistypedFields() {
    QFETCH(QString, name);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QVERIFY2(!o.isEmpty() || body == "{}", body.constData());
    QString got;
    auto check = [&](const auto& result) {
        QVERIFY2(!result.has_value(), "accepted");
        got = result.error();
    };
    if (name == QLatin1String("hello"))
        check(HelloEvent::fromBody(o));
    else if (name == QLatin1String("ready"))
        check(ReadyEvent::fromBody(o));
    else if (name == QLatin1String("log"))
        check(LogEvent::fromBody(o));
    else if (name == QLatin1String("requestFinished"))
        check(RequestFinishedEvent::fromBody(o));
    else if (name == QLatin1String("reloadStarted"))
        check(ReloadStartedEvent::fromBody(o));
    else if (name == QLatin1String("reloadFinished"))
        check(ReloadFinishedEvent::fromBody(o));
    else if (name == QLatin1String("exception"))
        check(ExceptionEvent::fromBody(o));
    else if (name == QLatin1String("bootPhase"))
        check(BootPhaseEvent::fromBody(o));
    else if (name == QLatin1String("storeChanged"))
        check(StoreChangedEvent::fromBody(o));
    else if (name == QLatin1String("workflowActivity"))
        check(WorkflowActivityEvent::fromBody(o));
    else if (name == QLatin1String("error"))
        check(ErrorEvent::fromBody(o));
    else if (name == QLatin1String("initialize"))
        check(InitializeCommand::fromArguments(o));
    else if (name == QLatin1String("triggerScheduled"))
        check(TriggerScheduledCommand::fromArguments(o));
    else if (name == QLatin1String("setLogLevel"))
        check(SetLogLevelCommand::fromArguments(o));
    else
        QFAIL("no such message in the table");
    QCOMPARE(got, error);
}

void TestProtocol::enumNames() {
    const QList<std::pair<LogLevel, const char*>> levels = {
        {LogLevel::Debug, "debug"}, {LogLevel::Log, "log"},     {LogLevel::Info, "info"},
        {LogLevel::Warn, "warn"},   {LogLevel::Error, "error"}, {LogLevel::None, "none"}};
    for (const auto& [level, name] : levels) {
        QCOMPARE(logLevelName(level), QLatin1String(name));
        QCOMPARE(parseLogLevel(QString::fromLatin1(name)), std::optional<LogLevel>(level));
    }
    const QList<std::pair<LogSource, const char*>> sources = {{LogSource::Request, "request"},
                                                              {LogSource::Print, "print"},
                                                              {LogSource::Console, "console"},
                                                              {LogSource::Kiln, "kiln"}};
    for (const auto& [source, name] : sources) {
        QCOMPARE(logSourceName(source), QLatin1String(name));
        QCOMPARE(parseLogSource(QString::fromLatin1(name)), std::optional<LogSource>(source));
    }
    const QList<std::pair<StoreKind, const char*>> kinds = {{StoreKind::Kv, "kv"},
                                                            {StoreKind::D1, "d1"},
                                                            {StoreKind::R2, "r2"},
                                                            {StoreKind::Workflow, "workflow"}};
    for (const auto& [kind, name] : kinds) {
        QCOMPARE(storeKindName(kind), QLatin1String(name));
        QCOMPARE(parseStoreKind(QString::fromLatin1(name)), std::optional<StoreKind>(kind));
    }
    QVERIFY(!parseLogLevel(u"WARN").has_value()); // one spelling per value
    QVERIFY(!parseLogLevel(u"warning").has_value());
    QVERIFY(!parseLogSource(u"").has_value());
    QVERIFY(!parseStoreKind(u"KV").has_value());
}

void TestProtocol::unknownEnumNames_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("log level")
        << "log" << QByteArray(R"({"level":"loud","source":"kiln","text":"","time":1})")
        << "log: \"level\" must be debug, log, info, warn or error, not \"loud\"";
    QTest::newRow("log level none")
        << "log" << QByteArray(R"({"level":"none","source":"kiln","text":"","time":1})")
        << "log: \"level\" must be debug, log, info, warn or error, not \"none\"";
    QTest::newRow("log source")
        << "log" << QByteArray(R"({"level":"info","source":"stdout","text":"","time":1})")
        << "log: \"source\" must be request, print, console or kiln, not \"stdout\"";
    QTest::newRow("store kind")
        << "storeChanged" << QByteArray(R"({"binding":"Q","kind":"queue"})")
        << "storeChanged: \"kind\" must be kv, d1, r2 or workflow, not \"queue\"";
    QTest::newRow("setLogLevel")
        << "setLogLevel" << QByteArray(R"({"level":"verbose"})")
        << "setLogLevel: \"level\" must be debug, log, info, warn, error or none, not \"verbose\"";
}

void TestProtocol::unknownEnumNames() {
    QFETCH(QString, name);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QString got;
    if (name == QLatin1String("log")) {
        const auto r = LogEvent::fromBody(o);
        QVERIFY(!r.has_value());
        got = r.error();
    } else if (name == QLatin1String("storeChanged")) {
        const auto r = StoreChangedEvent::fromBody(o);
        QVERIFY(!r.has_value());
        got = r.error();
    } else {
        const auto r = SetLogLevelCommand::fromArguments(o);
        QVERIFY(!r.has_value());
        got = r.error();
    }
    QCOMPARE(got, error);
}

// --- messages and endpoints ----------------------------------------------------------------

void TestProtocol::responseFields() {
    Message request = Message::request(QStringLiteral("reload"), {{"why", "test"}});
    request.seq = 41;
    const Message r = Message::response(request, false, QStringLiteral("config does not parse"),
                                        {{"file", "wrangler.toml"}});
    QCOMPARE(r.type, MessageType::Response);
    QCOMPARE(r.name, QStringLiteral("reload"));
    QCOMPARE(r.requestSeq, 41);
    QCOMPARE(r.success, false);
    QCOMPARE(r.message, QStringLiteral("config does not parse"));
    QCOMPARE(r.body.value(QLatin1String("file")).toString(), QStringLiteral("wrangler.toml"));

    // On the wire: DAP's names.
    Message numbered = r;
    numbered.seq = 3;
    const QJsonObject o = QJsonDocument::fromJson(encodeMessage(numbered)).object();
    QCOMPARE(o.value(QLatin1String("seq")).toInteger(), 3);
    QCOMPARE(o.value(QLatin1String("type")).toString(), QStringLiteral("response"));
    QCOMPARE(o.value(QLatin1String("request_seq")).toInteger(), 41);
    QCOMPARE(o.value(QLatin1String("success")), QJsonValue(false));
    QCOMPARE(o.value(QLatin1String("command")).toString(), QStringLiteral("reload"));
    QCOMPARE(o.value(QLatin1String("message")).toString(), QStringLiteral("config does not parse"));
    QCOMPARE(o.value(QLatin1String("body")).toObject().value(QLatin1String("file")).toString(),
             QStringLiteral("wrangler.toml"));

    const auto back = decodeMessage(encodeMessage(numbered));
    CHECK_OK(back);
    QCOMPARE(back->type, MessageType::Response);
    QCOMPARE(back->seq, 3);
    QCOMPARE(back->requestSeq, 41);
    QCOMPARE(back->success, false);
    QCOMPARE(back->name, QStringLiteral("reload"));
    QCOMPARE(back->message, r.message);
    QCOMPARE(back->body, r.body);

    // A success without message or body; both come back empty.
    const auto ok = decodeMessage(
        R"({"seq":2,"type":"response","request_seq":1,"success":true,"command":"stop"})");
    CHECK_OK(ok);
    QCOMPARE(ok->success, true);
    QVERIFY(ok->message.isEmpty());
    QVERIFY(ok->body.isEmpty());
    const QJsonObject okWire = QJsonDocument::fromJson(encodeMessage(*ok)).object();
    QVERIFY(!okWire.contains(QLatin1String("message")));

    // Requests carry "arguments", events "body"; neither has request_seq.
    Message req = Message::request(QStringLiteral("triggerScheduled"), {{"cron", "* * * * *"}});
    const QJsonObject reqWire = QJsonDocument::fromJson(encodeMessage(req)).object();
    QCOMPARE(reqWire.value(QLatin1String("type")).toString(), QStringLiteral("request"));
    QCOMPARE(reqWire.value(QLatin1String("command")).toString(),
             QStringLiteral("triggerScheduled"));
    QCOMPARE(reqWire.value(QLatin1String("arguments"))
                 .toObject()
                 .value(QLatin1String("cron"))
                 .toString(),
             QStringLiteral("* * * * *"));
    QVERIFY(!reqWire.contains(QLatin1String("request_seq")));
    QVERIFY(!reqWire.contains(QLatin1String("body")));
    const QJsonObject evWire =
        QJsonDocument::fromJson(encodeMessage(Message::event(QStringLiteral("ready")))).object();
    QCOMPARE(evWire.value(QLatin1String("event")).toString(), QStringLiteral("ready"));
    QVERIFY(evWire.value(QLatin1String("body")).isObject());
    QVERIFY(!evWire.contains(QLatin1String("command")));
}

void TestProtocol::endpointNumbersMessages() {
    Endpoint host;
    Endpoint client;
    QByteArray stream;
    QList<qint64> seqs;
    for (int i = 0; i < 3; ++i) {
        Message m = makeEvent(LogEvent{.text = QString::number(i)});
        stream += host.encode(m);
        seqs << m.seq;
    }
    QCOMPARE(seqs, (QList<qint64>{1, 2, 3}));
    Message first = makeRequest(ReloadCommand{});
    QVERIFY(!client.encode(first).isEmpty());
    QCOMPARE(first.seq, 1); // each side counts its own
    Message response = Message::response(first, true);
    stream += host.encode(response);
    QCOMPARE(response.seq, 4);
    QCOMPARE(response.requestSeq, 1);

    const auto got = client.feed(stream);
    QCOMPARE(got.size(), size_t(4));
    for (int i = 0; i < 3; ++i) {
        CHECK_OK(got[i]);
        QCOMPARE(got[i]->seq, i + 1);
        QCOMPARE(LogEvent::fromBody(got[i]->body)->text, QString::number(i));
    }
    CHECK_OK(got[3]);
    QCOMPARE(got[3]->type, MessageType::Response);
    QCOMPARE(got[3]->seq, 4);
    QCOMPARE(got[3]->requestSeq, 1);
    QCOMPARE(got[3]->name, QStringLiteral("reload"));
}

void TestProtocol::endpointReportsBadFramesAndCarriesOn() {
    Endpoint e(100);
    const QByteArray stream = frame("not json") + frame(QByteArray(200, ' ')) + frame("[]") +
                              frame(R"({"seq":1,"type":"event"})") + "Content-Length: x\r\n\r\n" +
                              frame(kGoodBody);
    const auto got = e.feed(stream);
    QCOMPARE(got.size(), size_t(6));
    QVERIFY(!got[0] && got[0].error().startsWith(QLatin1String("invalid JSON at offset")));
    QVERIFY(!got[1] && got[1].error().startsWith(
                           QLatin1String("frame of 200 bytes is larger than the limit of 100")));
    QVERIFY(!got[2] && got[2].error() == QLatin1String("message is not a JSON object"));
    QVERIFY(!got[3] && got[3].error() == QLatin1String("\"event\" is missing"));
    QVERIFY(!got[4] && got[4].error().contains(QLatin1String("invalid Content-Length")));
    CHECK_OK(got[5]);
    QCOMPARE(got[5]->seq, 7);
    QCOMPARE(got[5]->name, QStringLiteral("ready"));
    QVERIFY(got[5]->body.isEmpty());
}

QTEST_GUILESS_MAIN(TestProtocol)
#include "test_protocol.moc"
