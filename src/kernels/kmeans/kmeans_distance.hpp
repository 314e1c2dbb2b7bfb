// Squared Euclidean distance with four independent sums: without -ffast-math the compiler keeps
// one running sum in order, a chain of dependent additions; four sums run in parallel.
#pragma once

namespace dmine::kmeans {

inline double sqdist(const double *a, const double *b, int d) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int j = 0;
    for (; j + 4 <= d; j += 4) {
        double t0 = a[j] - b[j], t1 = a[j + 1] - b[j + 1];
        double t2 = a[j + 2] - b[j + 2], t3 = a[j + 3] - b[j + 3];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
    }
    for (; j < d; j++) {
        double t = a[j] - b[j];
        s0 += t * t;
    }
    return (s0 + s1) + (s2 + s3);
}

} // namespace dmine::kmeans
