// gpt2-parity.js -- writes data/gpt2-parity.tsv, the ids GPT-2's reference
// tokenizer (the npm package tiktoken, encoding "gpt2") gives for a set of test
// strings.  Run by `make gpt2-parity`; tests/check-tokenizer.c reads the result.
// Columns: the string's UTF-8 bytes in hex, its ids, the string as JSON (for
// people; the test ignores it).
const { get_encoding } = require("tiktoken");

const strings = [
  "", "Hello world", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
  // contractions, GPT-2's are lower case only
  "I'm", "don't", "they're", "we've", "you'll", "he'd", "It's", "IT'S", "rock'n'roll",
  "'s", " 's", "O'Neil's", "can't won't shan't",
  // whitespace runs
  "a  b", "a   b", "  leading", "trailing  ", "tab\there", "\ttab", "new\nline",
  "\n\n\n", "   ", "a \n b", "x\r\ny", " \u00a0nbsp", "end \n",
  // digits
  "1234567890", "3.14159", "2024-11-22", "$1,000,000.00", "v1.2.3", "0x7fff",
  "\u0967\u0968\u0969 Devanagari digits", "\u2163 roman four",
  // punctuation clusters
  "Hello!!!", "...", "?!?!", "(a+b)*c", "foo@bar.com", "#include <stdio.h>",
  "x->y && z || !w", "<|endoftext|>", "--- ***", "\"quoted\" 'single'",
  // accents and other scripts
  "caf\u00e9", "na\u00efve r\u00e9sum\u00e9", "e\u0301 combining", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
  "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", "\ufb01 ligature", "\u00c5ngstr\u00f6m",
  // CJK
  "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u4e2d\u6587\u6d4b\u8bd5", "\ud55c\uad6d\uc5b4",
  // emoji, with joiners, skin tones and variation selectors
  "\ud83d\udc4d", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66",
  "\ud83c\udff3\ufe0f\u200d\ud83c\udf08", "\ud83d\udc4b\ud83c\udffd hi", "I \u2764\ufe0f NY", "\u200d",
  // a paragraph
  "It was the best of times, it was the worst of times; it was 1775.\n\n  \"Well,\" " +
  "she said -- twice -- \"isn't it?\"  42 cats & 7 dogs!",
];
// long pieces, which take the encoder's heap path (more than 256 bytes)
let x = 1;
const letters = Array.from({ length: 3000 }, () => {
  x = (x * 1103515245 + 12345) % 2147483648;
  return "abcdefghijklmnopqrstuvwxyz"[x % 26];
}).join("");
strings.push(" ".repeat(1000), "a".repeat(1000), letters, " " + letters,
             "7".repeat(700), "!?".repeat(400), "\u00e9".repeat(300) + " end");

const enc = get_encoding("gpt2");
const hex = (s) => Buffer.from(s, "utf8").toString("hex");
const path = require("path"), fs = require("fs");
const pkg = path.join(path.dirname(require.resolve("tiktoken")), "package.json");
const version = JSON.parse(fs.readFileSync(pkg, "utf8")).version;
process.stdout.write("# GPT-2 ids from tiktoken " + version +
                     "; regenerate with `make gpt2-parity`\n");
for (const s of strings) {
  const ids = Array.from(enc.encode(s, [], []));
  process.stdout.write(hex(s) + "\t" + ids.join(" ") + "\t" + JSON.stringify(s) + "\n");
}
enc.free();
