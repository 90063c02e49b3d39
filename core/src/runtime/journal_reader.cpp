#include "cim/runtime/journal_reader.hpp"

#include "cim/runtime/error.hpp"
#include "config/runtime_config.hpp"
#include "event/wire_json.hpp"
#include "runtime/journal_views.hpp"
#include "store/store.hpp"

namespace cim::runtime {
namespace {

// A store that cannot be read (a damaged file) is the embedding API's store error, as at open.
template <typename Read>
auto read_store(const std::string& file, Read&& read) -> decltype(read()) {
    try {
        return read();
    } catch (const core::StoreError& e) {
        throw Error(Error::Kind::store, file + ": " + e.what());
    }
}

class StoreJournalReader final : public JournalReader {
public:
    explicit StoreJournalReader(core::RuntimeConfig config)
        : options_{config.sessions.customer_inactivity_timeout, config.sessions.closed_grace} {
        if (config.store.kind == "sqlite" && !std::filesystem::exists(config.store.path)) {
            throw Error(Error::Kind::config, config.file.string() + ": store: " + config.store.path.string() +
                                                 " does not exist (has the runtime run yet?)");
        }
        try {
            store_ = core::open_store(config.store, 1, core::StoreAccess::read_only);
        } catch (const core::StoreError& e) {
            throw Error(Error::Kind::store, config.file.string() + ": " + e.what());
        }
        file_ = config.file.string();
    }

    nlohmann::json conversation(const std::string& conversation_id) const override {
        return reading([&] { return core::conversation_from_journal(*store_, options_, conversation_id); });
    }

    nlohmann::json customer(const std::string& customer_id) const override {
        return reading([&] { return core::journey_from_journal(*store_, options_, customer_id); });
    }

    void journal(const JournalQuery& query, const std::function<void(const std::string&)>& line) const override {
        core::JournalFilter filter;
        filter.conversation_id = query.conversation_id;
        filter.since_ms = query.since_ms;
        reading([&] {
            store_->read_journal(filter, [&](const core::Event& e) { line(core::to_event_json(e)); });
            return 0;
        });
    }

private:
    template <typename Read>
    auto reading(Read&& read) const -> decltype(read()) {
        return read_store(file_, std::forward<Read>(read));
    }

    std::string file_;
    core::TrackerOptions options_;
    std::unique_ptr<core::Store> store_;
};

}  // namespace

std::unique_ptr<JournalReader> JournalReader::open(const std::filesystem::path& config_file) {
    core::RuntimeConfig config;
    try {
        config = core::load_config_file(config_file);
    } catch (const core::ConfigError& e) {
        throw Error(Error::Kind::config, e.what());
    }
    return std::make_unique<StoreJournalReader>(std::move(config));
}

}  // namespace cim::runtime
