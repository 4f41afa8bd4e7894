#pragma once
// A response body produced piece by piece on another thread (a proxied answer, a large export).
//
// A handler that streams sets Response::stream to a BodyStream, answers with that response at
// once (status and headers go out first), and then writes the body from any thread:
//
//     auto body = std::make_shared<BodyStream>();
//     Response head;
//     head.stream = body;
//     responder.respond(head);
//     pool.submit([body] { while (...) if (!body->write(piece)) return; body->finish(); });
//
// The server sends the body with chunked transfer coding (close-delimited for HTTP/1.0 clients).
// write() blocks while more than `max_buffered` bytes wait to be sent, so a slow client slows the
// producer instead of filling memory; it returns false once the connection is gone or the server
// has dropped the stream, and the producer should then stop. finish() ends the body normally;
// abort() ends it as failed: the server closes the connection without the final chunk, so the
// client can tell the body is incomplete. The producer must end every stream with one of the two:
// until then the request counts as in flight. The producer side may be used from one thread at a
// time.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace orcraft::server::http {

class BodyStream {
  public:
    explicit BodyStream(std::size_t max_buffered = 1u << 20) : max_buffered_(max_buffered) {}
    ~BodyStream();
    BodyStream(const BodyStream&) = delete;
    BodyStream& operator=(const BodyStream&) = delete;

    // Producer side.
    bool write(std::string_view data);
    void finish();
    void abort();
    // True once the server has dropped the stream (client gone, server stopped).
    bool cancelled() const;

    // Server side. `on_ready` is called, from any thread, whenever data or the end becomes
    // available after a take() that returned nothing new; at once if something is already there.
    void attach(std::function<void()> on_ready);
    struct Taken {
        std::string data;
        bool finished = false;
        bool aborted = false;
    };
    // Takes up to `max` buffered bytes, and the end of the body once everything before it is taken.
    Taken take(std::size_t max);
    // The server will take nothing more: wakes and refuses producers.
    void cancel();

  private:
    void signal(std::unique_lock<std::mutex>& lock);

    const std::size_t max_buffered_;
    mutable std::mutex mutex_;
    std::condition_variable space_;
    std::string buffer_;
    bool finished_ = false;
    bool aborted_ = false;
    bool cancelled_ = false;
    bool signalled_ = false;  // on_ready was called and no take() has happened since
    std::function<void()> on_ready_;
};

}  // namespace orcraft::server::http
