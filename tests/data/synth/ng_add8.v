// An 8-bit registered adder: y <= a + b (8 output FFs, wraps).
module ng_add8 (
  input  wire       clk,
  input  wire [7:0] a,
  input  wire [7:0] b,
  output reg  [7:0] y
);
  always @(posedge clk) y <= a + b;
endmodule
