/* measure.h - clocks, percentiles and process memory for bench/eval. */
#ifndef ER_TOOLS_MEASURE_H
#define ER_TOOLS_MEASURE_H

#include <stddef.h>

double er_now_ms(void);                      /* monotonic clock, milliseconds */
/* Sorts v in place and returns the p-th percentile (0..100), nearest rank
 * with linear interpolation. */
double er_percentile(double *v, size_t n, double p);
size_t er_peak_rss_bytes(void);              /* VmHWM of this process */
size_t er_current_rss_bytes(void);           /* VmRSS of this process */

#endif
