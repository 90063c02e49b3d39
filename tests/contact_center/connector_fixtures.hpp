// The connector credentials and message shape every connector test uses: one copy, so a test that configures a
// runtime and a test that talks to it cannot disagree.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cim::test {

/// The connector credentials the connector tests configure: the API token and the webhook signing secret.
inline const std::string connector_token = "acme-token-0123456789";
inline const std::string connector_webhook_secret = "acme-webhook-secret-0123456789";
/// A connector's CIM message (the connector API's body) from `customer` with `text` (in contact_center.cpp).
nlohmann::json connector_message(const std::string& id, const std::string& customer, const std::string& text);

}  // namespace cim::test
