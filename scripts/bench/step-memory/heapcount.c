// Allocator-level memory for the step-memory benchmark, the same on both sides: an LD_PRELOAD
// interposer over glibc malloc that counts the bytes live in malloc (malloc_usable_size of every
// block) and their high-water mark, in a file mapped MAP_SHARED (STEPMEM_COUNTERS), so a process
// with no FFI (node) reads them with fs.readSync and resets the peak with fs.writeSync (peak :=
// current, when no other thread allocates: between steps). Layout: int64 current, int64 peak.
// It calls glibc's own __libc_* entry points, so glibc's settings (torchmix's mallopt at load,
// MALLOC_* variables) apply as without it. Bench-only: not part of the addon.
//   cc -O2 -shared -fPIC -o heapcount.so heapcount.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void __libc_free(void*);
extern void* __libc_memalign(size_t, size_t);

static int64_t fallback[2];
static int64_t* counters = fallback;  // [0] current, [1] peak

__attribute__((constructor)) static void init(void) {
  const char* path = getenv("STEPMEM_COUNTERS");
  if (!path) return;
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return;
  void* m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return;
  int64_t* c = (int64_t*)m;
  c[0] = fallback[0];
  c[1] = fallback[1];
  counters = c;
}

static inline void add(void* p) {
  if (!p) return;
  int64_t now = __atomic_add_fetch(&counters[0], (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
  int64_t peak = __atomic_load_n(&counters[1], __ATOMIC_RELAXED);
  while (now > peak && !__atomic_compare_exchange_n(&counters[1], &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}
static inline void sub(void* p) {
  if (p) __atomic_sub_fetch(&counters[0], (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
}

void* malloc(size_t n) {
  void* p = __libc_malloc(n);
  add(p);
  return p;
}
void* calloc(size_t a, size_t b) {
  void* p = __libc_calloc(a, b);
  add(p);
  return p;
}
void* realloc(void* old, size_t n) {
  size_t was = old ? malloc_usable_size(old) : 0;
  void* p = __libc_realloc(old, n);
  if (p || n == 0) {
    if (was) __atomic_sub_fetch(&counters[0], (int64_t)was, __ATOMIC_RELAXED);
    add(p);
  }
  return p;
}
void free(void* p) {
  sub(p);
  __libc_free(p);
}
void* memalign(size_t a, size_t n) {
  void* p = __libc_memalign(a, n);
  add(p);
  return p;
}
void* aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
void* valloc(size_t n) { return memalign((size_t)sysconf(_SC_PAGESIZE), n); }
void* pvalloc(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return memalign(pg, (n + pg - 1) & ~(pg - 1));
}
int posix_memalign(void** out, size_t a, size_t n) {
  if (a < sizeof(void*) || (a & (a - 1)) != 0) return EINVAL;
  void* p = memalign(a, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
