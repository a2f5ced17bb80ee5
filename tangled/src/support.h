/* support.h: tangled from book/90-program.nw; edit the book, not this file. */
#ifndef LONGHAND_SUPPORT_H
#define LONGHAND_SUPPORT_H
#include <stddef.h>
#include <stdio.h>
/* support.h: declarations */
/* The median of x[0..n-1], n >= 1; sorts x. */
double median(double *x, int n);
/* support.h: declarations */
/* All of f, in a buffer with one spare byte; NULL if out of memory or on error. */
unsigned char *read_stream(FILE *f, size_t *len);
/* All of the file at path, as read_stream; NULL with errno set on failure. */
unsigned char *read_file(const char *path, size_t *len);
/* support.h: declarations */
/* A file being written atomically: a temporary beside path, renamed over it when whole. */
struct atomic_file {
    FILE *f;                          /* the temporary, for writing */
    char path[4096], tmp[4096 + 16];  /* the file, and the temporary */
};
/* Create the temporary for path: path.new if fixed, else a unique
   path.tmp-XXXXXX.  0, or -1 with a reason in err. */
int atomic_open(struct atomic_file *a, const char *path, int fixed, char *err, size_t errlen);
/* Flush the written temporary to the disk and close it; 0, or -1 with the
   first error (a failed write included) in err, and the temporary removed. */
int atomic_close(struct atomic_file *a, char *err, size_t errlen);
/* Rename the closed temporary over path and sync the directory; 0, or -1 with err. */
int atomic_rename(struct atomic_file *a, char *err, size_t errlen);
/* Sync the directory holding path, so that renames in it last; 0, or -1 with errno. */
int sync_directory_of(const char *path);
/* Write head[0..head_bytes) then body[0..body_bytes) to path atomically;
   0, or -1 with a reason in err (the old file, if any, intact). */
int write_file_atomically(const char *path, const void *head, size_t head_bytes,
                          const void *body, size_t body_bytes, char *err, size_t errlen);
/* support.h: declarations */
/* Claim path for this process: lock path.lock (held until it is closed or the
   process ends) and write the pid in it.  Its descriptor, or -1 with err
   naming the holder. */
int lock_output(const char *path, char *err, size_t errlen);
/* Check the file system of path has room for bytes more; 0, or -1 with err. */
int check_room(const char *path, unsigned long long bytes, char *err, size_t errlen);
#endif
