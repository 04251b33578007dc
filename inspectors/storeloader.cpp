#include "storeloader.h"

namespace kiln {

StoreLoader::StoreLoader(QObject* parent)
    : QObject(parent) {
    m_pool.setMaxThreadCount(1); // one connection per store, used in order
    m_pool.setExpiryTimeout(5000);
}

StoreLoader::~StoreLoader() {
    m_pool.clear();
    m_pool.waitForDone();
}

} // namespace kiln
