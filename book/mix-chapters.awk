# mix-chapters.awk -- the chapters of a text made by kjv.awk (paragraphs
# separated by one blank line) in a fixed scattered order: chapter
# (i a mod M) + 1 for i = 0, 1, ..., M - 1, a permutation when a and M
# have no common factor, with a the first such number from 0.618 M.
function gcd(x, y,    t) { while (y) { t = x % y; x = y; y = t } return x }
BEGIN { RS = "" }
{ chapter[NR] = $0 }
END {
  M = NR
  for (a = int(0.618 * M); a > 1 && gcd(a, M) != 1; a++) ;
  if (a < 1) a = 1
  for (i = 0; i < M; i++) printf "%s%s\n", i ? "\n" : "", chapter[(i * a) % M + 1]
}
