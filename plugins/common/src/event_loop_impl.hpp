// What EventLoop hides from plugins: the io_context and its thread.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it with g++ 12

#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "plugin_common/event_loop.hpp"

namespace cim::web {

struct EventLoop::Impl {
    boost::asio::io_context io{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
    EventLoop::Log log;
};

}  // namespace cim::web
