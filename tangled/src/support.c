/* support.c: tangled from book/90-program.nw; edit the book, not this file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "support.h"

/* support.c: reading a whole stream */
unsigned char *read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap), *p;
    *len = 0;
    errno = 0;
    while (buf) {
        *len += fread(buf + *len, 1, cap - *len - 1, f);
        if (*len < cap - 1)
            break;
        if (!(p = realloc(buf, cap *= 2)))
            free(buf);
        buf = p;
    }
    if (buf && ferror(f)) {
        int why = errno ? errno : EIO;
        free(buf), buf = NULL;
        errno = why;
    }
    return buf;
}
/* support.c: reading a whole stream */
unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = read_stream(f, len);
    int saved = errno;
    fclose(f);
    errno = saved;
    return buf;
}
/* support.c: medians and time */
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, compare_doubles);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}
/* support.c: writing a file atomically */
int atomic_open(struct atomic_file *a, const char *path, int fixed, char *err, size_t errlen)
{
    struct stat st;
    a->f = NULL;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file, which this program does not "
                 "replace", path);
        return -1;
    }
    snprintf(a->tmp, sizeof a->tmp, fixed ? "%s.new" : "%s.tmp-XXXXXX", path);
    int fd = fixed ? open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666) : mkstemp(a->tmp);
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0 && !fixed)
        fchmod(fd, 0666 & ~mask);
    if (fd >= 0 && !(a->f = fdopen(fd, "wb"))) {
        int why = errno;
        close(fd), unlink(a->tmp);
        errno = why;
    }
    if (!a->f)
        snprintf(err, errlen, "%s: %s", a->tmp, strerror(errno));
    return a->f ? 0 : -1;
}
/* support.c: writing a file atomically */
int atomic_close(struct atomic_file *a, char *err, size_t errlen)
{
    int why = ferror(a->f) ? (errno ? errno : EIO) : 0;
    if (!why && (fflush(a->f) != 0 || fsync(fileno(a->f)) != 0))
        why = errno ? errno : EIO;
    if (fclose(a->f) != 0 && !why)
        why = errno ? errno : EIO;
    a->f = NULL;
    if (!why)
        return 0;
    unlink(a->tmp);
    snprintf(err, errlen, "%s: %s", a->path, strerror(why));
    return -1;
}
/* support.c: writing a file atomically */
int atomic_rename(struct atomic_file *a, char *err, size_t errlen)
{
    if (rename(a->tmp, a->path) != 0) {
        snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
        unlink(a->tmp);
        return -1;
    }
    if (sync_directory_of(a->path) != 0) {
        snprintf(err, errlen, "%s: syncing its directory: %s", a->path, strerror(errno));
        return -1;
    }
    return 0;
}
/* support.c: writing a file atomically */
/* The directory holding path into dir[len]; 0, or -1 with errno. */
static int directory_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= len)
        return snprintf(dir, len, "%s", "."), errno = ENAMETOOLONG, -1;
    if (!slash || slash == path)
        snprintf(dir, len, "%s", slash ? "/" : ".");
    else
        snprintf(dir, len, "%.*s", (int)n, path);
    return 0;
}

int sync_directory_of(const char *path)
{
    char dir[4096];
    if (directory_of(path, dir, sizeof dir) != 0)
        return -1;
    int fd = open(dir, O_RDONLY), status = fd < 0 ? -1 : fsync(fd);
    if (status != 0 && errno == EINVAL)
        status = 0;
    if (fd >= 0) {
        int why = errno;
        close(fd);
        errno = why;
    }
    return status;
}
/* support.c: writing a file atomically */
int write_file_atomically(const char *path, const void *head, size_t head_bytes,
                          const void *body, size_t body_bytes, char *err, size_t errlen)
{
    struct atomic_file a;
    if (atomic_open(&a, path, 0, err, errlen) != 0)
        return -1;
    if (head_bytes)
        fwrite(head, 1, head_bytes, a.f);
    if (body_bytes && !ferror(a.f))
        fwrite(body, 1, body_bytes, a.f);
    return atomic_close(&a, err, errlen) == 0 ? atomic_rename(&a, err, errlen) : -1;
}
/* support.c: claiming an output */
int lock_output(const char *path, char *err, size_t errlen)
{
    char lock[4096 + 8], pid[32] = "";
    snprintf(lock, sizeof lock, "%s.lock", path);
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    if (fd < 0)
        return snprintf(err, errlen, "%s: %s", lock, strerror(errno)), -1;
    struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_SETLK, &whole) != 0) {
        ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
        pid[got > 0 ? got : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        snprintf(err, errlen, "%s is in use by another run (pid %s, holding %s); wait "
                 "for it to end or choose another output", path, pid[0] ? pid : "unknown",
                 lock);
        return close(fd), -1;
    }
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        snprintf(err, errlen, "%s: %s", lock, strerror(errno));
        return close(fd), -1;
    }
    return fd;
}
/* support.c: claiming an output */
int check_room(const char *path, unsigned long long bytes, char *err, size_t errlen)
{
    char dir[4096];
    struct statvfs v;
    if (directory_of(path, dir, sizeof dir) != 0 || statvfs(dir, &v) != 0)
        return snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1;
    unsigned long long room = (unsigned long long)v.f_bavail * v.f_frsize;
    if (room < bytes)
        return snprintf(err, errlen, "%s has %llu bytes free, fewer than the %llu "
                        "the output needs", dir, room, bytes), -1;
    return 0;
}
