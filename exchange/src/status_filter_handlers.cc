// GET /v1/status/filter: the signed status filter for offline verifiers (docs/status-filter.md),
// and ?since=N for the signed delta from tree size N. Public like the log's tree heads: the filter
// names no holder and no certificate (ids are hashed into Bloom filters), and a delta names only
// certificate ids, which are public in bundles and on the certificates themselves.
#include <memory>
#include <mutex>

#include "handler_util.h"
#include "service_context.h"
#include "tongban/verification/status_filter_service.h"

namespace tongban::exchange {
namespace {

// The cache is made on first use: the certificate hub (and its status key) is set up after the
// routes are added.
struct FilterState {
  std::once_flag once;
  std::unique_ptr<verification::StatusFilterCache> cache;
};

HttpResponse filterResponse(const verification::SignedStatusFilter& filter) {
  HttpResponse out;
  out.content_type = "application/octet-stream";
  out.body = filter.bytes;
  out.headers.emplace_back("X-Tongban-Tree-Size", std::to_string(filter.tree_size));
  out.headers.emplace_back("X-Tongban-Produced-At", std::to_string(filter.produced_at));
  out.headers.emplace_back("X-Tongban-Filter-Kind", filter.delta ? "delta" : "full");
  out.headers.emplace_back("Cache-Control", "public, max-age=60");
  return out;
}

Result<HttpResponse> statusFilter(ServiceContext& ctx, FilterState& state, HttpRequest& req) {
  if (!ctx.certs) {
    return Status::unavailable("the certificate hub is not configured here (pki.dir)");
  }
  auto params = queryParams(req);
  if (!params) return params.status();
  for (const auto& [name, value] : *params) {
    if (name != "since") return Status::invalid(name, "unknown query parameter");
  }
  std::call_once(state.once, [&] {
    state.cache = std::make_unique<verification::StatusFilterCache>(
        *ctx.pool, ctx.certs->hub.status_signer, verification::StatusFilterOptions{});
  });
  auto since = params->find("since");
  if (since == params->end()) {
    auto filter = state.cache->current();
    if (!filter) return filter.status();
    return filterResponse(**filter);
  }
  const std::string& text = since->second;
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid("since", "must be a tree size (a non-negative integer)");
  }
  auto delta = state.cache->deltaSince(std::stoull(text));
  if (!delta) return delta.status();
  return filterResponse(**delta);
}

}  // namespace

void addStatusFilterRoutes(Router& r, ServiceContext& ctx) {
  auto state = std::make_shared<FilterState>();
  r.add("GET", "/v1/status/filter", [&ctx, state](HttpRequest& req) {
     return statusFilter(ctx, *state, req);
   }).access = Access::kPublic;
}

}  // namespace tongban::exchange
