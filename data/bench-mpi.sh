#!/usr/bin/env bash
# make bench-mpi (Chapter 16): the same training run, K = 2 micro-batches a
# step, as 1 process x 1 thread, 1 process x 2 threads, and 2 ranks x 1
# thread over shared memory and over TCP on the loopback interface.  Prints
# a TSV of the median tokens per second of REPS runs; never run by the tests.
# Usage: data/bench-mpi.sh LONGHAND LONGHAND_MPI REPS
set -euo pipefail
one=$(realpath "$1") many=$(realpath "$2") reps=$3
dir=build/bench/mpi
mkdir -p "$dir" && cd "$dir"
for i in $(seq 2000); do echo "the cat $i sat on the mat and the dog $((i * 7 % 13)) ran."; done > c.txt
[ -e t.bpe ] || "$one" tokenizer train --vocab-size 512 -o t.bpe c.txt > /dev/null
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_plm_rsh_agent=false OMPI_MCA_rmaps_base_oversubscribe=1
# Threads that wait sleep: on a loaded machine, spinning threads wait for
# partners the scheduler has put aside (as `make bench` does for sampling).
export OMP_WAIT_POLICY=passive OMPI_MCA_mpi_yield_when_idle=1
root=$([ "$(id -u)" = 0 ] && echo --allow-run-as-root)
args="--data c.txt --tokenizer t.bpe --init-config 4,4,128,64 --batch 8 --context 64
      --steps 8 --val-every 0 -o m.bin"
# The last progress line's tokens per second: the whole run's average.
rate() { "$@" 2>&1 >/dev/null | sed -n 's/.* \([0-9.]*\) tok\/s.*/\1/p' | tail -1; }
median() { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }
runs() { for r in $(seq "$reps"); do rate "$@"; done | median; }
one1=$(OMP_NUM_THREADS=1 runs "$one" train $args --accum 2)
one2=$(OMP_NUM_THREADS=2 runs "$one" train $args --accum 2)
sm=$(OMP_NUM_THREADS=1 runs mpirun $root -np 2 --bind-to none "$many" train $args)
tcp=$(OMP_NUM_THREADS=1 OMPI_MCA_btl=self,tcp runs mpirun $root -np 2 --bind-to none "$many" train $args)
printf 'run\tranks\tthreads each\ttokens/s\tagainst 1 x 2 threads\n'
row() { awk -v n="$1" -v r="$2" -v t="$3" -v x="$4" -v b="$one2" \
          'BEGIN { printf "%s\t%d\t%d\t%.0f\t%.2f\n", n, r, t, x, x / b }'; }
row "one process" 1 1 "$one1"
row "one process" 1 2 "$one2"
row "2 ranks, shared memory" 2 1 "$sm"
row "2 ranks, TCP loopback" 2 1 "$tcp"
