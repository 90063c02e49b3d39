// The catalogue in the embedding API's terms (cim::runtime::EventInfo), for `cimrt events` and embedders.
#pragma once

#include <vector>

#include "cim/runtime/catalogue.hpp"
#include "event/catalogue.hpp"

namespace cim::core {

/// Every entry of `catalogue`, in id order, with the aliases that resolve to it.
std::vector<runtime::EventInfo> describe(const Catalogue& catalogue);

}  // namespace cim::core
