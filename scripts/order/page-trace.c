// Loaded with LD_PRELOAD by scripts/order-baton: records the 4 KiB pages of the executable's
// code in the order they first run, so that the link can put that code together.
//
// At load it takes away all access to the executable's code; the first run of each page then
// faults, and the SIGSEGV handler notes the page and gives it back. The pages (link-time
// addresses, hexadecimal, first run first) are written to $PAGE_TRACE_OUT.<pid> every
// second and at exit. Not for production: only the tracing run loads it.
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uintptr_t low, high, linkLow;
static uint8_t *seen;
static unsigned *firstRun;
static unsigned count;
static pthread_mutex_t writing = PTHREAD_MUTEX_INITIALIZER;

static int findCode(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    if (info->dlpi_name && info->dlpi_name[0]) return 0; // the executable has no name here
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD || !(p->p_flags & PF_X)) continue;
        uintptr_t start = info->dlpi_addr + p->p_vaddr;
        low = (start + 4095) & ~(uintptr_t)4095; // a partial first page is shared with data
        high = (start + p->p_memsz) & ~(uintptr_t)4095;
        linkLow = low - info->dlpi_addr;
        return 1;
    }
    return 0;
}

static void onFault(int signal, siginfo_t *info, void *context) {
    (void)context;
    uintptr_t address = (uintptr_t)info->si_addr;
    if (address < low || address >= high) { // a real crash: let it happen
        sigaction(signal, &(struct sigaction){ .sa_handler = SIG_DFL }, 0);
        return;
    }
    uintptr_t page = address & ~(uintptr_t)4095;
    size_t index = (page - low) >> 12;
    if (!__atomic_exchange_n(&seen[index], 1, __ATOMIC_SEQ_CST))
        firstRun[__atomic_fetch_add(&count, 1, __ATOMIC_SEQ_CST)] = (unsigned)index;
    mprotect((void *)page, 4096, PROT_READ | PROT_EXEC);
}

static void writePages(void) {
    const char *out = getenv("PAGE_TRACE_OUT");
    if (!out) return;
    pthread_mutex_lock(&writing);
    char path[4096], temporary[4200];
    snprintf(path, sizeof path, "%s.%d", out, (int)getpid());
    snprintf(temporary, sizeof temporary, "%s.partial", path);
    FILE *file = fopen(temporary, "w");
    if (file) {
        unsigned n = __atomic_load_n(&count, __ATOMIC_SEQ_CST);
        for (unsigned k = 0; k < n; k++)
            fprintf(file, "%lx\n", (unsigned long)(linkLow + ((uintptr_t)firstRun[k] << 12)));
        if (fclose(file) == 0) rename(temporary, path);
    }
    pthread_mutex_unlock(&writing);
}

static void *everySecond(void *unused) {
    (void)unused;
    for (;;) { sleep(1); writePages(); }
    return 0;
}

__attribute__((constructor)) static void start(void) {
    if (!getenv("PAGE_TRACE_OUT") || !dl_iterate_phdr(findCode, 0) || high <= low) return;
    size_t pages = (high - low) >> 12;
    seen = calloc(pages, 1);
    firstRun = calloc(pages, sizeof *firstRun);
    if (!seen || !firstRun) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = onFault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
    sigaction(SIGSEGV, &action, 0);
    pthread_t writer;
    pthread_create(&writer, 0, everySecond, 0);
    pthread_detach(writer);
    mprotect((void *)low, high - low, PROT_NONE);
}

__attribute__((destructor)) static void stop(void) { writePages(); }
