/*
 * libpckit from C: versions, every bad input at the boundary (a code and a message, the process
 * survives, the agent still works), and the oracle — the pendulum controlled through the C ABI
 * scores the returns of `pcctl run pendulum --json` to 1e-9.
 *
 * Usage: test_pckit_c FIXTURE_SWIFT REFERENCE_RETURN...
 *   FIXTURE_SWIFT     Sims/Fixtures/GymnasiumInitialStates.swift (Gymnasium's initial states)
 *   REFERENCE_RETURN  the "returns" of `pcctl run pendulum --episodes N --json`, seeds 0..N-1
 */
#include "pckit.h"
#include "pendulum.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char *format, ...) {
    if (ok) return;
    failures++;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
}

static const char *PENDULUM =
    "{\"observationSpace\": {\"low\": [-1, -1, -8], \"high\": [1, 1, 8]},"
    " \"actionSpace\": {\"low\": [-2], \"high\": [2]}, \"controlPeriod\": 0.05,"
    " \"agent\": {\"agent\": \"predictiveController\", \"task\": \"pendulum\"}}";

/* pckit_agent_create must fail with `expected` and a thread message containing `words`. */
static void expect_create_fails(const char *json, pckit_status expected, const char *words) {
    pckit_agent *agent = (pckit_agent *)0x1;
    pckit_status status = pckit_agent_create(json, &agent);
    const char *message = pckit_thread_error();
    check(status == expected, "create(%s): expected %s, got %s (%s)", json ? json : "NULL",
          pckit_status_name(expected), pckit_status_name(status), message);
    check(agent == NULL, "create(%s) failed but left a non-NULL agent", json ? json : "NULL");
    check(strstr(message, words) != NULL, "create(%s): message \"%s\" lacks \"%s\"", json ? json : "NULL", message, words);
}

/* A call on `agent` must have returned `expected` with a message containing `words`. */
static void expect_failed(const char *what, pckit_status status, pckit_status expected, const char *message,
                          const char *words) {
    check(status == expected, "%s: expected %s, got %s (%s)", what, pckit_status_name(expected),
          pckit_status_name(status), message);
    check(strstr(message, words) != NULL, "%s: message \"%s\" lacks \"%s\"", what, message, words);
}

static void test_versions(void) {
    check(strcmp(pckit_version(), PCKIT_VERSION) == 0, "pckit_version() %s != PCKIT_VERSION %s", pckit_version(), PCKIT_VERSION);
    check(strcmp(pckit_protocol_version(), PCKIT_PROTOCOL_VERSION) == 0, "pckit_protocol_version() %s != %s",
          pckit_protocol_version(), PCKIT_PROTOCOL_VERSION);
    check(strcmp(pckit_status_name(PCKIT_E_SIZE), "PCKIT_E_SIZE") == 0, "status name of PCKIT_E_SIZE");
    check(strcmp(pckit_status_name(PCKIT_E_INVALID_ARGUMENT), "PCKIT_E_INVALID_ARGUMENT") == 0, "last status name");
    check(strcmp(pckit_status_name(99), "PCKIT_E_UNKNOWN_STATUS") == 0, "status name of 99");
    check(strcmp(pckit_status_name(-1), "PCKIT_E_UNKNOWN_STATUS") == 0, "status name of -1");
}

static void test_bad_configurations(void) {
    pckit_agent *agent = NULL;
    check(pckit_agent_create(PENDULUM, NULL) == PCKIT_E_NULL_ARGUMENT, "create with out NULL");
    check(strstr(pckit_thread_error(), "out is NULL") != NULL, "out NULL message: %s", pckit_thread_error());
    expect_create_fails(NULL, PCKIT_E_NULL_ARGUMENT, "config_json is NULL");
    expect_create_fails("", PCKIT_E_JSON, "not valid JSON");
    expect_create_fails("{\"observationSpace\": ", PCKIT_E_JSON, "not valid JSON");
    expect_create_fails("[1, 2]", PCKIT_E_CONFIG, "must be a JSON object");
    expect_create_fails("{\"observationSpce\": {\"low\": [0], \"high\": [1]}, \"actionSpace\": {\"low\": [0], \"high\": [1]}, \"controlPeriod\": 0.05, \"agent\": {}}",
                        PCKIT_E_CONFIG, "unknown key `observationSpce` in the configuration: did you mean `observationSpace`?");
    expect_create_fails("{\"observationSpace\": {\"low\": [0], \"high\": [1]}, \"controlPeriod\": 0.05, \"agent\": {}}",
                        PCKIT_E_CONFIG, "has no `actionSpace`");
    expect_create_fails("{\"observationSpace\": {\"low\": [0, 0], \"high\": [1]}, \"actionSpace\": {\"low\": [0], \"high\": [1]}, \"controlPeriod\": 0.05, \"agent\": {}}",
                        PCKIT_E_CONFIG, "observationSpace has 2 low and 1 high bounds");
    expect_create_fails("{\"observationSpace\": {\"low\": [\"a\"], \"high\": [1]}, \"actionSpace\": {\"low\": [0], \"high\": [1]}, \"controlPeriod\": 0.05, \"agent\": {}}",
                        PCKIT_E_CONFIG, "observationSpace.low[0] must be a number or null");
    expect_create_fails("{\"observationSpace\": {\"low\": [0], \"high\": [1]}, \"actionSpace\": {\"low\": [0], \"high\": [1]}, \"controlPeriod\": -1, \"agent\": {}}",
                        PCKIT_E_CONFIG, "controlPeriod -1.0 must be finite and > 0");
    expect_create_fails("{\"observationSpace\": {\"low\": [-1, -1, -8], \"high\": [1, 1, 8]}, \"actionSpace\": {\"low\": [-2], \"high\": [2]}, \"controlPeriod\": 0.05, \"agent\": {\"agent\": \"nonesuch\"}}",
                        PCKIT_E_UNKNOWN_AGENT, "unknown agent \"nonesuch\"; known: predictiveController");
    expect_create_fails("{\"observationSpace\": {\"low\": [-1, -1, -8], \"high\": [1, 1, 8]}, \"actionSpace\": {\"low\": [-2], \"high\": [2]}, \"controlPeriod\": 0.05, \"agent\": {\"agent\": \"predictiveController\", \"task\": \"nonesuch\"}}",
                        PCKIT_E_UNKNOWN_TASK, "task \"nonesuch\"; known tasks: acrobot-continuous, cartpole-swingup");
    expect_create_fails("{\"observationSpace\": {\"low\": [-1, -1, -8, 0], \"high\": [1, 1, 8, 1]}, \"actionSpace\": {\"low\": [-2], \"high\": [2]}, \"controlPeriod\": 0.05, \"agent\": {\"agent\": \"predictiveController\", \"task\": \"pendulum\"}}",
                        PCKIT_E_AGENT_REJECTED, "expected 3, got 4");
    expect_create_fails("{\"observationSpace\": {\"low\": [-1, -1, -8], \"high\": [1, 1, 8]}, \"actionSpace\": {\"low\": [-2], \"high\": [2]}, \"controlPeriod\": 0.05, \"agent\": {\"agent\": \"predictiveController\", \"task\": \"pendulum\", \"parameters\": {\"mas\": 1}}}",
                        PCKIT_E_AGENT_REJECTED, "mass");
    /* A configuration longer than PCKIT_MAX_CONFIG_BYTES is refused before it is parsed. */
    size_t huge = (size_t)PCKIT_MAX_CONFIG_BYTES + 2;
    char *long_json = malloc(huge);
    memset(long_json, ' ', huge - 1);
    long_json[huge - 1] = 0;
    expect_create_fails(long_json, PCKIT_E_JSON, "longer than 1048576 bytes");
    free(long_json);
    check(pckit_agent_create(PENDULUM, &agent) == PCKIT_OK && agent != NULL, "the pendulum config: %s", pckit_thread_error());
    check(pckit_thread_error()[0] == 0, "create success leaves the thread message empty: %s", pckit_thread_error());
    pckit_agent_destroy(agent);
}

static void test_bad_calls(void) {
    pckit_agent *agent = NULL;
    if (pckit_agent_create(PENDULUM, &agent) != PCKIT_OK) { check(0, "create: %s", pckit_thread_error()); return; }
    double observation[4] = {1, 0, 0, 0}, action[2] = {0, 0};
    pckit_diagnostics diagnostics;
    size_t n = 0, m = 0;
    pckit_status status;

    /* NULL and dead handles: the thread message. */
    status = pckit_agent_step(NULL, observation, 3, action, 1, &diagnostics);
    expect_failed("step(NULL agent)", status, PCKIT_E_NULL_ARGUMENT, pckit_thread_error(), "agent is NULL");
    status = pckit_agent_reset(NULL, 0);
    expect_failed("reset(NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_thread_error(), "pckit_agent_reset: agent is NULL");
    status = pckit_agent_dimensions(NULL, &n, &m);
    expect_failed("dimensions(NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_thread_error(), "agent is NULL");
    check(pckit_agent_last_error(NULL) == pckit_thread_error(), "last_error(NULL) is the thread message");
    int stack_thing = 0;
    status = pckit_agent_step((pckit_agent *)&stack_thing, observation, 3, action, 1, NULL);
    expect_failed("step(foreign pointer)", status, PCKIT_E_INVALID_HANDLE, pckit_thread_error(), "is not a live agent");

    /* Arguments: the agent's own message. */
    check(pckit_agent_dimensions(agent, &n, &m) == PCKIT_OK && n == 3 && m == 1, "dimensions 3, 1: %zu, %zu", n, m);
    status = pckit_agent_dimensions(agent, NULL, &m);
    expect_failed("dimensions(n NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_agent_last_error(agent), "n is NULL");
    status = pckit_agent_step(agent, NULL, 3, action, 1, &diagnostics);
    expect_failed("step(observation NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_agent_last_error(agent), "observation is NULL; pass 3 doubles");
    status = pckit_agent_step(agent, observation, 3, NULL, 1, &diagnostics);
    expect_failed("step(action NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_agent_last_error(agent), "action is NULL");
    status = pckit_agent_step(agent, observation, 4, action, 1, &diagnostics);
    expect_failed("step(n = 4)", status, PCKIT_E_SIZE, pckit_agent_last_error(agent), "n is 4; this agent's observation has 3 values");
    status = pckit_agent_step(agent, observation, (size_t)-1, action, 1, &diagnostics);
    expect_failed("step(n = SIZE_MAX)", status, PCKIT_E_SIZE, pckit_agent_last_error(agent), "this agent's observation has 3 values");
    status = pckit_agent_step(agent, observation, 3, action, 2, &diagnostics);
    expect_failed("step(m = 2)", status, PCKIT_E_SIZE, pckit_agent_last_error(agent), "m is 2; this agent's action has 1 values");
    status = pckit_agent_step(agent, observation, 3, observation + 2, 1, &diagnostics);
    expect_failed("step(overlap)", status, PCKIT_E_INVALID_ARGUMENT, pckit_agent_last_error(agent), "overlap");
    observation[1] = NAN;
    action[0] = 42;
    status = pckit_agent_step(agent, observation, 3, action, 1, &diagnostics);
    expect_failed("step(NaN)", status, PCKIT_E_NON_FINITE, pckit_agent_last_error(agent), "observation[1] is nan; every value must be finite");
    check(action[0] == 42, "a refused step leaves the action untouched");
    observation[1] = 0;
    observation[2] = -INFINITY;
    status = pckit_agent_step(agent, observation, 3, action, 1, &diagnostics);
    expect_failed("step(-inf)", status, PCKIT_E_NON_FINITE, pckit_agent_last_error(agent), "observation[2] is -inf");
    observation[2] = 0;
    status = pckit_agent_set_step_budget(agent, -1);
    expect_failed("set_step_budget(-1)", status, PCKIT_E_INVALID_ARGUMENT, pckit_agent_last_error(agent), "0…60 s");
    status = pckit_agent_set_step_budget(agent, NAN);
    expect_failed("set_step_budget(NaN)", status, PCKIT_E_INVALID_ARGUMENT, pckit_agent_last_error(agent), "seconds is nan");
    status = pckit_agent_save_model(agent, "/tmp/never.pckit", 0);
    expect_failed("save_model(predictive)", status, PCKIT_E_NOT_LEARNING, pckit_agent_last_error(agent), "learns no model");
    status = pckit_agent_load_model(agent, "/tmp/never.pckit");
    expect_failed("load_model(predictive)", status, PCKIT_E_NOT_LEARNING, pckit_agent_last_error(agent), "learns no model");
    status = pckit_agent_save_model(agent, NULL, 0);
    expect_failed("save_model(NULL path)", status, PCKIT_E_NULL_ARGUMENT, pckit_agent_last_error(agent), "path is NULL");
    int learns = -1;
    check(pckit_agent_learns_model(agent, &learns) == PCKIT_OK && learns == 0, "a predictive controller learns no model");
    status = pckit_agent_learns_model(agent, NULL);
    expect_failed("learns_model(NULL)", status, PCKIT_E_NULL_ARGUMENT, pckit_agent_last_error(agent), "learns is NULL");

    /* After all that the agent still works, and a success empties its message. */
    observation[0] = cos(1.0);  /* hanging 1 rad off upright: the planner has work to do */
    observation[1] = sin(1.0);
    check(pckit_agent_reset(agent, 0) == PCKIT_OK, "reset: %s", pckit_agent_last_error(agent));
    status = pckit_agent_step(agent, observation, 3, action, 1, &diagnostics);
    check(status == PCKIT_OK && isfinite(action[0]) && fabs(action[0]) <= 2, "step after the refusals: %s, action %g",
          pckit_agent_last_error(agent), action[0]);
    check(pckit_agent_last_error(agent)[0] == 0, "a success empties the message");
    check(isfinite(diagnostics.free_energy) && diagnostics.iterations > 0 && diagnostics.compute_time > 0,
          "diagnostics: F %g, %u iterations, %g s", diagnostics.free_energy, diagnostics.iterations, diagnostics.compute_time);
    observation[2] = 9;  /* outside [-8, 8]: used, flagged */
    check(pckit_agent_step(agent, observation, 3, action, 1, &diagnostics) == PCKIT_OK && diagnostics.out_of_bounds == 1,
          "an observation outside the space is flagged");
    observation[2] = 0;
    check(pckit_agent_step(agent, observation, 3, action, 1, NULL) == PCKIT_OK, "diagnostics may be NULL");

    /* Destroyed: the handle is dead, a second destroy is refused, NULL is a no-op. */
    check(pckit_agent_destroy(agent) == PCKIT_OK, "destroy");
    status = pckit_agent_step(agent, observation, 3, action, 1, &diagnostics);
    expect_failed("step(destroyed)", status, PCKIT_E_INVALID_HANDLE, pckit_thread_error(), "is not a live agent");
    status = pckit_agent_destroy(agent);
    expect_failed("destroy twice", status, PCKIT_E_INVALID_HANDLE, pckit_thread_error(), "is not a live agent");
    check(pckit_agent_destroy(NULL) == PCKIT_OK, "destroy(NULL) is a no-op");
}

/* The pendulum through the C ABI against `pcctl run pendulum`'s returns, seeds 0..count-1. */
static void test_pendulum_oracle(const char *fixture, int count, const double *reference) {
    double starts[PENDULUM_MAX_STARTS][2];
    int available = pendulum_read_starts(fixture, starts);
    check(available == 100, "read %d of Gymnasium's 100 pendulum starts from %s", available, fixture);
    if (available < count) return;
    pckit_agent *agent = NULL;
    if (pckit_agent_create(PENDULUM, &agent) != PCKIT_OK) { check(0, "create: %s", pckit_thread_error()); return; }
    for (int seed = 0; seed < count; seed++) {
        pendulum p = {starts[seed][0], starts[seed][1]};
        double observation[3], action[1], total = 0;
        pendulum_observe(&p, observation);
        check(pckit_agent_reset(agent, (uint64_t)seed) == PCKIT_OK, "reset: %s", pckit_agent_last_error(agent));
        for (int t = 0; t < PENDULUM_EPISODE_STEPS; t++) {
            pckit_diagnostics diagnostics;
            if (pckit_agent_step(agent, observation, 3, action, 1, &diagnostics) != PCKIT_OK) {
                check(0, "step: %s", pckit_agent_last_error(agent));
                break;
            }
            total += pendulum_step(&p, action[0]);
            pendulum_observe(&p, observation);
        }
        printf("seed %d: C ABI return %.12f, pcctl run %.12f, difference %.3g\n", seed, total, reference[seed],
               fabs(total - reference[seed]));
        check(fabs(total - reference[seed]) <= 1e-9, "seed %d: return %.12f differs from pcctl run's %.12f", seed, total,
              reference[seed]);
        check(total > -400, "seed %d: the controller swings up (return %.3f; zero torque scores about -1180)", seed, total);
    }
    pckit_agent_destroy(agent);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s GymnasiumInitialStates.swift REFERENCE_RETURN...\n", argv[0]);
        return 2;
    }
    int count = argc - 2;
    double *reference = malloc(sizeof(double) * (size_t)count);
    for (int i = 0; i < count; i++) {
        char *end;
        reference[i] = strtod(argv[i + 2], &end);
        if (*end != 0) { fprintf(stderr, "reference return %s is not a number\n", argv[i + 2]); return 2; }
    }
    test_versions();
    test_bad_configurations();
    test_bad_calls();
    test_pendulum_oracle(argv[1], count, reference);
    free(reference);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("libpckit C test: all checks passed (%s, protocol %s)\n", pckit_version(), pckit_protocol_version());
    return 0;
}
