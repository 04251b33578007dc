#pragma once

#include <memory>

namespace kiln {

class HttpExchange;

// Receives every request once its head has been parsed. Called on the server's thread; an
// implementation that does real work elsewhere re-posts the exchange to its own thread. The
// handler must eventually finish() or abort() the exchange, or drop every reference to it (the
// server then answers 500, or closes the connection if the response had already started).
class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    virtual void handle(std::shared_ptr<HttpExchange> exchange) = 0;
};

} // namespace kiln
