# kjv.awk -- the King James Bible as plain text, for chapter 11's training run.
# `bible -f REF-REF` prints one verse a line after its reference, "Ge1:1 In
# the beginning ..."; the reference is dropped, each verse stays a line of
# its own, and a blank line marks where a chapter begins.
{
  ref = $1
  sub(/^[^ ]* /, "")
  chapter = ref; sub(/:.*/, "", chapter)
  if (NR > 1 && chapter != last) print ""
  last = chapter
  print
}
