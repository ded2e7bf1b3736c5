// Most helpers are static inline in the header; the signal cleanup below needs real functions.
#define _GNU_SOURCE
#include "CNGramKitSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define NGK_CLEANUP_SLOTS 256
#define NGK_CLEANUP_PATH 4096

// A slot is 0 (free), 1 (being filled or emptied) or 2 (holds a path the handler may remove).
// Swift threads claim and release slots with atomics; the handler reads only slots at 2.
static char ngk_cleanup_paths[NGK_CLEANUP_SLOTS][NGK_CLEANUP_PATH];
static int ngk_cleanup_state[NGK_CLEANUP_SLOTS];

int ngk_cleanup_register(const char *path) {
    size_t length = strlen(path);
    if (length >= NGK_CLEANUP_PATH) return -1;
    for (int i = 0; i < NGK_CLEANUP_SLOTS; i++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&ngk_cleanup_state[i], &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            memcpy(ngk_cleanup_paths[i], path, length + 1);
            __atomic_store_n(&ngk_cleanup_state[i], 2, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

void ngk_cleanup_unregister(int slot) {
    if (slot < 0 || slot >= NGK_CLEANUP_SLOTS) return;
    __atomic_store_n(&ngk_cleanup_state[slot], 0, __ATOMIC_RELEASE);
}

int ngk_cleanup_count(void) {
    int count = 0;
    for (int i = 0; i < NGK_CLEANUP_SLOTS; i++) count += __atomic_load_n(&ngk_cleanup_state[i], __ATOMIC_ACQUIRE) == 2;
    return count;
}

static void ngk_write_stderr(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t n = write(2, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}

static void ngk_cleanup_handler(int signal_number) {
    for (int i = 0; i < NGK_CLEANUP_SLOTS; i++) {
        if (__atomic_load_n(&ngk_cleanup_state[i], __ATOMIC_ACQUIRE) == 2) unlink(ngk_cleanup_paths[i]);
    }
    const char *name = signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM"
                     : signal_number == SIGHUP ? "SIGHUP" : 0;
    if (name) {
        ngk_write_stderr("ngramkit: interrupted by ");
        ngk_write_stderr(name);
        ngk_write_stderr("; unfinished output files were removed, finished ones are complete\n");
    }
    _exit(128 + signal_number);
}

void ngk_exit_out_of_memory(const char *message) {
    for (int i = 0; i < NGK_CLEANUP_SLOTS; i++) {
        if (__atomic_load_n(&ngk_cleanup_state[i], __ATOMIC_ACQUIRE) == 2) unlink(ngk_cleanup_paths[i]);
    }
    ngk_write_stderr("ngramkit: ");
    ngk_write_stderr(message);
    ngk_write_stderr("\n");
    _exit(1);
}

void ngk_install_signal_cleanup(void) {
    int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
    // A parent may start us with these blocked (a process spawned from a thread that blocks
    // signals passes its mask on): unblock them on this thread, which the threads started later
    // inherit, so that they reach the handler.
    sigset_t handled;
    sigemptyset(&handled);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&handled, signals[i]);
    pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = ngk_cleanup_handler;
        sigfillset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        // A signal the parent chose to ignore (nohup, a shell's background job) stays ignored.
        struct sigaction previous;
        if (sigaction(signals[i], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        sigaction(signals[i], &action, NULL);
    }
}

int ngk_open_anonymous(const char *folder, unsigned mode) {
#ifdef O_TMPFILE
    return open(folder, O_TMPFILE | O_RDWR | O_CLOEXEC, (mode_t)mode);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int ngk_make_temporary(char *name_template) {
    return mkostemp(name_template, O_CLOEXEC);
}
