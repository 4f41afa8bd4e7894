// Test support: keeps every line logged through spdlog's default logger while a LogCapture is
// alive, so that tests can check what an operator would read.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace orcraft::raft::testing {

class CapturedLines final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    // The lines logged since the last take(), which forgets them.
    std::vector<std::string> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(lines_, {});
    }
    // Whether a line logged since the last take() contains `text`.
    bool contains(const std::string& text) {
        std::lock_guard lock(mutex_);
        return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) {
            return line.find(text) != std::string::npos;
        });
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}

  private:
    std::vector<std::string> lines_;
};

// Installs a CapturedLines sink on the default logger for its lifetime.
struct LogCapture {
    std::shared_ptr<CapturedLines> lines = std::make_shared<CapturedLines>();
    LogCapture() { spdlog::default_logger()->sinks().push_back(lines); }
    ~LogCapture() {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), lines), sinks.end());
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
};

}  // namespace orcraft::raft::testing
