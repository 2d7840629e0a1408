// nanogate — the integration wrapper (`convert --wrapper packed|axis`) and
// the bus layout of the top a testbench drives (internal to the RTL backends).
//
// The wrapper is a top around the core design (whose ports are then
// registered: VerilogProjectOptions::register_ports) that carries every
// input element of the model in one packed input vector and every output
// element in one packed output vector, one event per clock (II = 1).
// Layout, LSB first: the model's input ports in order, each
// port's elements in order, element k of a port at bits
// [off + k*S + W - 1 : off + k*S] where W is the element's fixed-point width
// and S the field stride (field_bits, or W when field_bits is 0); the
// S - W padding bits of an input field are ignored, those of an output field
// hold its sign (signed types) or 0. Ports:
//   packed: clk, in_valid, in_data, out_valid, out_data
//   packed has no back-pressure: the sink takes every event.
//   axis:   clk, s_axis_tvalid, s_axis_tdata, s_axis_tready, m_axis_tvalid,
//           m_axis_tdata, m_axis_tready. Back-pressure by a clock enable: the
//           core (VerilogOptions::clock_enable) stalls, every register
//           holding, in every cycle in which the output beat is offered and
//           not taken (m_axis_tvalid && !m_axis_tready), so m_axis_tdata and
//           m_axis_tvalid hold and no beat in flight is lost or duplicated;
//           s_axis_tready = !stall (combinationally from m_axis_tready, which
//           AXI-Stream allows; m_axis_tvalid is a register output). A beat
//           moves on tvalid && tready at a rising edge; latency + 2 cycles
//           when never stalled, plus one per stalled cycle.
#pragma once

#include <string>
#include <vector>

#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate::rtl_detail {

/// One model port's elements inside a bus of the simulated top.
struct BusField {
  std::string label;  ///< the core's port name (for messages)
  std::string bus;    ///< the top-level port that carries it
  int offset = 0;     ///< bit of element 0 in the bus
  int count = 0;      ///< elements
  int bits = 0;       ///< element width W (the fixed-point type's)
  int stride = 0;     ///< bits per element in the bus (>= W)
  bool is_signed = false;
};

/// The ports of the top a testbench drives: the core itself (Wrapper::None)
/// or its wrapper.
struct TopPorts {
  std::string top;                          ///< module / entity name
  std::string valid_in, valid_out, ready;   ///< port names ("" when absent); ready: s_axis_tready
  std::string out_ready;                    ///< the sink's ready input (m_axis_tready; "" when absent)
  std::vector<BusField> inputs, outputs;    ///< one per model port, in order
  int in_bits = 0, out_bits = 0;            ///< packed bus widths (wrappers)
};

/// The top's ports for the core `core` of netlist n. Throws nanogate::Error
/// (naming `source`) when field_bits is not 0 and narrower than a field.
TopPorts top_ports(const Netlist& n, const std::string& core, bool valid, Wrapper kind, int field_bits,
                   const std::string& source);

/// The wrapper's HDL text (TopPorts from top_ports with a wrapper kind):
/// Verilog-2001 or VHDL-2008 (then it uses the core's package).
std::string write_wrapper(const Netlist& n, const std::string& core, const TopPorts& t, Hdl hdl);

}  // namespace nanogate::rtl_detail
