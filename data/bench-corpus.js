// bench-corpus.js BYTES -- writes BYTES of English-like text to stdout for
// `make bench-tokenizer`: a word-bigram Markov chain over the licence texts
// every Debian system has in /usr/share/common-licenses, driven by a fixed
// xorshift generator, so the corpus is the same on every machine with the
// same licence files.  One word in five is new, drawn letter by letter from
// the licences' letter trigrams, so the corpus has the long tail of rare words
// real text has.  ASCII only, lines of twelve words, blank lines between
// paragraphs.
const fs = require("fs");
const dir = "/usr/share/common-licenses";
const words = [];
for (const f of fs.readdirSync(dir).sort()) {
  const p = dir + "/" + f;
  if (!fs.statSync(p).isFile()) continue;
  const text = fs.readFileSync(p, "latin1").replace(/[^\x20-\x7e\n]/g, " ");
  for (const w of text.split(/\s+/)) if (w) words.push(w);
}
const next = new Map();                 // word -> the words that follow it
for (let i = 0; i + 1 < words.length; i++) {
  if (!next.has(words[i])) next.set(words[i], []);
  next.get(words[i]).push(words[i + 1]);
}
const trigram = new Map();              // two letters -> the letters after them
for (const word of words) {
  const t = "^^" + word.toLowerCase().replace(/[^a-z]/g, "") + "$";
  for (let i = 2; i < t.length; i++) {
    const k = t.slice(i - 2, i);
    if (!trigram.has(k)) trigram.set(k, []);
    trigram.get(k).push(t[i]);
  }
}
function newWord() {
  let w = "^^";
  while (w.length < 16) {
    const after = trigram.get(w.slice(-2));
    const c = after[random(after.length)];
    if (c === "$") break;
    w += c;
  }
  return w.slice(2) || "a";
}
let s = 0x9e3779b97f4a7c15n;
const mask = (1n << 64n) - 1n;
function random(n) {                     // xorshift64, uniform-ish in [0, n)
  s ^= (s << 13n) & mask; s ^= s >> 7n; s ^= (s << 17n) & mask;
  return Number(s % BigInt(n));
}
const want = Number(process.argv[2] || 10000000);
const out = [];
let size = 0, w = words[0], onLine = 0;
while (size < want) {
  const follow = next.get(w);
  w = follow && random(20) ? follow[random(follow.length)] : words[random(words.length)];
  let piece = (onLine ? " " : "") + (random(5) ? w : newWord());
  if (++onLine >= 12) piece += random(8) ? "\n" : "\n\n", onLine = 0;
  out.push(piece);
  size += piece.length;
}
process.stdout.write(out.join("").slice(0, want));
