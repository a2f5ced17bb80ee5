/* check-tokenizer.c -- the byte-level BPE tokenizer (book/03-tokenizer.nw):
   round trips on arbitrary bytes, known merges, agreement with a plain
   O(N M) trainer, GPT-2 parity on data/gpt2-parity.tsv, and hostile files. */
#include <check.h>
#include <omp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tokenizer.h"
#include "command.h"

#define GPT2_DIR "build/gpt2"

static struct tokenizer *train_on(const char *text, int vocab_size)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t len = strlen(text);
    char err[256] = "";
    struct tokenizer *tok = tokenizer_train(&t, &len, 1, vocab_size, NULL, err, sizeof err);
    ck_assert_msg(tok != NULL, "train: %s", err);
    return tok;
}

static struct tokenizer *load_gpt2(void)
{
    char err[256] = "";
    struct tokenizer *tok = tokenizer_load(GPT2_DIR, err, sizeof err);
    ck_assert_msg(tok != NULL, "%s (run `make gpt2-tokenizer`)", err);
    return tok;
}

/* decode(encode(x)) == x, and every id is a token. */
static void assert_round_trip(struct tokenizer *tok, const unsigned char *x, size_t n)
{
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    unsigned char *back = malloc(n + 1);
    size_t n_ids = 0, len = 0;
    ck_assert_int_eq(tokenizer_encode(tok, x, n, ids, &n_ids), 0);
    ck_assert_uint_le(n_ids, n);
    ck_assert_int_eq(tokenizer_decode(tok, ids, n_ids, back, n, &len), 0);
    ck_assert_uint_eq(len, n);
    ck_assert(n == 0 || memcmp(back, x, n) == 0);
    free(ids), free(back);
}

/* A fixed pseudo-random byte stream (xorshift64*): the tests must repeat. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Du;
}

static const char english[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness.  I'm "
    "sure they'll say it's 1859 -- or 2024!\n\n\tNa\xc3\xafve caf\xc3\xa9s \xe6\x97\xa5\xe6\x9c\xac.";

static const char *const invalid_utf8[] = {
    "\xff\xfe", "\xc3", "abc\xe2\x82", "\xc0\xaf overlong", "\xed\xa0\x80 surrogate",
    "\xf4\x90\x80\x80 too big", "a\x80\x80\x80z", " \xc3 \xa9 ", "\xe6\x97",
};

START_TEST(round_trips_arbitrary_bytes)
{
    struct tokenizer *toks[2] = { train_on(english, 400), load_gpt2() };
    uint64_t s = 88172645463325252u;
    unsigned char buf[4096];
    for (int k = 0; k < 2; k++) {
        assert_round_trip(toks[k], (const unsigned char *)"", 0);
        for (size_t i = 0; i < sizeof invalid_utf8 / sizeof *invalid_utf8; i++)
            assert_round_trip(toks[k], (const unsigned char *)invalid_utf8[i],
                              strlen(invalid_utf8[i]));
        for (int trial = 0; trial < 200; trial++) {
            size_t n = next_random(&s) % sizeof buf;
            int ascii = trial % 2;   /* half mostly text, half any bytes */
            for (size_t i = 0; i < n; i++) {
                uint64_t r = next_random(&s);
                buf[i] = ascii && r % 8 ? (unsigned char)(' ' + r % 95) : (unsigned char)(r >> 32);
            }
            assert_round_trip(toks[k], buf, n);
        }
        assert_round_trip(toks[k], (const unsigned char *)english, strlen(english));
        tokenizer_free(toks[k]);
    }
}
END_TEST

/* The classic example: aaabdaaabac is one piece (all letters). */
START_TEST(learns_known_merges)
{
    struct tokenizer *tok = train_on("aaabdaaabac", 259);
    int n;
    const struct bpe_merge *m = tokenizer_merges(tok, &n);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(tokenizer_vocab_size(tok), 259);
    /* aa occurs 4 times (overlapping: each aaa holds two). */
    ck_assert(m[0].left == 'a' && m[0].right == 'a' && m[0].token == 256 && m[0].count == 4);
    /* Z a and a b both occur twice; the smaller left id, 'a', wins the tie. */
    ck_assert(m[1].left == 'a' && m[1].right == 'b' && m[1].token == 257 && m[1].count == 2);
    ck_assert(m[2].left == 256 && m[2].right == 257 && m[2].count == 2);
    int32_t ids[16];
    size_t n_ids;
    ck_assert_int_eq(tokenizer_encode(tok, (const unsigned char *)"aaab", 4, ids, &n_ids), 0);
    ck_assert_uint_eq(n_ids, 1);
    ck_assert_int_eq(ids[0], 258);
    tokenizer_free(tok);
}
END_TEST

/* Merges never cross pieces, and training stops when no pair is left. */
START_TEST(stops_when_no_pair_is_left)
{
    struct tokenizer *tok = train_on("ab ab", 1000);
    int n;
    const struct bpe_merge *m = tokenizer_merges(tok, &n);
    ck_assert_int_eq(n, 2);
    ck_assert(m[0].left == 'a' && m[0].right == 'b' && m[0].count == 2);
    ck_assert(m[1].left == ' ' && m[1].right == 256 && m[1].count == 1);
    tokenizer_free(tok);
    tok = train_on("a.b,c", 300);        /* every piece is one byte */
    tokenizer_merges(tok, &n);
    ck_assert_int_eq(n, 0);
    tokenizer_free(tok);
}
END_TEST

/* The plain algorithm of the chapter, on text whose pieces are easy to cut
   by hand: lower-case words separated by single spaces ("w", " w", ...). */
enum { PLAIN_MAX = 64 << 10 };
static int32_t plain_sym[PLAIN_MAX];
static size_t plain_start[PLAIN_MAX], plain_len[PLAIN_MAX];

static int plain_train(const char *text, int n_merges, int32_t (*out)[3])
{
    size_t n_words = 0, at = 0, len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        if (i == 0 || text[i] == ' ')
            plain_start[n_words] = at, plain_len[n_words++] = 0;
        plain_sym[at++] = (unsigned char)text[i];
        plain_len[n_words - 1]++;
    }
    int m = 0;
    static int64_t count[1024][1024];
    for (; m < n_merges; m++) {
        memset(count, 0, sizeof count);
        int64_t best = 0;
        int32_t ba = 0, bb = 0;
        for (size_t w = 0; w < n_words; w++)
            for (size_t i = 0; i + 1 < plain_len[w]; i++)
                count[plain_sym[plain_start[w] + i]][plain_sym[plain_start[w] + i + 1]]++;
        for (int a = 0; a < 256 + m; a++)          /* first maximum in (a, b) order */
            for (int b = 0; b < 256 + m; b++)
                if (count[a][b] > best)
                    best = count[a][b], ba = a, bb = b;
        if (best == 0)
            break;
        out[m][0] = ba, out[m][1] = bb, out[m][2] = (int32_t)best;
        for (size_t w = 0; w < n_words; w++) {
            int32_t *s = plain_sym + plain_start[w];
            size_t j = 0;
            for (size_t i = 0; i < plain_len[w]; i++)
                if (i + 1 < plain_len[w] && s[i] == ba && s[i + 1] == bb)
                    s[j++] = 256 + m, i++;
                else
                    s[j++] = s[i];
            plain_len[w] = j;
        }
    }
    return m;
}

START_TEST(agrees_with_the_plain_algorithm)
{
    static char text[20000];
    uint64_t s = 12345;
    size_t at = 0;
    while (at + 12 < sizeof text) {
        if (at)
            text[at++] = ' ';
        size_t n = 1 + next_random(&s) % 7;
        for (size_t i = 0; i < n; i++)
            text[at++] = "abcde"[next_random(&s) % (i % 2 ? 5 : 3)];
    }
    text[at] = '\0';
    static int32_t want[600][3];
    int n_want = plain_train(text, 600, want), n;
    struct tokenizer *tok = train_on(text, 256 + 600);
    const struct bpe_merge *m = tokenizer_merges(tok, &n);
    ck_assert_int_eq(n_want, 600);          /* the text allows more */
    ck_assert_int_eq(n, n_want);
    for (int i = 0; i < n; i++)
        ck_assert_msg(m[i].left == want[i][0] && m[i].right == want[i][1]
                      && m[i].count == want[i][2],
                      "merge %d: (%d %d) x%lld, plain (%d %d) x%d", i, m[i].left,
                      m[i].right, (long long)m[i].count, want[i][0], want[i][1], want[i][2]);
    tokenizer_free(tok);
}
END_TEST

START_TEST(saves_and_loads_the_same_tokenizer)
{
    struct tokenizer *tok = train_on(english, 320);
    char path[] = "/tmp/longhand-tok-XXXXXX", err[256] = "";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    ck_assert_int_eq(tokenizer_save(tok, f), 0);
    fclose(f);
    struct tokenizer *again = tokenizer_load(path, err, sizeof err);
    unlink(path);
    ck_assert_msg(again != NULL, "%s", err);
    int n1, n2;
    const struct bpe_merge *m1 = tokenizer_merges(tok, &n1), *m2 = tokenizer_merges(again, &n2);
    ck_assert_int_eq(n1, n2);
    for (int i = 0; i < n1; i++)
        ck_assert(m1[i].left == m2[i].left && m1[i].right == m2[i].right
                  && m1[i].token == m2[i].token);
    size_t len = strlen(english), na, nb;
    int32_t *a = malloc(len * sizeof *a), *b = malloc(len * sizeof *b);
    tokenizer_encode(tok, (const unsigned char *)english, len, a, &na);
    tokenizer_encode(again, (const unsigned char *)english, len, b, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, na * sizeof *a) == 0);
    ck_assert_uint_lt(na, len / 2);     /* 64 merges already halve this text */
    free(a), free(b), tokenizer_free(tok), tokenizer_free(again);
    struct tokenizer *gpt = load_gpt2();
    f = tmpfile();
    ck_assert_int_eq(tokenizer_save(gpt, f), -1);   /* not in our format */
    fclose(f);
    tokenizer_free(gpt);
}
END_TEST

START_TEST(trains_deterministically)
{
    struct tokenizer *a = train_on(english, 500), *b = train_on(english, 500);
    int na, nb;
    const struct bpe_merge *ma = tokenizer_merges(a, &na), *mb = tokenizer_merges(b, &nb);
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++) { /* field by field: the struct has padding */
        ck_assert_int_eq(ma[i].left, mb[i].left);
        ck_assert_int_eq(ma[i].right, mb[i].right);
        ck_assert_int_eq(ma[i].token, mb[i].token);
        ck_assert_int_eq(ma[i].count, mb[i].count);
    }
    tokenizer_free(a), tokenizer_free(b);
}
END_TEST

static size_t from_hex(const char *hex, unsigned char *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
        out[n++] = (unsigned char)v;
    }
    return n;
}

/* Three passes over the strings: with the cache filling, with it full of
   them, and with it emptied by tokenizer_forget_cache. */
START_TEST(encodes_exactly_like_gpt2)
{
    struct tokenizer *tok = load_gpt2();
    FILE *f = fopen("data/gpt2-parity.tsv", "r");
    ck_assert_ptr_nonnull(f);
    static char line[1 << 16];
    unsigned char text[1 << 14];
    int32_t ids[1 << 14];
    int checked = 0;
    for (int pass = 0; pass < 3; pass++, rewind(f)) {
        if (pass == 2)
            tokenizer_forget_cache(tok);
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#')
                continue;
            char *tab = strchr(line, '\t'), *want = tab + 1, *end;
            ck_assert_ptr_nonnull(tab);
            *tab = '\0';
            size_t n = from_hex(line, text), n_ids;
            ck_assert_int_eq(tokenizer_encode(tok, text, n, ids, &n_ids), 0);
            for (size_t i = 0; i < n_ids; i++, want = end)
                ck_assert_msg(strtol(want, &end, 10) == ids[i] && end != want,
                              "string %s: id %zu is %d, GPT-2 says %.12s", line, i, ids[i], want);
            ck_assert_msg(*want == '\t', "string %s: GPT-2 has more ids", line);
            assert_round_trip(tok, text, n);
            checked++;
        }
    }
    fclose(f);
    ck_assert_int_ge(checked, 3 * 50);
    tokenizer_free(tok);
}
END_TEST

START_TEST(decode_rejects_unknown_ids)
{
    struct tokenizer *tok = train_on("ab ab", 300);
    int32_t bad[][1] = { { -1 }, { 258 }, { INT32_MAX } };
    unsigned char out[64];
    size_t len, k;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(tokenizer_decode(tok, bad[i], 1, out, sizeof out, &len), -1);
        ck_assert_ptr_null(tokenizer_token(tok, bad[i][0], &k));
    }
    int32_t ok[] = { 257, 257 };
    ck_assert_int_eq(tokenizer_decode(tok, ok, 2, out, 5, &len), -1);   /* too small */
    ck_assert_int_eq(tokenizer_decode(tok, ok, 2, out, 6, &len), 0);
    ck_assert(len == 6 && memcmp(out, " ab ab", 6) == 0);
    tokenizer_free(tok);
}
END_TEST

/* The command writes a tokenizer that loads, and fails when the write fails:
   the output is buffered, so only a checked flush or fclose can tell. */
START_TEST(train_command_reports_a_failed_write)
{
    char *corpus = write_temp(english, strlen(english)), *saved = write_temp("", 0);
    char out[256], err[256] = "";
    const char *train = "tokenizer train --vocab-size 300";
    ck_assert_int_eq(longhand(out, sizeof out, NULL, 0, "%s -o %s %s", train, saved,
                              corpus), 0);
    struct tokenizer *tok = tokenizer_load(saved, err, sizeof err);
    ck_assert_msg(tok != NULL, "%s", err);
    tokenizer_free(tok);
    struct longhand_io full = { .out_path = "/dev/full" };
    ck_assert_int_eq(longhand_io(&full, "%s %s", train, corpus), 1);
    /* A device is never replaced by the atomic write's rename. */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "%s -o /dev/full %s", train,
                              corpus), 1);
    ck_assert_ptr_nonnull(strstr(err, "/dev/full: not a regular file"));
    struct stat st;
    ck_assert_int_eq(stat("/dev/full", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    unlink(corpus), unlink(saved), free(corpus), free(saved);
}
END_TEST

/* Hostile files ----------------------------------------------------------- */

/* Load contents as a longhand file; it must fail with a message containing want. */
static void assert_rejected(const void *contents, size_t len, const char *want)
{
    char *path = write_temp(contents, len), err[512] = "";
    struct tokenizer *tok = tokenizer_load(path, err, sizeof err);
    unlink(path);
    ck_assert_msg(tok == NULL, "accepted a bad file (%s)", want);
    ck_assert_msg(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    ck_assert_msg(strstr(err, path) != NULL, "message '%s' lacks the path", err);
    free(path);
}

static const struct { const char *contents, *message; } bad_files[] = {
    { "", ":1: not a longhand tokenizer file" },
    { "longhand-bpe 2\nmerges 0\n", ":1: not a longhand" },
    { "longhand-bpe 1\nmerges 99999999\n", ":2: not a longhand" },
    { "longhand-bpe 1\nmerges 1000\n97 98\n", ":2: not a longhand" },   /* count > file */
    { "longhand-bpe 1\nmerges -1\n", ":2: not a longhand" },
    { "longhand-bpe 1\nmergers 1\n97 98\n", ":2: not a longhand" },
    { "longhand-bpe 1\nmerges 2\n97 98\n", ":4: not a longhand" },      /* a line missing */
    { "longhand-bpe 1\nmerges 1\n97 98\n99 100\n", ":4: not a longhand" }, /* one extra */
    { "longhand-bpe 1\nmerges 1\n97 x8\n", ":3: not a longhand" },
    { "longhand-bpe 1\nmerges 1\n97  98\n", ":3: not a longhand" },
    { "longhand-bpe 1\nmerges 1\n97 98", ":3: not a longhand" },        /* truncated */
    { "longhand-bpe 1\nmerges 1\n256 97\n", "merge 1 uses a token that does not exist" },
    { "longhand-bpe 1\nmerges 2\n97 98\n97 258\n", "merge 2 uses a token" },
};

START_TEST(rejects_a_malformed_file)
{
    assert_rejected(bad_files[_i].contents, strlen(bad_files[_i].contents),
                    bad_files[_i].message);
}
END_TEST

START_TEST(rejects_hostile_files)
{
    /* Each merge doubles the last token: 2^11 bytes > TOKEN_BYTES_MAX. */
    char text[512] = "longhand-bpe 1\nmerges 11\n97 97\n";
    for (int m = 1; m < 11; m++)
        sprintf(text + strlen(text), "%d %d\n", 255 + m, 255 + m);
    assert_rejected(text, strlen(text), "makes a token longer than");
    const char nul[] = "longhand-bpe 1\nmerges 1\n97 98\n\0junk";
    assert_rejected(nul, sizeof nul - 1, "not a longhand");
    unsigned char junk[4096];
    uint64_t s = 7;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)next_random(&s);
    assert_rejected(junk, sizeof junk, "not a longhand");
    char err[256] = "";
    ck_assert_ptr_null(tokenizer_load("/nonexistent/tokenizer", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/tokenizer: "));
}
END_TEST

/* A GPT-2 directory holding the given encoder.json and vocab.bpe. */
static char *gpt2_dir(const void *encoder, size_t n_encoder, const void *vocab, size_t n_vocab)
{
    char *dir = strdup("/tmp/longhand-gpt2-XXXXXX"), path[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const void *what[2] = { encoder, vocab };
    size_t size[2] = { n_encoder, n_vocab };
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, k ? "vocab.bpe" : "encoder.json");
        FILE *f = fopen(path, "wb");
        ck_assert_uint_eq(fwrite(what[k], 1, size[k], f), size[k]);
        fclose(f);
    }
    return dir;
}

static void remove_gpt2_dir(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/encoder.json", dir), unlink(path);
    snprintf(path, sizeof path, "%s/vocab.bpe", dir), unlink(path);
    rmdir(dir);
    free(dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *s = malloc(*len + 1);
    ck_assert_uint_eq(fread(s, 1, *len, f), *len);
    fclose(f);
    return s;
}

/* Load a directory; it must fail with a message containing want. */
static void assert_gpt2_rejected(const void *enc, size_t ne, const void *voc, size_t nv,
                                 const char *want)
{
    char *dir = gpt2_dir(enc, ne, voc, nv), err[512] = "";
    struct tokenizer *tok = tokenizer_load(dir, err, sizeof err);
    ck_assert_msg(tok == NULL, "accepted a bad GPT-2 directory (%s)", want);
    ck_assert_msg(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    remove_gpt2_dir(dir);
}

START_TEST(rejects_broken_gpt2_files)
{
    size_t ne, nv;
    char *enc = slurp(GPT2_DIR "/encoder.json", &ne), *voc = slurp(GPT2_DIR "/vocab.bpe", &nv);
    char *dir = gpt2_dir(enc, ne, voc, nv), err[512] = "";   /* the copy itself loads */
    struct tokenizer *tok = tokenizer_load(dir, err, sizeof err);
    ck_assert_msg(tok != NULL, "%s", err);
    ck_assert_int_eq(tokenizer_vocab_size(tok), 50257);
    tokenizer_free(tok);
    remove_gpt2_dir(dir);
    for (int k = 1; k < 10; k++)                 /* truncated encoder.json */
        assert_gpt2_rejected(enc, ne * k / 10, voc, nv, "encoder.json: not a JSON object");
    assert_gpt2_rejected("[1, 2]", 6, voc, nv, "not a JSON object");
    char *dup = strdup(enc);                     /* "#": 2 as well as "\"": 1 */
    memcpy(strstr(dup, "\"#\": 2"), "\"#\": 1", 6);
    assert_gpt2_rejected(dup, ne, voc, nv, "a repeated token or id");
    memcpy(strstr(dup, "\"#\": 1"), "\"#\":[]", 6);                /* not a number */
    assert_gpt2_rejected(dup, ne, voc, nv, "bad token \"#\"");
    free(dup);
    const char junk_merge[] = "#version: 0.2\n\xc4\xa0 t\nno_such_token xyz\n";
    assert_gpt2_rejected(enc, ne, junk_merge, sizeof junk_merge - 1, "vocab.bpe:3:");
    assert_gpt2_rejected(enc, ne, "#version: 0.2\n\xc4\xa0t", 16, "vocab.bpe:2:");
    free(enc), free(voc);
}
END_TEST

/* A full disk (a file-size limit, in a child) while `tokenizer train -o`
   writes over a good tokenizer: the command fails saying why, the old file
   is intact, and no temporary is left. */
START_TEST(train_output_survives_a_full_disk)
{
    char dir[] = "/tmp/longhand-tokfull-XXXXXX", path[256], err[1024], cmd[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct longhand_io io = { .dir = dir, .err = err, .errlen = sizeof err };
    snprintf(path, sizeof path, "%s/c.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 50; i++)
        fputs("the cat sat on the mat, and the dog sat on the log. ", f);
    fclose(f);
    ck_assert_int_eq(longhand_io(&io, "tokenizer train --vocab-size 260 -o t.bpe c.txt"), 0);
    snprintf(path, sizeof path, "%s/t.bpe", dir);
    size_t before_len;
    f = fopen(path, "rb");
    char before[65536], after[65536];
    before_len = fread(before, 1, sizeof before, f);
    fclose(f);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        omp_set_num_threads(1);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit small_files = { 100, 100 };  /* above the message, below the file */
        setrlimit(RLIMIT_FSIZE, &small_files);
        int status = longhand_io(&io, "tokenizer train --vocab-size 300 -o t.bpe c.txt");
        _exit(status == 1 && strstr(err, "t.bpe: File too large") ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the limited write did not fail with its reason");
    f = fopen(path, "rb");
    ck_assert_uint_eq(fread(after, 1, sizeof after, f), before_len);
    fclose(f);
    ck_assert_mem_eq(after, before, before_len);
    snprintf(cmd, sizeof cmd, "ls %s/t.bpe.tmp-* 2>/dev/null | grep -q .", dir);
    ck_assert_int_ne(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -r %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("bpe");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trips_arbitrary_bytes);
    tcase_add_test(tc, learns_known_merges);
    tcase_add_test(tc, stops_when_no_pair_is_left);
    tcase_add_test(tc, agrees_with_the_plain_algorithm);
    tcase_add_test(tc, saves_and_loads_the_same_tokenizer);
    tcase_add_test(tc, trains_deterministically);
    tcase_add_test(tc, encodes_exactly_like_gpt2);
    tcase_add_test(tc, decode_rejects_unknown_ids);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 60);
    tcase_add_loop_test(files, rejects_a_malformed_file, 0,
                        (int)(sizeof bad_files / sizeof bad_files[0]));
    tcase_add_test(files, rejects_hostile_files);
    tcase_add_test(files, rejects_broken_gpt2_files);
    tcase_add_test(files, train_command_reports_a_failed_write);
    tcase_add_test(files, train_output_survives_a_full_disk);
    suite_add_tcase(s, files);
    return s;
}
