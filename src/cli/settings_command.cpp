#include "cli/settings_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "anneal/support/error.h"
#include "anneal/support/settings.h"

namespace anneal::cli {
namespace {

// One setting as shown: its value, or the error that reading it raised (a malformed environment value).
struct Row {
  const settings::Declaration* decl;
  std::string value, source, error;
};

std::vector<Row> read_rows() {
  std::vector<Row> rows;
  for (const settings::Declaration& d : settings::declarations()) {
    Row r{&d, "", "", ""};
    try {
      r.value = settings::value_text(d.name);
      r.source = settings::source_name(settings::source(d.name));
    } catch (const Error& e) {
      r.error = e.what();
      r.source = "environment";
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string_view kind_name(settings::Kind k) {
  switch (k) {
    case settings::Kind::Int: return "int";
    case settings::Kind::Bool: return "bool";
    case settings::Kind::String: return "string";
  }
  return "?";
}

// Empty strings are shown as "" so that a blank column is never ambiguous.
std::string shown(std::string_view text) { return text.empty() ? "\"\"" : std::string(text); }

void print_table(const std::vector<Row>& rows) {
  size_t name_w = 4, value_w = 5, default_w = 7, source_w = 4;
  for (const Row& r : rows) {
    name_w = std::max(name_w, r.decl->name.size());
    value_w = std::max(value_w, r.error.empty() ? shown(r.value).size() : 7);
    default_w = std::max(default_w, shown(r.decl->default_text).size());
    source_w = std::max(source_w, r.source.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "NAME", name_w, "VALUE", value_w, "DEFAULT", default_w, "FROM",
             source_w, "DESCRIPTION");
  for (const Row& r : rows)
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.decl->name, name_w, r.error.empty() ? shown(r.value) : "invalid",
               value_w, shown(r.decl->default_text), default_w, r.source, source_w, r.decl->doc);
}

void print_json(const std::vector<Row>& rows) {
  nlohmann::json list = nlohmann::json::array();
  for (const Row& r : rows) {
    nlohmann::json j = {{"name", r.decl->name},
                        {"kind", kind_name(r.decl->kind)},
                        {"default", r.decl->default_text},
                        {"source", r.source},
                        {"doc", r.decl->doc}};
    j["value"] = r.error.empty() ? nlohmann::json(r.value) : nlohmann::json(nullptr);
    if (!r.error.empty()) j["error"] = r.error;
    if (r.decl->kind == settings::Kind::Int) j["range"] = {r.decl->min, r.decl->max};
    list.push_back(j);
  }
  fmt::print("{}\n", nlohmann::json{{"settings", list}}.dump());
}

}  // namespace

void register_settings(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("settings", "List every ANNEAL_* setting: value, default, source, description");
  cmd->add_flag("--json", *json, "Print one JSON object: {\"settings\": [{name, kind, value, default, source, doc}]}");
  // The whole table is printed even when a value is malformed; then the errors, and exit status 1.
  cmd->callback([json] {
    const std::vector<Row> rows = read_rows();
    *json ? print_json(rows) : print_table(rows);
    std::string errors;
    for (const Row& r : rows)
      if (!r.error.empty()) errors += (errors.empty() ? "" : "\nerror: ") + r.error;
    if (!errors.empty()) throw Error(errors);
  });
}

}  // namespace anneal::cli
