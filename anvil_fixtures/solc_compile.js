// Reads a solc standard-JSON input on stdin, writes the standard-JSON output on stdout.
// argv[2]: the directory holding node_modules/solc (the pinned solcjs install).
"use strict";
const path = require("path");
const solc = require(path.join(process.argv[2], "node_modules", "solc"));
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const output = JSON.parse(solc.compile(input));
  output.compilerVersion = solc.version();
  process.stdout.write(JSON.stringify(output));
});
