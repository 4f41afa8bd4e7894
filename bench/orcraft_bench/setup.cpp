#include "bench/orcraft_bench/setup.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>
#include <thread>

#include "server/http/client.hpp"

namespace orcraft::bench {

void run_setup(const Options& options, const RequestFactory& factory,
               std::chrono::milliseconds deadline) {
    using server::http::ClientError;
    using server::http::HttpClient;
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (const auto& url : options.urls)
        clients.push_back(std::make_unique<HttpClient>(url.host, url.port));
    std::size_t at = 0;
    for (const auto& [path, body] : factory.setup()) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            std::string last;
            try {
                auto response = clients[at]->post(options.urls[at].prefix + path, body);
                if (response.status == 200) break;
                last = std::to_string(response.status) + " " + response.body;
                if (response.status < 500)
                    throw std::runtime_error("setup request to " + options.urls[at].text + path +
                                             " failed: " + last);
            } catch (const ClientError& e) {
                last = e.what();
            }
            if (std::chrono::steady_clock::now() > until)
                throw std::runtime_error("setup request to " + options.urls[at].text + path +
                                         " failed: " + last);
            spdlog::debug("setup: {}; trying the next URL", last);
            at = (at + 1) % clients.size();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // pause between retries
        }
    }
}

}  // namespace orcraft::bench
