module top(input clk, output reg [3:0] led);
  reg [23:0] counter = 0;
  always @(posedge clk) begin
    counter <= counter + 1;
    led <= counter[23:20];
  end
endmodule
