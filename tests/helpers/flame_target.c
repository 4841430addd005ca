// SPDX-License-Identifier: GPL-2.0-only
/*
 * A program with a known profile, for the flame integration tests. After
 * SIGUSR1 (or at once with --now) it runs CYCLES cycles of:
 *   flame_hot_function    burns HOT ms of CPU
 *   flame_lib_function    burns LIB ms of CPU in a shared library (--lib PATH, dlopen'd)
 *   flame_sleep_function  sleeps SLEEP ms in nanosleep
 * then prints "done slept_us=N" and exits. With --fork a child process forked
 * after the start signal does the cycles (the parent waits for it). Built
 * with frame pointers so the kernel can walk its user stacks.
 *
 *   flame_target [--now] [--fork] [--lib PATH] CYCLES HOT SLEEP [LIB]
 */
#pragma GCC optimize("no-omit-frame-pointer")
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/parse.h"

static volatile unsigned long sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Raw syscalls here, not libc's wrappers: those have no frame pointer, so a
 * frame-pointer walk from inside them skips their caller. That matters: the
 * thread CPU clock is a real syscall (no vDSO), and kernels from 6.18 on
 * throttle a CFS-limited task on its way back to user space, so the throttled
 * stack is often this syscall's.
 */
static inline long raw_syscall2(long nr, void *a, void *b)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static double cpu_ms(void)
{
	struct timespec ts;

	raw_syscall2(228 /* __NR_clock_gettime, x86-64 */, (void *)(long)CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * CPU time, not wall time: under a CPU quota it still does HOT ms of work.
 * The clock is read rarely, to keep the samples in the loop itself.
 */
__attribute__((noinline)) void flame_hot_function(long ms)
{
	double end = cpu_ms() + (double)ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 200000; i++)
			sink += (unsigned long)i * 2654435761u;
}

__attribute__((noinline)) double flame_sleep_function(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	double t0 = now_ms();

	while (raw_syscall2(35 /* __NR_nanosleep, x86-64 */, &ts, &ts))
		;
	return now_ms() - t0;
}

static int num(const char *s, long long *v)
{
	if (parse_int(s, 0, 1000000, v)) {
		fprintf(stderr, "flame_target: '%s' is not a number from 0 to 1000000\n", s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long long cycles, hot, slp, lib = 0;
	void (*lib_fn)(long) = NULL;
	double slept = 0;
	int a = 1, now = 0, fork_first = 0;
	sigset_t set;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--now")) {
			now = 1;
		} else if (!strcmp(argv[a], "--fork")) {
			fork_first = 1;
		} else if (!strcmp(argv[a], "--lib") && a + 1 < argc) {
			void *h = dlopen(argv[++a], RTLD_NOW);

			if (!h || !(lib_fn = (void (*)(long))dlsym(h, "flame_lib_function"))) {
				fprintf(stderr, "flame_target: cannot load flame_lib_function from %s: %s\n", argv[a], dlerror());
				return 2;
			}
		} else {
			break;
		}
	}
	if (argc - a < 3 || num(argv[a], &cycles) || num(argv[a + 1], &hot) || num(argv[a + 2], &slp) ||
	    (argc - a > 3 && num(argv[a + 3], &lib))) {
		fprintf(stderr, "usage: flame_target [--now] [--fork] [--lib PATH] CYCLES HOT_MS SLEEP_MS [LIB_MS]\n");
		return 2;
	}
	if (!now) {
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready\n");
		fflush(stdout);
		sigwait(&set, &sig);
	}
	if (fork_first) {
		pid_t child = fork();
		int st;

		if (child < 0) {
			perror("flame_target: fork");
			return 1;
		}
		if (child > 0) {
			waitpid(child, &st, 0);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
	}
	for (long long i = 0; i < cycles; i++) {
		flame_hot_function((long)hot);
		if (lib_fn && lib)
			lib_fn((long)lib);
		if (slp)
			slept += flame_sleep_function((long)slp);
	}
	printf("done slept_us=%.0f\n", slept * 1000);
	return 0;
}
