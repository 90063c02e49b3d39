#include "plugin_common/event_loop.hpp"

#include "event_loop_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cim::web {

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() { stop(); }

void EventLoop::start() {
    if (impl_->thread.joinable()) return;
    impl_->io.restart();
    impl_->work.emplace(impl_->io.get_executor());
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

void EventLoop::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->work.reset();
    impl_->io.stop();
    impl_->thread.join();
}

void EventLoop::post(std::function<void()> task) { boost::asio::post(impl_->io, std::move(task)); }

void EventLoop::post_after(std::chrono::milliseconds delay, std::function<void()> task) {
    auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& error) {
        if (!error) task();
    });
}

}  // namespace cim::web
