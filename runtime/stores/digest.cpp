#include "stores/digest.h"

#include <openssl/evp.h>

namespace kiln {

struct Digest::Private {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    QByteArray result;
    bool done = false;
    ~Private() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Kind kind)
    : d(std::make_unique<Private>()) {
    const EVP_MD* md = kind == Kind::Md5    ? EVP_md5()
                       : kind == Kind::Sha1 ? EVP_sha1()
                                            : EVP_sha256();
    EVP_DigestInit_ex(d->ctx, md, nullptr);
}

Digest::~Digest() = default;

void Digest::add(const char* data, qsizetype size) {
    if (!d->done && size > 0) EVP_DigestUpdate(d->ctx, data, static_cast<size_t>(size));
}

QByteArray Digest::result() {
    if (!d->done) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(d->ctx, out, &length);
        d->result = QByteArray(reinterpret_cast<const char*>(out), static_cast<qsizetype>(length));
        d->done = true;
    }
    return d->result;
}

} // namespace kiln
