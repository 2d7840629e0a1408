// Parsers for Yosys (`stat`, `sta`, `ltp`, `write_json` ports) and nextpnr
// logs. They read what the tools print, tolerate missing sections and both
// Yosys `stat` layouts ("Number of cells: N" up to 0.4x and "N cells" later).
#include <regex>
#include <sstream>

#include "nanogate/error.hpp"
#include "nanogate/report/synth.hpp"

namespace nanogate::report {

namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

/// One "=== name ===" block of a `stat` run.
struct StatBlock {
  std::string name;
  int run = 0;  // which "Printing statistics" it belongs to
  std::vector<std::string> lines;
};

std::vector<StatBlock> stat_blocks(const std::vector<std::string>& lines) {
  static const std::regex header(R"(^=== (.*) ===\s*$)");
  std::vector<StatBlock> blocks;
  int run = 0;
  StatBlock* cur = nullptr;
  for (const auto& l : lines) {
    std::smatch m;
    if (l.find("Printing statistics") != std::string::npos) {
      ++run;
      cur = nullptr;
    } else if (std::regex_match(l, m, header)) {
      blocks.push_back({m[1].str(), run, {}});
      cur = &blocks.back();
    } else if (cur) {
      if (!l.empty() && l[0] != ' ' && l[0] != '\t') cur = nullptr;  // the next pass' output
      else cur->lines.push_back(l);
    }
  }
  return blocks;
}

bool is_lut(const std::string& c) {
  static const std::regex re(R"(^(LUT[1-6](_2)?|SB_LUT4|LUT4)$)");
  return std::regex_match(c, re);
}
bool is_ff(const std::string& c) {
  return (starts_with(c, "FD") && c.size() >= 4) || starts_with(c, "SB_DFF") || c == "TRELLIS_FF" ||
         starts_with(c, "$_DFF") || starts_with(c, "$_SDFF") || starts_with(c, "$_DFFE") || c == "$dff" ||
         c == "$adff" || c == "$sdff" || c == "$dffe" || c == "$sdffe";
}
bool is_dsp(const std::string& c) {
  return starts_with(c, "DSP48") || c == "SB_MAC16" || c == "MULT18X18D" || c == "MULT9X9D" || c == "ALU54B";
}
bool is_carry(const std::string& c) { return c == "CARRY4" || c == "CARRY8" || c == "SB_CARRY" || c == "CCU2C"; }
bool is_srl(const std::string& c) { return starts_with(c, "SRL16") || starts_with(c, "SRLC"); }
bool is_mux(const std::string& c) {
  return c == "MUXF7" || c == "MUXF8" || c == "MUXF9" || c == "PFUMX" || c == "L6MUX21";
}

ResourceCounts count_block(const StatBlock& b) {
  static const std::regex old_cells(R"(^\s+Number of cells:\s+(\d+)\s*$)");
  static const std::regex new_cells(R"(^\s+(\d+)\s+(cells|submodules)\s*$)");
  static const std::regex old_cell(R"(^\s+(\S+)\s+(\d+)\s*$)");
  static const std::regex new_cell(R"(^\s+(\d+)\s+(\S+)\s*$)");
  static const std::regex new_cell_area(R"(^\s+(\d+)\s+[0-9.]+\s+(\S+)\s*$)");  // with -tech area column
  static const std::regex lcs(R"(^\s+Estimated number of LCs:\s+(\d+)\s*$)");
  ResourceCounts r;
  int mode = 0;  // 0: before the cell list, 1: old layout list, 2: new layout list
  for (const auto& l : b.lines) {
    std::smatch m;
    if (std::regex_match(l, m, lcs)) {
      r.estimated_lcs = std::stoll(m[1].str());
      mode = 0;
    } else if (std::regex_match(l, m, old_cells)) {
      r.total_cells = std::stoll(m[1].str());
      mode = 1;
    } else if (std::regex_match(l, m, new_cells)) {
      r.total_cells += std::stoll(m[1].str());  // newer Yosys lists parametrized cells as submodules
      mode = 2;
    } else if (mode == 1 && std::regex_match(l, m, old_cell)) {
      r.cells[m[1].str()] += std::stoll(m[2].str());
    } else if (mode == 2 && (std::regex_match(l, m, new_cell) || std::regex_match(l, m, new_cell_area))) {
      r.cells[m[2].str()] += std::stoll(m[1].str());
    } else {
      mode = 0;  // a blank line or anything else ends the cell list
    }
  }
  for (const auto& [c, n] : r.cells) {
    if (is_lut(c)) r.luts += n;
    else if (is_ff(c)) r.ffs += n;
    else if (is_dsp(c)) r.dsps += n;
    else if (is_carry(c)) r.carries += n;
    else if (is_srl(c)) r.srls += n;
    else if (is_mux(c)) r.muxes += n;
  }
  return r;
}

template <class T>
std::optional<T> last_match(const std::string& text, const std::regex& re, int group) {
  std::optional<T> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    if constexpr (std::is_same_v<T, double>) out = std::stod((*it)[group].str());
    else out = T(std::stoll((*it)[group].str()));
  }
  return out;
}

}  // namespace

ResourceCounts parse_yosys_stat(const std::string& log, const std::string& top, const std::string& source) {
  auto blocks = stat_blocks(split_lines(log));
  if (blocks.empty()) throw Error(source, "no `stat` output found (did synthesis finish?)");
  // The run to read: the last one that has TOP, else the last one.
  int run = blocks.back().run;
  if (!top.empty())
    for (const auto& b : blocks)
      if (b.name == top) run = b.run;
  const StatBlock* pick = nullptr;
  for (const auto& b : blocks) {
    if (b.run != run) continue;
    if (b.name == "design hierarchy") pick = &b;  // the totals over the hierarchy
  }
  if (!pick)
    for (const auto& b : blocks)
      if (b.run == run && (top.empty() || b.name == top)) pick = &b;
  if (!pick)
    for (const auto& b : blocks)
      if (b.run == run) pick = &b;
  return count_block(*pick);
}

StaEstimate parse_yosys_sta(const std::string& log) {
  static const std::regex arrival(R"(Latest arrival time in '[^'\n]*' is (\d+))");
  static const std::regex ltp(R"(Longest topological path in \S+ \(length=(\d+)\))");
  StaEstimate s;
  s.arrival_ps = last_match<double>(log, arrival, 1);
  s.logic_levels = last_match<int64_t>(log, ltp, 1);
  return s;
}

PnrReport parse_nextpnr_log(const std::string& log) {
  static const std::regex fmax(R"(Max frequency for clock\s+'[^'\n]*':\s+([0-9]+(?:\.[0-9]+)?) MHz)");
  static const std::regex lc(R"((?:ICESTORM_LC|TRELLIS_COMB):\s+(\d+)/\s*(\d+))");
  static const std::regex io(R"((?:SB_IO|TRELLIS_IO):\s+(\d+)/\s*(\d+))");
  PnrReport r;
  auto lines = split_lines(log);
  size_t routed_at = std::string::npos;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (l.find("Routing complete") != std::string::npos) routed_at = i;
    if (r.error.empty() && starts_with(l, "ERROR:")) r.error = l;
    std::smatch m;
    if (std::regex_search(l, m, lc)) {
      r.lcs_used = std::stoll(m[1].str());
      r.lcs_total = std::stoll(m[2].str());
    }
    if (std::regex_search(l, m, io)) {
      r.ios_used = std::stoll(m[1].str());
      r.ios_total = std::stoll(m[2].str());
    }
  }
  r.routed = routed_at != std::string::npos && r.error.empty();
  if (r.routed) {
    // The post-route timing report: the slowest clock after routing finished.
    for (size_t i = routed_at; i < lines.size(); ++i) {
      std::smatch m;
      if (std::regex_search(lines[i], m, fmax)) {
        double f = std::stod(m[1].str());
        if (!r.fmax_mhz || f < *r.fmax_mhz) r.fmax_mhz = f;
      }
    }
  }
  return r;
}

std::vector<Port> parse_yosys_ports(const std::string& json_text, const std::string& top, const std::string& source) {
  nlohmann::ordered_json netlist;  // keeps Yosys' port order
  try {
    netlist = nlohmann::ordered_json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source, std::string("not valid JSON: ") + e.what());
  }
  if (!netlist.is_object() || !netlist.contains("modules") || !netlist["modules"].is_object())
    throw Error(source, "not a Yosys JSON netlist (no \"modules\")");
  const auto& mods = netlist["modules"];
  if (!mods.contains(top)) throw Error(source, "no module named '" + top + "'");
  std::vector<Port> ports;
  const auto& m = mods[top];
  if (!m.contains("ports")) return ports;
  for (const auto& [name, p] : m["ports"].items()) {
    Port port;
    port.name = name;
    port.direction = p.value("direction", "");
    port.width = p.contains("bits") && p["bits"].is_array() ? int(p["bits"].size()) : 1;
    ports.push_back(std::move(port));
  }
  return ports;
}

}  // namespace nanogate::report
