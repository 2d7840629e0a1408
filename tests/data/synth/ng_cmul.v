// A constant multiplier y = 93 * x written with `*` (synthesized with -nodsp:
// no DSP), registered input and output.
module ng_cmul (
  input  wire        clk,
  input  wire [7:0]  x,
  output reg  [15:0] y
);
  reg [7:0] xr;
  always @(posedge clk) begin
    xr <= x;
    y  <= xr * 8'd93;
  end
endmodule
