#!/usr/bin/env bash
# selftest.sh -- every graded exercise passes with the book's own code and
# fails with its unmodified starter file, and the book prints each as the
# exercise its file is numbered after (`make grade-selftest`; CI runs it).
set -uo pipefail
status=0
for starter in $(ls exercises/*-*.c | sort -V); do
  b=${starter#exercises/}; ex=${b%%-*}; name=${b#*-}; name=${name%.c}
  chapter=$(printf '%02d' "${ex%%.*}")
  if ! grep -q "\\\\Graded{$name}" book/"$chapter"-*.nw; then
    echo "selftest: $starter has no \\Graded{$name} in chapter $chapter"; status=1
  fi
  if ./tests/grade/grade.sh "$ex" book > "build/grade/selftest-$ex.book" 2>&1; then
    book=pass
  else
    book=FAIL; status=1; cat "build/grade/selftest-$ex.book"
  fi
  if ./tests/grade/grade.sh "$ex" > "build/grade/selftest-$ex.starter" 2>&1; then
    starter_result="passes (should fail)"; status=1; cat "build/grade/selftest-$ex.starter"
  elif grep -q '^FAIL: exercise' "build/grade/selftest-$ex.starter"; then
    starter_result="fails, as it should"
  else
    starter_result="does not build"; status=1; cat "build/grade/selftest-$ex.starter"
  fi
  printf 'selftest: %-5s %-24s book %s, starter %s\n' "$ex" "$name" "$book" "$starter_result"
done
[ $status -eq 0 ] && echo "selftest: ok" || echo "selftest: FAILED"
exit $status
