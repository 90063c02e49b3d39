// The connector contract over HTTP: external channels POST CIM messages and delivery notifications to
// /cim-messages and end sessions with DELETE /channel-sessions/{id}, each authenticated by its own bearer token.
#pragma once

#include <vector>

#include "channel_config.hpp"
#include "customer_ingest.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::channel {

class ConnectorApi {
public:
    ConnectorApi(std::vector<ConnectorConfig> connectors, CustomerIngest& ingest, SessionDirectory& directory)
        : connectors_(std::move(connectors)), ingest_(ingest), directory_(directory) {}

    /// Answers the request when its path is the API's; returns false (and leaves `response`) otherwise.
    bool handle(const web::HttpRequest& request, web::HttpResponse& response);

private:
    const ConnectorConfig* authenticate(const web::HttpRequest& request) const;
    web::HttpResponse post_message(const ConnectorConfig& connector, const web::HttpRequest& request);
    web::HttpResponse end_session(const ConnectorConfig& connector, const std::string& session_id);

    std::vector<ConnectorConfig> connectors_;
    CustomerIngest& ingest_;
    SessionDirectory& directory_;
};

}  // namespace cim::channel
