#pragma once
// The handle a handler uses to answer one request.
//
// A Responder is cheap to copy (one shared pointer) and may be moved to any thread. The first call
// to respond() on any copy delivers the response; later calls return false and do nothing. When
// the last copy is destroyed without any call, the request is answered with 500
// {"error": "handler did not answer"}, so a forgotten code path cannot leave a client waiting
// forever.
//
// For a server connection, respond() hands the response to the server's loop thread and returns
// at once; if the client has disconnected in the meantime, or the server has stopped, the
// response is dropped there. A Responder never refers to the connection itself, so it is safe to
// keep or call after the connection, or the whole server, is gone.

#include <atomic>
#include <functional>
#include <memory>

#include "server/http/message.hpp"

namespace orcraft::server::http {

class Responder {
  public:
    using Sink = std::function<void(Response)>;

    // A responder that passes its response to `sink` (called at most once, on the thread that
    // calls respond() or drops the last copy). The server builds its responders this way; tests
    // of route handlers can use it to capture the answer without a server.
    explicit Responder(Sink sink);

    // Answers the request. Returns true when this call delivered the response, false when the
    // request had already been answered.
    bool respond(Response response) const;

    // Whether some copy has already answered.
    bool responded() const;

  private:
    struct State {
        explicit State(Sink s) : sink(std::move(s)) {}
        ~State();
        State(const State&) = delete;
        State& operator=(const State&) = delete;
        Sink sink;
        std::atomic<bool> done{false};
    };
    std::shared_ptr<State> state_;
};

}  // namespace orcraft::server::http
