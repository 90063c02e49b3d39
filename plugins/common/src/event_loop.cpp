#include "plugin_common/event_loop.hpp"

#include "event_loop_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cim::web {

namespace {

// A task that throws must not end the loop's thread (an exception leaving std::thread is std::terminate, the whole
// runtime): it is logged, and the loop goes on with the next handler.
template <typename Task>
void run_guarded(const EventLoop& loop, const Task& task) noexcept {
    try {
        task();
    } catch (const std::exception& e) {
        loop.report(cim::LogLevel::error, std::string("a network task failed: ") + e.what());
    } catch (...) {
        loop.report(cim::LogLevel::error, "a network task failed with a non-standard exception");
    }
}

}  // namespace

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() { stop(); }

void EventLoop::start() {
    if (impl_->thread.joinable()) return;
    impl_->io.restart();
    impl_->work.emplace(impl_->io.get_executor());
    impl_->thread = std::thread([this] {
        // The last line of defence: whatever escapes a completion handler is logged and the loop keeps running.
        for (;;) {
            try {
                impl_->io.run();
                return;
            } catch (const std::exception& e) {
                report(cim::LogLevel::error, std::string("a network completion handler failed: ") + e.what());
            } catch (...) {
                report(cim::LogLevel::error, "a network completion handler failed with a non-standard exception");
            }
        }
    });
}

void EventLoop::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->work.reset();
    impl_->io.stop();
    impl_->thread.join();
}

void EventLoop::post(std::function<void()> task) {
    boost::asio::post(impl_->io, [this, task = std::move(task)] { run_guarded(*this, task); });
}

void EventLoop::post_after(std::chrono::milliseconds delay, std::function<void()> task) {
    auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, delay);
    timer->async_wait([this, timer, task = std::move(task)](const boost::system::error_code& error) {
        if (!error) run_guarded(*this, task);
    });
}

void EventLoop::set_log(Log log) { impl_->log = std::move(log); }

void EventLoop::report(cim::LogLevel level, const std::string& message) const noexcept {
    try {
        if (impl_->log) impl_->log(level, message);
    } catch (...) {
        // A log that throws has nowhere left to report to.
    }
}

}  // namespace cim::web
