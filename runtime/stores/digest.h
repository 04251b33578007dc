#pragma once

#include <QByteArray>

#include <memory>

namespace kiln {

// An incremental message digest (OpenSSL's EVP): MD5, SHA-1 or SHA-256 over streamed bytes.
// Used for R2 etags, checksums and content addresses, at OpenSSL's speed (SHA-NI, AVX2)
// rather than a portable implementation's: R2 hashes every byte that goes in.
class Digest {
public:
    enum class Kind { Md5, Sha1, Sha256 };
    explicit Digest(Kind kind);
    ~Digest();
    Digest(const Digest&) = delete;
    Digest& operator=(const Digest&) = delete;

    void add(const char* data, qsizetype size);
    void add(const QByteArray& bytes) { add(bytes.constData(), bytes.size()); }
    // The raw digest; the object cannot be fed afterwards.
    QByteArray result();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
