// A pipelined adder tree over four signed 8-bit inputs with valid handshake:
// stage 1 adds pairs (9 bits), stage 2 adds the sums (10 bits). Latency 2.
module ng_tree4 (
  input  wire              clk,
  input  wire              valid_in,
  input  wire signed [31:0] x,
  output reg  signed [9:0] y,
  output reg               valid_out
);
  wire signed [7:0] x0 = x[7:0], x1 = x[15:8], x2 = x[23:16], x3 = x[31:24];
  reg signed [8:0] s0, s1;
  reg v1;
  always @(posedge clk) begin
    s0 <= x0 + x1;
    s1 <= x2 + x3;
    v1 <= valid_in;
    y <= s0 + s1;
    valid_out <= v1;
  end
endmodule
