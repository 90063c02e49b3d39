// The baselines every scenario is compared with, run on the same events in the same process image:
//  - the dispatch limit: a loop handing each event to four consumers through function pointers, on events already in
//    memory ("dispatch loop") and on the wire text parsed by the runtime's own reader first ("parse + dispatch loop");
//  - a broker: the same wire events published to a local nats-server and received by four subscribers (cnats);
//  - storage: the same rows inserted into SQLite in batched transactions, with the journal's schema;
//  - HTTP: the HTTP scenarios' clients against a bare Beast server that parses the message and answers 202.
#pragma once

#include <filesystem>
#include <vector>

#include "measurement.hpp"
#include "traffic_model.hpp"

namespace cim::bench {

/// The wire text of every event, ids stamped.
std::vector<std::string> stamped_lines(const std::vector<WireEvent>& traffic);

Measurement run_dispatch_loop(const std::vector<WireEvent>& traffic);
Measurement run_parse_dispatch_loop(const std::vector<WireEvent>& traffic);
/// Starts `nats-server` on a free loopback port for the run and stops it after.
Measurement run_nats_baseline(const std::vector<WireEvent>& traffic, const std::filesystem::path& work_dir);
/// synchronous = `sync` ("normal" or "full"), WAL, transactions of `batch` rows.
Measurement run_sqlite_baseline(const std::vector<WireEvent>& traffic, const std::filesystem::path& work_dir,
                                const std::string& sync, std::size_t batch);

/// The HTTP scenarios' clients against a minimal one-thread Beast server that parses each CIM message and answers 202.
Measurement run_http_baseline(std::size_t requests, int clients);

}  // namespace cim::bench
