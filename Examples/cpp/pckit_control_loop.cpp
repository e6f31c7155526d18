// A 1 kHz control loop in C++ around a PCKit agent, through libpckit's C ABI (Interfaces/c/pckit.h).
//
// The controller class has the shape of a ros2_control controller (on_configure / on_activate /
// update / on_deactivate; state interfaces read, command interfaces written), without depending
// on ROS: each cycle, update() reads the joint positions and velocities, steps the agent, and
// writes the joint torques. The plant is a tiny simulated two-joint arm (each joint a damped
// inertia, no gravity), integrated at the same 1 kHz. The agent is the active-inference reflex
// controller of Examples/configs/arm2-reflex-aic.json (goal q = (-0.2, 0.3) rad, control period 1 ms).
//
// Build and run (from the repository root; `make abi-test` does this with the debug library):
//   swift build -c release --product pckit
//   g++ -std=c++17 -O2 -I Interfaces/c Examples/cpp/pckit_control_loop.cpp -o pckit_control_loop
//       -L .build/release -lpckit -Wl,-rpath,$PWD/.build/release        (one line)
//   ./pckit_control_loop Examples/configs/arm2-reflex-aic.json 3
//
// It prints the update() time per cycle (median, p99, max) and the final joint error, and exits
// non-zero when the agent fails or the arm does not reach its goal.
#include "pckit.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The subset of ros2_control's vocabulary the loop needs.
enum class return_type { OK, ERROR };
enum class CallbackReturn { SUCCESS, FAILURE };

double monotonic_seconds() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// The "hardware": two joints, each I q̈ = τ − d q̇, explicit Euler at dt. Exposes state
// interfaces (position, velocity per joint) and command interfaces (effort per joint).
class SimulatedArm {
public:
    static constexpr int kJoints = 2;
    std::array<double, kJoints> position{-M_PI / 2, 0.0}, velocity{0.0, 0.0}, effort{0.0, 0.0};

    void read() {}  // the state interfaces are the simulator's own variables
    void write(double dt) {
        for (int j = 0; j < kJoints; ++j) {
            double acceleration = (effort[j] - kDamping * velocity[j]) / kInertia;
            position[j] += velocity[j] * dt;
            velocity[j] += acceleration * dt;
        }
    }

private:
    static constexpr double kInertia = 0.3;   // kg·m²
    static constexpr double kDamping = 0.5;   // N·m·s/rad
};

// A ros2_control-shaped controller: state interfaces in, command interfaces out, a PCKit agent inside.
class PCKitController {
public:
    PCKitController(std::vector<const double *> state_interfaces, std::vector<double *> command_interfaces)
        : state_(std::move(state_interfaces)), command_(std::move(command_interfaces)) {}
    ~PCKitController() { pckit_agent_destroy(agent_); }
    PCKitController(const PCKitController &) = delete;
    PCKitController &operator=(const PCKitController &) = delete;

    // Makes the agent (allocates); sizes every buffer the loop uses.
    CallbackReturn on_configure(const std::string &config_json) {
        if (pckit_agent_create(config_json.c_str(), &agent_) != PCKIT_OK) {
            std::fprintf(stderr, "on_configure: %s\n", pckit_thread_error());
            return CallbackReturn::FAILURE;
        }
        size_t n = 0, m = 0;
        pckit_agent_dimensions(agent_, &n, &m);
        if (n != state_.size() || m != command_.size()) {
            std::fprintf(stderr, "on_configure: the agent takes %zu observations and gives %zu actions; the hardware has "
                         "%zu state and %zu command interfaces\n", n, m, state_.size(), command_.size());
            return CallbackReturn::FAILURE;
        }
        observation_.assign(n, 0.0);
        action_.assign(m, 0.0);
        return CallbackReturn::SUCCESS;
    }

    CallbackReturn on_activate() {
        if (pckit_agent_reset(agent_, 0) != PCKIT_OK) {
            std::fprintf(stderr, "on_activate: %s\n", pckit_agent_last_error(agent_));
            return CallbackReturn::FAILURE;
        }
        return CallbackReturn::SUCCESS;
    }

    // Real-time: read → step → write; allocates nothing.
    return_type update(double /*time*/, double /*period*/) {
        for (size_t i = 0; i < state_.size(); ++i) observation_[i] = *state_[i];
        if (pckit_agent_step(agent_, observation_.data(), observation_.size(), action_.data(), action_.size(),
                             &diagnostics_) != PCKIT_OK) {
            for (double *command : command_) *command = 0.0;  // fail safe: no torque
            return return_type::ERROR;
        }
        for (size_t j = 0; j < command_.size(); ++j) *command_[j] = action_[j];
        return return_type::OK;
    }

    CallbackReturn on_deactivate() {
        for (double *command : command_) *command = 0.0;
        return CallbackReturn::SUCCESS;
    }

    const char *last_error() const { return pckit_agent_last_error(agent_); }

private:
    pckit_agent *agent_ = nullptr;
    std::vector<const double *> state_;
    std::vector<double *> command_;
    std::vector<double> observation_, action_;
    pckit_diagnostics diagnostics_{};
};

}  // namespace

int main(int argc, char **argv) {
    const char *agent_file = argc > 1 ? argv[1] : "Examples/configs/arm2-reflex-aic.json";
    double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
    if (!(seconds > 0 && seconds <= 600)) {
        std::fprintf(stderr, "seconds must be in (0, 600], got %s\n", argc > 2 ? argv[2] : "?");
        return 2;
    }
    std::ifstream file(agent_file);
    if (!file) {
        std::fprintf(stderr, "cannot read %s (run from the repository root, or pass an agent configuration)\n", agent_file);
        return 2;
    }
    std::stringstream agent;
    agent << file.rdbuf();
    const double period = 0.001;
    std::string config = R"({"observationSpace": {"low": [null, null, null, null], "high": [null, null, null, null]},
        "actionSpace": {"low": [-50, -50], "high": [50, 50]}, "controlPeriod": 0.001, "agent": )" + agent.str() + "}";

    SimulatedArm arm;
    PCKitController controller({&arm.position[0], &arm.position[1], &arm.velocity[0], &arm.velocity[1]},
                               {&arm.effort[0], &arm.effort[1]});
    if (controller.on_configure(config) != CallbackReturn::SUCCESS) return 1;
    if (controller.on_activate() != CallbackReturn::SUCCESS) return 1;

    const long cycles = std::lround(seconds / period);
    std::vector<double> update_seconds;
    update_seconds.reserve(static_cast<size_t>(cycles));
    long overruns = 0;
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    const double start = monotonic_seconds();
    for (long cycle = 0; cycle < cycles; ++cycle) {
        arm.read();
        double before = monotonic_seconds();
        if (controller.update(before - start, period) != return_type::OK) {
            std::fprintf(stderr, "update failed at cycle %ld: %s\n", cycle, controller.last_error());
            return 1;
        }
        double took = monotonic_seconds() - before;
        update_seconds.push_back(took);
        arm.write(period);
        // Sleep to the next 1 ms tick (absolute time, so the period does not drift).
        next.tv_nsec += 1000000;
        if (next.tv_nsec >= 1000000000) { next.tv_nsec -= 1000000000; next.tv_sec += 1; }
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) ++overruns;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR) {}
    }
    const double wall = monotonic_seconds() - start;
    controller.on_deactivate();

    std::vector<double> sorted = update_seconds;
    std::sort(sorted.begin(), sorted.end());
    auto quantile = [&](double q) { return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))]; };
    const double goal[2] = {-0.2, 0.3};
    double error = std::hypot(arm.position[0] - goal[0], arm.position[1] - goal[1]);
    std::printf("pckit_control_loop: %ld cycles at 1 kHz in %.3f s (%ld woke after their next tick was due), agent %s\n", cycles, wall, overruns,
                agent_file);
    std::printf("  update() median %.2f us   p99 %.2f us   max %.2f us\n", 1e6 * quantile(0.5), 1e6 * quantile(0.99),
                1e6 * sorted.back());
    std::printf("  joints (%.4f, %.4f) rad, goal (%.1f, %.1f), error %.4f rad\n", arm.position[0], arm.position[1], goal[0],
                goal[1], error);
    if (!(error < 0.05)) {
        std::fprintf(stderr, "the arm did not reach its goal (error %.4f rad >= 0.05)\n", error);
        return 1;
    }
    return 0;
}
