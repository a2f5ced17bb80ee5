#!/usr/bin/env bash
# grade.sh EX [SOLUTION] -- build and run the hidden tests of graded exercise
# EX (`make grade EX=N.M` calls it; the Makefile passes the compiler line and
# libraries in GRADE_COMPILE, GRADE_LIBS and GRADE_LIB, the book's library).
#
# SOLUTION is a C file (default: the starter, exercises/EX-NAME.c, which the
# reader edits) or the word `book`, which grades the book's own code.  The
# reader's function takes the place of the book's without touching the
# book's objects: every global symbol the reader's file defines is made weak
# in a copy of the library (objcopy --weaken-symbol), so the linker takes the
# reader's strong definition, whatever the order on the command line, while
# everything else the tests need still comes from the book.  Unlike
# -Wl,--allow-multiple-definition, this keeps the linker's error for a symbol
# defined twice in the reader's own code, and it names what was replaced.
set -euo pipefail
ex=${1:?usage: grade.sh N.M [SOLUTION]}
solution=${2:-}
shopt -s nullglob
starters=(exercises/"$ex"-*.c)
if [ ${#starters[@]} -ne 1 ]; then
  echo "grade: no graded exercise $ex; the graded exercises are:" >&2
  for f in $(ls exercises/*-*.c | sort -V); do b=${f#exercises/}; printf '  %-5s %s\n' "${b%%-*}" "$f" >&2; done
  exit 2
fi
starter=${starters[0]}
name=${starter#exercises/"$ex"-}; name=${name%.c}
tests=tests/grade/$name.c
dir=build/grade/$ex
rm -rf "$dir"; mkdir -p "$dir"

objects=()
lib=$GRADE_LIB
if [ "$solution" = book ]; then
  label="the book's own code"
else
  src=${solution:-$starter}
  [ -f "$src" ] || { echo "grade: no file $src" >&2; exit 2; }
  label=$src
  # Unused parameters are a starter file's normal state, not a warning.
  if ! $GRADE_COMPILE -Wno-unused-parameter -c "$src" -o "$dir/solution.o"; then
    echo "FAIL: exercise $ex, $src does not compile"; exit 1
  fi
  mapfile -t symbols < <(nm -g --defined-only "$dir/solution.o" | awk '{ print $NF }')
  [ ${#symbols[@]} -gt 0 ] || { echo "FAIL: exercise $ex, $src defines no function"; exit 1; }
  weaken=()
  for s in "${symbols[@]}"; do weaken+=(--weaken-symbol="$s"); done
  objcopy "${weaken[@]}" "$lib" "$dir/liblonghand.a"
  lib=$dir/liblonghand.a
  objects=("$dir/solution.o")
  echo "grade: $src replaces the book's ${symbols[*]}"
fi
$GRADE_COMPILE -Itests -Itests/grade -DGRADE_EXERCISE="\"$ex\"" -DGRADE_SOLUTION="\"$label\"" \
  tests/grade/run-grade.c "$tests" tests/numdiff.c "${objects[@]}" "$lib" $GRADE_LIBS \
  -o "$dir/grade"
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$dir/grade"
