// libpckit from C++: the header compiles as C++ (extern "C"), an RAII owner, and the threading
// contract — two agents stepped concurrently on two threads each score `pcctl run pendulum`'s
// returns to 1e-9 (different handles need no locking); bad inputs return codes, never throw.
//
// Usage: test_pckit_cpp FIXTURE_SWIFT REFERENCE_RETURN...   (as test_pckit_c)
#include "pckit.h"

extern "C" {
#include "pendulum.h"
}

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
    if (ok) return;
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
}

const char *const kPendulum =
    R"({"observationSpace": {"low": [-1, -1, -8], "high": [1, 1, 8]},
        "actionSpace": {"low": [-2], "high": [2]}, "controlPeriod": 0.05,
        "agent": {"agent": "predictiveController", "task": "pendulum"}})";

struct AgentDeleter {
    void operator()(pckit_agent *agent) const { pckit_agent_destroy(agent); }
};
using Agent = std::unique_ptr<pckit_agent, AgentDeleter>;

Agent make_agent(const char *json) {
    pckit_agent *raw = nullptr;
    pckit_status status = pckit_agent_create(json, &raw);
    check(status == PCKIT_OK, std::string("create: ") + pckit_thread_error());
    return Agent(raw);
}

// Runs seeds first..last-1 (stride 2) on its own agent; writes each return into returns[seed].
void run_seeds(int first, int count, const double (*starts)[2], std::vector<double> *returns, std::string *error) {
    Agent agent = make_agent(kPendulum);
    if (!agent) { *error = "no agent"; return; }
    for (int seed = first; seed < count; seed += 2) {
        pendulum p = {starts[seed][0], starts[seed][1]};
        double observation[3], action[1], total = 0;
        pendulum_observe(&p, observation);
        if (pckit_agent_reset(agent.get(), static_cast<uint64_t>(seed)) != PCKIT_OK) { *error = pckit_agent_last_error(agent.get()); return; }
        for (int t = 0; t < PENDULUM_EPISODE_STEPS; ++t) {
            if (pckit_agent_step(agent.get(), observation, 3, action, 1, nullptr) != PCKIT_OK) {
                *error = pckit_agent_last_error(agent.get());
                return;
            }
            total += pendulum_step(&p, action[0]);
            pendulum_observe(&p, observation);
        }
        (*returns)[static_cast<size_t>(seed)] = total;
    }
}

void test_concurrent_agents(const char *fixture, const std::vector<double> &reference) {
    static double starts[PENDULUM_MAX_STARTS][2];
    int available = pendulum_read_starts(fixture, starts);
    int count = static_cast<int>(reference.size());
    check(available >= count, "fixture starts: " + std::to_string(available));
    if (available < count) return;
    std::vector<double> returns(reference.size(), NAN);
    std::string errors[2];
    std::thread even(run_seeds, 0, count, starts, &returns, &errors[0]);
    std::thread odd(run_seeds, 1, count, starts, &returns, &errors[1]);
    even.join();
    odd.join();
    check(errors[0].empty() && errors[1].empty(), "thread errors: " + errors[0] + " / " + errors[1]);
    for (int seed = 0; seed < count; ++seed) {
        double difference = std::fabs(returns[static_cast<size_t>(seed)] - reference[static_cast<size_t>(seed)]);
        std::printf("seed %d (thread %s): C++ return %.12f, pcctl run %.12f, difference %.3g\n", seed,
                    seed % 2 ? "odd" : "even", returns[static_cast<size_t>(seed)], reference[static_cast<size_t>(seed)], difference);
        check(difference <= 1e-9, "seed " + std::to_string(seed) + " differs from pcctl run");
    }
}

void test_bad_inputs() {
    pckit_agent *none = nullptr;
    check(pckit_agent_create("{\"agent\": 3}", &none) == PCKIT_E_CONFIG && none == nullptr,
          std::string("partial config: ") + pckit_thread_error());
    check(std::strstr(pckit_thread_error(), "has no `observationSpace`") != nullptr, pckit_thread_error());
    Agent agent = make_agent(kPendulum);
    if (!agent) return;
    std::vector<double> observation{1.0, 0.0, std::numeric_limits<double>::quiet_NaN()}, action(1);
    check(pckit_agent_step(agent.get(), observation.data(), observation.size(), action.data(), action.size(), nullptr) ==
              PCKIT_E_NON_FINITE, "NaN observation");
    check(std::string(pckit_agent_last_error(agent.get())).find("observation[2] is nan") != std::string::npos,
          pckit_agent_last_error(agent.get()));
    observation[2] = 0;
    check(pckit_agent_step(agent.get(), observation.data(), 2, action.data(), 1, nullptr) == PCKIT_E_SIZE, "n = 2");
    check(pckit_agent_step(agent.get(), observation.data(), 3, action.data(), 1, nullptr) == PCKIT_OK, "good step");
    pckit_diagnostics diagnostics{};
    check(pckit_agent_set_step_budget(agent.get(), 1e-9) == PCKIT_OK, "budget");
    observation[0] = -1.0;  // hanging down: the planner needs its iterations
    observation[1] = 0.0;
    check(pckit_agent_step(agent.get(), observation.data(), 3, action.data(), 1, &diagnostics) == PCKIT_OK &&
              diagnostics.deadline_exceeded == 1,
          "a 1 ns budget is exceeded and flagged");
    static_assert(sizeof(pckit_diagnostics) == 24, "pckit_diagnostics is 24 bytes");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s GymnasiumInitialStates.swift REFERENCE_RETURN...\n", argv[0]);
        return 2;
    }
    std::vector<double> reference;
    for (int i = 2; i < argc; ++i) reference.push_back(std::strtod(argv[i], nullptr));
    test_bad_inputs();
    test_concurrent_agents(argv[1], reference);
    if (failures) {
        std::fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    std::printf("libpckit C++ test: all checks passed\n");
    return 0;
}
