/*
 * Gymnasium's Pendulum-v1 in C99, operation for operation as PCKit's Sims/Pendulum (and
 * Gymnasium's pendulum.py): the oracle the C and C++ tests drive through libpckit. Compile with
 * -ffp-contract=off so that no multiply-add is fused (Swift fuses none).
 */
#ifndef PCKIT_TEST_PENDULUM_H
#define PCKIT_TEST_PENDULUM_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDULUM_EPISODE_STEPS 200
#define PENDULUM_MAX_STARTS 100

static const double pendulum_pi = 3.14159265358979311599796346854;

typedef struct pendulum { double angle, velocity; } pendulum;

static double pendulum_clamp(double x, double low, double high) {
    double y = x > low ? x : low;  /* Swift.max(x, low) */
    return y < high ? y : high;    /* Swift.min(y, high) */
}

/* ((θ + π) mod 2π) − π with NumPy's floored modulo. */
static double pendulum_wrap(double angle) {
    double period = 2 * pendulum_pi;
    double r = fmod(angle + pendulum_pi, period);
    if (r != 0) { if (r < 0) r += period; } else { r = 0; }
    return r - pendulum_pi;
}

static void pendulum_observe(const pendulum *p, double observation[3]) {
    observation[0] = cos(p->angle);
    observation[1] = sin(p->angle);
    observation[2] = p->velocity;
}

/* One step under torque u (N·m, clipped to ±2); returns the reward −(wrap(θ)² + 0.1θ̇² + 0.001u²). */
static double pendulum_step(pendulum *p, double torque) {
    const double g = 10.0, m = 1.0, l = 1.0, dt = 0.05;
    double u = pendulum_clamp(torque, -2.0, 2.0);
    double theta = pendulum_wrap(p->angle);
    double cost = theta * theta + 0.1 * (p->velocity * p->velocity) + 0.001 * (u * u);
    double acceleration = 3 * g / (2 * l) * sin(p->angle) + 3.0 / (m * l * l) * u;
    double velocity = pendulum_clamp(p->velocity + acceleration * dt, -8.0, 8.0);
    p->angle = p->angle + velocity * dt;
    p->velocity = velocity;
    return -cost;
}

/*
 * Reads Gymnasium's initial states (θ, θ̇) for seeds 0..99 from Sims/Fixtures/GymnasiumInitialStates.swift
 * (hexadecimal float literals, which strtod reads exactly). Returns the number read, 0 on failure.
 */
static int pendulum_read_starts(const char *path, double starts[PENDULUM_MAX_STARTS][2]) {
    FILE *file = fopen(path, "r");
    if (!file) { fprintf(stderr, "cannot open %s\n", path); return 0; }
    char line[512];
    int inside = 0, count = 0;
    while (fgets(line, sizeof line, file) && count < PENDULUM_MAX_STARTS) {
        if (!inside) { inside = strstr(line, "static let pendulum:") != NULL; continue; }
        char *open = strchr(line, '[');
        if (!open) break;
        char *end;
        double a = strtod(open + 1, &end);
        if (end == open + 1 || *end != ',') break;
        char *second = end + 1;
        double b = strtod(second, &end);
        if (end == second || *end != ']') break;
        starts[count][0] = a;
        starts[count][1] = b;
        count++;
    }
    fclose(file);
    return count;
}

#endif
