// The C++ bridge client live: drives Gymnasium's pendulum (float64 physics of Tests/c/pendulum.h,
// Gymnasium's initial states) with the predictive controller served by a real `pcctl serve`, one
// session, episodes with seeds 0..N-1, and prints {"returns": [...], "retried": r, "stale": s,
// "deadlineExceeded": d, "session": id} (stale: actions whose validUntil had passed when they
// arrived; deadlineExceeded: actions the server's compute deadline cut short). Interfaces/python/tests/
// test_cpp_client.py runs it and compares with the Python client on the same episodes.
//
// Usage: pckit_client_pendulum ENDPOINT Sims/Fixtures/GymnasiumInitialStates.swift EPISODES
#include "pckit_client.hpp"

extern "C" {
#include "pendulum.h"
}

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s ENDPOINT GymnasiumInitialStates.swift EPISODES\n", argv[0]);
        return 2;
    }
    static double starts[PENDULUM_MAX_STARTS][2];
    int available = pendulum_read_starts(argv[2], starts);
    int episodes = std::atoi(argv[3]);
    if (episodes < 1 || episodes > available) {
        std::fprintf(stderr, "EPISODES must be 1…%d\n", available);
        return 2;
    }
    try {
        zmq::context_t context;
        pckit::ClientOptions options;
        options.robot = "cpp-pendulum";
        options.float64 = true;
        options.timeout = 5.0;
        pckit::RemoteAgent agent(context, argv[1], {{-1, -1, -8}, {1, 1, 8}}, {{-2}, {2}},
                                 R"({"agent": "predictiveController", "task": "pendulum"})", options);
        agent.connect();
        std::printf("{\"returns\": [");
        int stale = 0, late = 0;
        for (int seed = 0; seed < episodes; ++seed) {
            agent.reset(static_cast<uint64_t>(seed));
            pendulum p = {starts[seed][0], starts[seed][1]};
            std::vector<double> observation(3);
            double total = 0;
            for (int t = 0; t < PENDULUM_EPISODE_STEPS; ++t) {
                pendulum_observe(&p, observation.data());
                std::vector<double> action = agent.step(observation);
                if (!agent.action_valid()) ++stale;
                if (agent.last_frame().flags & pckit::kDeadlineExceeded) ++late;
                total += pendulum_step(&p, action[0]);
            }
            std::printf("%s%.17g", seed ? ", " : "", total);
        }
        std::printf("], \"retried\": %d, \"stale\": %d, \"deadlineExceeded\": %d, \"session\": %llu}\n", agent.retried(), stale, late,
                    static_cast<unsigned long long>(agent.session()));
        agent.close();
    } catch (const std::exception &error) {
        std::fprintf(stderr, "pckit_client_pendulum: %s\n", error.what());
        return 1;
    }
    return 0;
}
