/* Reference pacing for `npm run bench` (tests/bench/clock.ts): a 500 Hz loop sleeping with
 * clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) to each deadline of the grid start + k·period.
 * A late wake skips the deadlines already past (counted as overruns), as axon's clocks do.
 * Prints one line: "p50_us p99_us max_us cpu_share overruns" over n ticks (|wake − deadline|). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1500;
  double period = argc > 2 ? atof(argv[2]) : 0.002;
  double *err = malloc(sizeof(double) * (size_t)n);
  if (!err) return 1;
  double start = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  long k = 1, overruns = 0;
  for (int i = 0; i < n; i++) {
    double deadline = start + k * period;
    struct timespec ts = { (time_t)deadline, (long)((deadline - (double)(time_t)deadline) * 1e9) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {}
    double t = now_s(CLOCK_MONOTONIC), e = t - deadline;
    err[i] = e < 0 ? -e : e;
    long behind = (long)((t - start) / period) + 1;
    if (behind > k + 1) overruns += behind - (k + 1);
    k = behind > k + 1 ? behind : k + 1;
  }
  double wall = now_s(CLOCK_MONOTONIC) - start, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  qsort(err, (size_t)n, sizeof(double), cmp);
  int i50 = (int)(0.5 * n + 0.999999) - 1, i99 = (int)(0.99 * n + 0.999999) - 1;
  printf("%.1f %.1f %.1f %.4f %ld\n", err[i50] * 1e6, err[i99] * 1e6, err[n - 1] * 1e6, cpu / wall, overruns);
  free(err);
  return 0;
}
