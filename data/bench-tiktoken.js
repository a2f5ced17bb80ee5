// bench-tiktoken.js FILE RUNS -- the reference for `make bench-tokenizer`:
// encode FILE with the npm package tiktoken's GPT-2 encoding RUNS times and
// print the median throughput in MB/s (10^6 bytes a second), after one
// untimed warm-up.  The file is read and decoded from UTF-8 outside the timing.
const fs = require("fs");
const { get_encoding } = require("tiktoken");
const [file, runs] = [process.argv[2], Number(process.argv[3] || 5)];
const bytes = fs.readFileSync(file), text = bytes.toString("utf8");
const enc = get_encoding("gpt2");
let n = enc.encode(text, [], []).length;
const times = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  n = enc.encode(text, [], []).length;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const median = runs % 2 ? times[(runs - 1) / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
console.log(`tiktoken encode ${(bytes.length / 1e6 / median).toFixed(2)} MB/s  ` +
            `(median of ${runs}; ${bytes.length} bytes to ${n} tokens)`);
enc.free();
