/* pollsleep.c — guest: poll() on stdin with a timeout, then reads what is there; sleeps
 * with nanosleep() and clock_nanosleep(TIMER_ABSTIME) and checks the monotonic clock moved
 * at least that far (poll_oneoff clock subscriptions, relative and absolute). */
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void) {
    struct pollfd p = {0, POLLIN, 0};
    int r = poll(&p, 1, 5000);
    printf("poll %d readable %d\n", r, (p.revents & POLLIN) != 0);
    char buf[64];
    ssize_t n = read(0, buf, sizeof buf);
    printf("read %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    long long t0 = now_ms();
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    long long t1 = now_ms();
    printf("nanosleep %s\n", t1 - t0 >= 50 ? "ok" : "short");
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 30 * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    printf("abs sleep %s\n", now_ms() - t1 >= 30 ? "ok" : "short");
    return 0;
}
