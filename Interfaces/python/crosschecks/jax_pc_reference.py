"""A jit-compiled JAX reference for `pcctl bench pc`: one PC-IL training step and one backprop step
on the digits MLP 64-128-128-10 (ReLU), batch 64, T = 20 GD steps with γ = 0.1 on the activities
(feedforward start, per-sample gradients), Adam 1e-3 on the weights (batch-mean gradients).

Written from the equations of the PCCore articles EnergyAndInference and LearningRules
(Sources/PCCore/Documentation.docc) for timing only (float32, CPU). Run on the same machine at the
same time as `pcctl bench pc`:
    .venv/bin/pip install "jax[cpu]"
    .venv/bin/python Interfaces/python/crosschecks/jax_pc_reference.py
"""
import json
import time

import jax
import jax.numpy as jnp

SIZES = [64, 128, 128, 10]
B, T, GAMMA, LR = 64, 20, 0.1, 1e-3


def init(key):
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        key, sub = jax.random.split(key)
        bound = (6.0 / n_in) ** 0.5
        params.append((jax.random.uniform(sub, (n_out, n_in), jnp.float32, -bound, bound), jnp.zeros(n_out, jnp.float32)))
    return params


def phi(l, x):
    return x if l == 0 else jax.nn.relu(x)


def predictions(params, xs):
    # mu_l = phi(x_{l-1}) W_l^T + b_l
    return [phi(l, xs[l]) @ w.T + b for l, (w, b) in enumerate(params)]


def energy(params, xs):
    mus = predictions(params, xs)
    return sum(0.5 * jnp.sum((xs[l + 1] - mus[l]) ** 2) for l in range(len(params)))


def adam(params, grads, m, v, t):
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    params = jax.tree_util.tree_map(lambda p, m, v: p - LR * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
    return params, m, v


@jax.jit
def pc_step(params, m, v, t, x, y):
    xs = [x]
    for l, (w, b) in enumerate(params):
        xs.append(phi(l, xs[-1]) @ w.T + b)
    xs[-1] = y
    hidden = xs[1:-1]

    def body(_, hidden):
        g = jax.grad(lambda h: energy(params, [x] + h + [y]))(hidden)  # per-sample gradients (sum energy)
        return [h - GAMMA * gh for h, gh in zip(hidden, g)]

    hidden = jax.lax.fori_loop(0, T, body, hidden)
    grads = jax.grad(lambda p: energy(p, [x] + hidden + [y]) / B)(params)
    return adam(params, grads, m, v, t)


@jax.jit
def bp_step(params, m, v, t, x, y):
    def loss(p):
        h = x
        for l, (w, b) in enumerate(p):
            h = phi(l, h) @ w.T + b
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(h), axis=1))
    return adam(params, jax.grad(loss)(params), m, v, t)


def measure(step, repeats=7, calls=200):
    key = jax.random.PRNGKey(0)
    params = init(key)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    x = jax.random.uniform(key, (B, 64), jnp.float32)
    y = jax.nn.one_hot(jnp.arange(B) % 10, 10, dtype=jnp.float32)
    params, m, v = step(params, m, v, 1.0, x, y)
    jax.block_until_ready(params)
    samples = []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(calls):
            params, m, v = step(params, m, v, float(i + 2), x, y)
        jax.block_until_ready(params)
        samples.append((time.perf_counter() - start) / calls * 1e3)
    samples.sort()
    return samples[len(samples) // 2], samples[0]


if __name__ == "__main__":
    pc, pc_min = measure(pc_step)
    bp, bp_min = measure(bp_step)
    print(json.dumps({"jax": jax.__version__, "pc_il_ms_per_batch": pc, "pc_il_min": pc_min,
                      "backprop_ms_per_batch": bp, "backprop_min": bp_min}, indent=2))
