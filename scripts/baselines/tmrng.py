"""torchmix's data RNG (lib/data/rng.ts: xoshiro128** seeded through splitmix32) in Python, with the
two things the training recipe draws from it: the DataLoader's per-epoch permutation (Rng(seed, epoch))
and symmetric label noise (lib/data/noise.ts: Rng(seed, 0x6e6f6973), partial Fisher-Yates sample of
round(p*n) indices, each relabelled uniformly over all classes). train.py --same-stream uses them so the
Python baseline trains on exactly torchmix's batches and labels.
"""
import math

M = 0xFFFFFFFF


def _splitmix32(a):
    state = [a & M]

    def nxt():
        state[0] = (state[0] + 0x9E3779B9) & M
        z = state[0]
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M
        return z ^ (z >> 16)
    return nxt


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M


class Rng:
    def __init__(self, *keys):
        h = 0x243F6A88
        for k in keys:
            lo, hi = k & M, (k // 4294967296) & M
            h = _splitmix32(h ^ lo)() ^ (((hi + 1) * 0x9E3779B1) & M)
            h = _splitmix32(h)()
        sm = _splitmix32(h)
        self.s = [sm(), sm(), sm(), sm()]
        if not any(self.s):
            self.s[0] = 1

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        r = (_rotl((s1 * 5) & M, 7) * 9) & M
        t = (s1 << 9) & M
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return r

    def int(self, n):
        """Uniform in [0, n), rejection-sampled as Rng.int."""
        if n <= 1:
            return 0
        limit = 4294967296 - (4294967296 % n)
        while True:
            x = self.next_u32()
            if x < limit:
                return x % n

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def sample(rng, n, m):
    """m distinct indices from range(n) (partial Fisher-Yates, as noise.ts sample)."""
    a = list(range(n))
    for i in range(m):
        j = i + rng.int(n - i)
        a[i], a[j] = a[j], a[i]
    return a[:m]


def corrupt_symmetric(labels, fraction, seed, num_classes):
    """data.corruptLabels(labels, { fraction, mode: 'symmetric', seed, numClasses }) → (labels, rate)."""
    rng = Rng(seed, 0x6E6F6973)
    out = labels.clone()
    n = labels.shape[0]
    for i in sample(rng, n, math.floor(fraction * n + 0.5)):  # JS Math.round
        out[i] = rng.int(num_classes)
    return out, float((out != labels).float().mean())
