/*
 * pckit.h — the C ABI of libpckit: PCKit's agents (predictive controllers, reflex controllers,
 * active sensing, learning agents, the bridge's reference controllers) stepped in your process.
 *
 * C99, usable from C++. Link with the library built by `swift build --product pckit`
 * (.build/<debug|release>/libpckit.so), e.g.
 *
 *     cc -std=c99 -I Interfaces/c app.c -L .build/release -lpckit -Wl,-rpath,$PWD/.build/release
 *
 * An agent is made from the same JSON a robot's hello carries over the ZeroMQ bridge
 * (Interfaces/protocol/PROTOCOL.md): its observation and action spaces, its control period and the
 * agent configuration, which goes untouched to the bridge's agent factory (`PCAgentFactory.builtIn`):
 *
 *     { "observationSpace": {"low": [-1, -1, -8], "high": [1, 1, 8]},
 *       "actionSpace":      {"low": [-2], "high": [2]},
 *       "controlPeriod":    0.05,
 *       "agent":            {"agent": "predictiveController", "task": "pendulum"} }
 *
 * All four keys are required and no other key is accepted (an unknown key is an error that names
 * it and the closest known key). A bound may be null (unbounded). Every task the bridge knows is
 * available; the agent configuration is documented with the bridge (Interfaces/README.md) and
 * Examples/configs/ holds ready ones.
 *
 * ERRORS. Every function that can fail returns a pckit_status. Nothing else leaves the library:
 * no Swift error, trap or C++ exception crosses this boundary for any argument the caller can
 * pass — NULL pointers, wrong sizes, non-finite values, bad JSON, unknown agents, tasks and keys
 * each return a code. The message of a failed call on a live agent is pckit_agent_last_error(agent);
 * the message of a failure with no live agent to hold it (pckit_agent_create, a NULL or destroyed
 * handle) is pckit_thread_error(), kept per thread. (Passing a pointer to too little memory — an
 * action array shorter than m, a diagnostics pointer to something else — cannot be detected and
 * is undefined behaviour, as in any C API.)
 *
 * THREADS. One agent is used by one thread at a time: calls on the same pckit_agent must not
 * overlap (serialise them yourself if several threads share one). Different agents may be used
 * concurrently from different threads, with no locking needed. pckit_version,
 * pckit_protocol_version, pckit_status_name and pckit_thread_error may be called from any thread
 * at any time.
 *
 * REAL TIME. After the agent's first steps, pckit_agent_step allocates no memory and takes no
 * lock other than one uncontended mutex held for a set lookup (the handle check); a failed call
 * formats its message and may allocate.
 */
#ifndef PCKIT_H
#define PCKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The library version this header describes; pckit_version() returns the library's own. */
#define PCKIT_VERSION "0.1.0"
/** The bridge protocol version the library implements; pckit_protocol_version() returns it. */
#define PCKIT_PROTOCOL_VERSION "1.1.0"
/** Longest configuration pckit_agent_create reads, bytes (without the terminating NUL). */
#define PCKIT_MAX_CONFIG_BYTES 1048576
/** Longest path pckit_agent_save_model / pckit_agent_load_model accept, bytes. */
#define PCKIT_MAX_PATH_BYTES 4096
/** Largest model file pckit_agent_load_model reads, bytes (256 MiB). */
#define PCKIT_MAX_MODEL_BYTES 268435456
/** Bytes of every message buffer (pckit_agent_last_error, pckit_thread_error), NUL included. */
#define PCKIT_MAX_MESSAGE_BYTES 2048

/** What a call did. 0 is success; every other value comes with a message. */
typedef enum pckit_status {
    PCKIT_OK = 0,
    /** A required pointer argument is NULL. */
    PCKIT_E_NULL_ARGUMENT = 1,
    /** The agent pointer is not a live agent (already destroyed, or never created). */
    PCKIT_E_INVALID_HANDLE = 2,
    /** n or m differs from the agent's observation or action dimension. */
    PCKIT_E_SIZE = 3,
    /** An observation value is NaN or infinite. */
    PCKIT_E_NON_FINITE = 4,
    /** The configuration is not JSON (or is longer than PCKIT_MAX_CONFIG_BYTES). */
    PCKIT_E_JSON = 5,
    /** The configuration is JSON but wrong: an unknown or missing key, a bad space or period. */
    PCKIT_E_CONFIG = 6,
    /** The configuration names an agent the factory does not know. */
    PCKIT_E_UNKNOWN_AGENT = 7,
    /** The configuration names no task, or one with no plant model. */
    PCKIT_E_UNKNOWN_TASK = 8,
    /** The factory refused the agent's options (or their fit to the spaces and period). */
    PCKIT_E_AGENT_REJECTED = 9,
    /** The agent failed to start an episode. */
    PCKIT_E_AGENT_FAILURE = 10,
    /** Save or load asked of an agent that learns no model. */
    PCKIT_E_NOT_LEARNING = 11,
    /** A file could not be opened, read, written or renamed. */
    PCKIT_E_IO = 12,
    /** A model file is not one this agent can use (magic, version, checksum, dimensions, size), or nothing is learned yet. */
    PCKIT_E_MODEL_FILE = 13,
    /** Another argument is out of its range (named in the message). */
    PCKIT_E_INVALID_ARGUMENT = 14
} pckit_status;

/** An agent. Opaque; made by pckit_agent_create, freed by pckit_agent_destroy. */
typedef struct pckit_agent pckit_agent;

/** What one step did, besides its action. 24 bytes, no padding. */
typedef struct pckit_diagnostics {
    /** Free energy after the step; NaN for agents that have none (reference controllers). */
    double free_energy;
    /** Seconds the agent's step took (CLOCK_MONOTONIC, this library's checks excluded). */
    double compute_time;
    /** Inference iterations used. */
    uint32_t iterations;
    /** 1 when inference converged within its budget. */
    uint8_t converged;
    /** 1 when the agent met numerical trouble and recovered, or its action was not finite
        (then replaced by the clipped zero action). */
    uint8_t warning;
    /** 1 when the step ran past its budget (pckit_agent_set_step_budget); the action is the best plan so far. */
    uint8_t deadline_exceeded;
    /** 1 when an observation value lies outside the observation space (it is used as given). */
    uint8_t out_of_bounds;
} pckit_diagnostics;

/**
 * The library's version, "MAJOR.MINOR.PATCH" (compare with PCKIT_VERSION).
 * @return a static NUL-terminated string owned by the library; never NULL.
 */
const char *pckit_version(void);

/**
 * The ZeroMQ bridge protocol version of this library, "MAJOR.MINOR.PATCH".
 * @return a static NUL-terminated string owned by the library; never NULL.
 */
const char *pckit_protocol_version(void);

/**
 * The enumerator name of a status, e.g. "PCKIT_E_SIZE"; "PCKIT_E_UNKNOWN_STATUS" for other values.
 * @return a static NUL-terminated string owned by the library; never NULL.
 */
const char *pckit_status_name(int status);

/**
 * The calling thread's message for the last failure that had no live agent to hold it:
 * pckit_agent_create, or a call given a NULL or destroyed agent. pckit_agent_create empties it on entry.
 * @return a NUL-terminated string owned by the library, valid on this thread until its next such
 *         failure or pckit_agent_create; never NULL.
 */
const char *pckit_thread_error(void);

/**
 * Makes an agent from a JSON configuration (see the top of this file).
 * @param config_json NUL-terminated UTF-8 JSON, at most PCKIT_MAX_CONFIG_BYTES bytes; read only
 *        during the call (the caller keeps ownership).
 * @param out receives the new agent, or NULL on failure; the caller owns the agent and frees it
 *        with pckit_agent_destroy.
 * @return PCKIT_OK; PCKIT_E_NULL_ARGUMENT, PCKIT_E_JSON, PCKIT_E_CONFIG, PCKIT_E_UNKNOWN_AGENT,
 *         PCKIT_E_UNKNOWN_TASK or PCKIT_E_AGENT_REJECTED with the message in pckit_thread_error().
 */
pckit_status pckit_agent_create(const char *config_json, pckit_agent **out);

/**
 * Frees an agent. NULL is allowed and does nothing.
 * @return PCKIT_OK; PCKIT_E_INVALID_HANDLE for a pointer that is not a live agent (e.g. destroyed
 *         twice), with the message in pckit_thread_error().
 */
pckit_status pckit_agent_destroy(pckit_agent *agent);

/**
 * The message of the last call on this agent: empty when that call succeeded.
 * @return a NUL-terminated string (at most PCKIT_MAX_MESSAGE_BYTES bytes with the NUL) owned by the
 *         agent, valid until the next call on it or its destruction; for a NULL or dead agent,
 *         pckit_thread_error(). Never NULL.
 */
const char *pckit_agent_last_error(const pckit_agent *agent);

/**
 * The agent's observation dimension n and action dimension m (those of the configuration's spaces).
 * @param n, m receive the dimensions.
 */
pckit_status pckit_agent_dimensions(const pckit_agent *agent, size_t *n, size_t *m);

/**
 * Starts an episode: clears the agent's belief and warm start and reseeds its random generator.
 * @param seed any value; the same seed gives the same episode.
 */
pckit_status pckit_agent_reset(pckit_agent *agent, uint64_t seed);

/**
 * Gives every following step a compute budget: an anytime planner (a predictive controller) stops
 * when it is spent and acts on its best plan, setting diagnostics.deadline_exceeded; other agents
 * run to the end and the flag reports a step that took longer.
 * @param seconds 0 (no budget, the default) or a finite value up to 60 s.
 * @return PCKIT_OK; PCKIT_E_INVALID_ARGUMENT for a negative, NaN, infinite or larger value.
 */
pckit_status pckit_agent_set_step_budget(pckit_agent *agent, double seconds);

/**
 * One control step: perceive the observation, plan, write the action.
 *
 * The action is clipped into the configuration's action space; a non-finite action value becomes
 * the clipped zero and sets diagnostics->warning (as the bridge does). Observation values outside
 * the observation space are used and flagged (diagnostics->out_of_bounds).
 * @param observation n finite values (units of the configuration's observation space); read only.
 * @param n the agent's observation dimension.
 * @param action room for m values, overwritten; must not overlap observation.
 * @param m the agent's action dimension.
 * @param diagnostics receives the step's diagnostics; may be NULL when not wanted.
 * @return PCKIT_OK; PCKIT_E_NULL_ARGUMENT, PCKIT_E_SIZE, PCKIT_E_NON_FINITE (naming the index),
 *         PCKIT_E_INVALID_ARGUMENT (overlapping arrays), PCKIT_E_INVALID_HANDLE. On failure the
 *         agent has not stepped and action and diagnostics are untouched.
 */
pckit_status pckit_agent_step(pckit_agent *agent, const double *observation, size_t n,
                              double *action, size_t m, pckit_diagnostics *diagnostics);

/**
 * Whether the agent learns a model that pckit_agent_save_model can save ("agent": "learning").
 * @param learns receives 1 or 0.
 */
pckit_status pckit_agent_learns_model(const pckit_agent *agent, int *learns);

/**
 * Saves what a learning agent has learned to a file, atomically (written to path.tmp.<pid>,
 * then renamed over path).
 * @param path NUL-terminated, at most PCKIT_MAX_PATH_BYTES bytes; read only during the call.
 * @param include_memory 1: also the transition memory (a restored agent learns on from it); 0: the model only.
 * @return PCKIT_OK; PCKIT_E_NOT_LEARNING for an agent that learns nothing; PCKIT_E_MODEL_FILE while
 *         it has learned nothing yet (still exploring); PCKIT_E_IO; PCKIT_E_INVALID_ARGUMENT.
 */
pckit_status pckit_agent_save_model(pckit_agent *agent, const char *path, int include_memory);

/**
 * Replaces what a learning agent has learned by a file saved by pckit_agent_save_model for an
 * agent of the same observation and action dimensions; the agent controls with it at once.
 * @param path NUL-terminated, at most PCKIT_MAX_PATH_BYTES bytes; the file at most PCKIT_MAX_MODEL_BYTES.
 * @return PCKIT_OK; PCKIT_E_NOT_LEARNING; PCKIT_E_IO; PCKIT_E_MODEL_FILE naming what does not match
 *         (magic, version, checksum, dimensions). On failure the agent is unchanged.
 */
pckit_status pckit_agent_load_model(pckit_agent *agent, const char *path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PCKIT_H */
