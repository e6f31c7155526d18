#!/usr/bin/env python3
"""Writes the golden stream of PCKit's generator from an independent Python implementation.

xoshiro256** (Blackman & Vigna 2018), seeded by four SplitMix64 outputs, exactly as
Sources/PCNumerics/Xoshiro256.swift documents it. The Swift test compares its first 1,000 draws
(raw 64-bit words, uniforms and bounded integers) against this file, and tests/python checks that
this script still reproduces the committed file.

Usage: python3 make_xoshiro_golden.py > xoshiro256_seed42.txt
"""
import sys

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256:
    def __init__(self, seed):
        sm = seed & MASK
        self.s = []
        for _ in range(4):
            sm, out = splitmix64(sm)
            self.s.append(out)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def int_below(self, bound):
        # Lemire's nearly divisionless method, as in the Swift code.
        m = self.next() * bound
        low = m & MASK
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                m = self.next() * bound
                low = m & MASK
        return m >> 64


def golden_lines(seed=42, count=1000):
    g = Xoshiro256(seed)
    lines = [f"# xoshiro256** seed {seed}: {count} raw words, then {count} uniforms (hex float), then {count} ints below 1000"]
    lines += [str(g.next()) for _ in range(count)]
    lines += [float.hex(g.uniform()) for _ in range(count)]
    lines += [str(g.int_below(1000)) for _ in range(count)]
    return lines


if __name__ == "__main__":
    sys.stdout.write("\n".join(golden_lines()) + "\n")
