#include "server/http/responder.hpp"

#include <spdlog/spdlog.h>

namespace orcraft::server::http {

Responder::Responder(Sink sink) : state_(std::make_shared<State>(std::move(sink))) {}

bool Responder::respond(Response response) const {
    if (state_->done.exchange(true)) return false;
    state_->sink(std::move(response));
    return true;
}

bool Responder::responded() const {
    return state_->done.load();
}

Responder::State::~State() {
    if (done.load()) return;
    // Destructors must not throw: a failing sink only costs this one answer.
    try {
        sink(Response::error(500, "handler did not answer"));
    } catch (const std::exception& e) {
        spdlog::error("http: answering an abandoned request failed: {}", e.what());
    }
}

}  // namespace orcraft::server::http
