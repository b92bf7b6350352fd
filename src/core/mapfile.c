/* mapfile.c - mmap a model file; weights are then used in place. */
#include "mapfile.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "status.h"

er_status er_map_file(const char *path, er_mapping **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return er_fail(ER_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return er_fail(ER_ERR_IO, "%s: not a regular file", path);
    }
    er_mapping *m = er_calloc(1, sizeof *m);
    if (!m) {
        close(fd);
        return er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
    }
    m->size = (size_t)st.st_size;
    if (m->size == 0) {
        m->data = (const unsigned char *)"";
        m->is_mmap = 0;
        close(fd);
        *out = m;
        return ER_OK;
    }
    void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        int e = errno;
        er_free(m);
        return er_fail(ER_ERR_IO, "%s: cannot map %zu bytes: %s", path, (size_t)st.st_size,
                       strerror(e));
    }
    m->data = p;
    m->is_mmap = 1;
    *out = m;
    return ER_OK;
}

er_status er_map_copy(const void *data, size_t size, er_mapping **out) {
    *out = NULL;
    er_mapping *m = er_calloc(1, sizeof *m);
    void *buf = er_aligned_alloc(size);
    if (!m || !buf) {
        er_free(m);
        er_aligned_free(buf);
        return er_fail(ER_ERR_NOMEM, "cannot copy a %zu-byte model", size);
    }
    if (size) memcpy(buf, data, size);
    m->data = buf;
    m->size = size;
    m->is_mmap = 2;
    *out = m;
    return ER_OK;
}

void er_mapping_free(er_mapping *m) {
    if (!m) return;
    if (m->is_mmap == 1) munmap((void *)m->data, m->size);
    else if (m->is_mmap == 2) er_aligned_free((void *)m->data);
    er_free(m);
}

void er_mapping_release(const er_mapping *m, const void *p, size_t n) {
    if (!m || m->is_mmap != 1 || n == 0) return;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    uintptr_t a = (uintptr_t)p, e = a + n;
    uintptr_t first = (a + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t last = e & ~((uintptr_t)page - 1);
    if (last > first) madvise((void *)first, last - first, MADV_DONTNEED);
}
