#!/usr/bin/env bash
# The MPI tests of Chapter 16: two ranks of build/longhand-mpi against one
# process of build/longhand, checkpoints and optimiser states compared byte
# for byte with cmp.  Usage: tests/mpi.sh LONGHAND LONGHAND_MPI
set -uo pipefail
one=$(realpath "$1") many=$(realpath "$2")
dir=$(mktemp -d /tmp/longhand-mpi-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# Open MPI in a sandbox: TCP on the loopback interface only, no ssh, more
# ranks than cores allowed, and root allowed (CI runs as root).
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_plm_rsh_agent=false OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
root=$([ "$(id -u)" = 0 ] && echo --allow-run-as-root)
mpi() { timeout 300 mpirun $root -np "$1" --oversubscribe "$many" "${@:2}"; }

passed=0 failed=0
check() {  # check NAME COMMAND...: one test
  if "${@:2}" > "$1.out" 2>&1; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     /' "$1.out" | tail -20; fi
}
same() { cmp "$1" "$2" && cmp "$1.state" "$2.state"; }

# A corpus, a tokenizer, and the options every run shares: a constant
# learning rate, so that a run of fewer steps is a prefix of a longer one.
for i in $(seq 200); do echo "the cat $i sat on the mat and the dog $((i * 7 % 13)) ran."; done > c.txt
"$one" tokenizer train --vocab-size 300 -o t.bpe c.txt > /dev/null || exit 1
common="--data c.txt --tokenizer t.bpe --batch 2 --context 16
        --lr 1e-3 --min-lr 1e-3 --grad-clip 1 --val-every 2 --val-batches 2"
new="--init-config 2,2,32,16 --seed 7"

run_one()  { "$one" train $common $new --steps 4 --accum "$1" -o "$2"; }
check "one process, accum 2"          run_one 2 one-a2.bin
check "one process, accum 4"          run_one 4 one-a4.bin
check "2 ranks = 1 process, accum 2"  eval 'mpi 2 train $common $new --steps 4 -o two.bin && same one-a2.bin two.bin'
check "2 ranks x accum 2 = accum 4"   eval 'mpi 2 train $common $new --steps 4 --accum 2 -o two-a2.bin && same one-a4.bin two-a2.bin'
check "ZeRO-1: the same bytes"        eval 'mpi 2 train $common $new --steps 4 --zero -o zero.bin && same one-a2.bin zero.bin'
check "ZeRO-1 reports its saving"     grep -q "saved per rank" "ZeRO-1: the same bytes.out"
check "resume: 2 ranks, then 1"       eval 'mpi 2 train $common $new --steps 2 -o r.bin \
  && "$one" train $common --steps 4 --accum 2 --new-schedule --model r.bin -o r.bin \
  && same one-a2.bin r.bin'
check "resume: 1 process, then 2 ranks with ZeRO" eval '"$one" train $common $new --steps 2 --accum 2 -o s.bin \
  && mpi 2 train $common --steps 4 --zero --new-schedule --model s.bin -o s.bin \
  && same one-a2.bin s.bin'

# A rank killed in the middle of a run: the run ends with an error, and the
# checkpoint it leaves is whole, so a new run resumes from it.
killed() {
  mpi 2 train $common $new --steps 100000 --checkpoint-every 1 -o k.bin > k.log 2>&1 &
  local launcher=$! rank= i
  for i in $(seq 600); do [ -e k.bin.state ] && break; sleep 0.1; done
  sleep 0.5
  # The ranks are the children of mpirun, itself timeout's, itself the launcher's.
  local p=$launcher level
  for level in timeout mpirun rank; do p=$(ps -o pid= --ppid "$p" | head -1 | tr -d ' '); [ -n "$p" ] || break; done
  rank=$p
  [ -n "$rank" ] || { echo "no rank to kill"; kill "$launcher"; return 1; }
  kill -9 "$rank"
  if wait "$launcher"; then echo "the run went on after a rank died"; return 1; fi
  cat k.log
  local t
  t=$(od -An -t d4 -j 8 -N 4 k.bin.state | tr -d ' ')
  echo "the checkpoint left is at step $t"
  [ "$t" -ge 1 ] && "$one" train $common --steps $((t + 1)) --new-schedule --model k.bin -o k2.bin
}
check "a killed rank stops the run, the checkpoint whole" killed

echo "test-mpi: $passed passed, $failed failed"
[ "$failed" = 0 ]
