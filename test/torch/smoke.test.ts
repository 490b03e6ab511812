import { describe, it, expect } from 'vitest';
import { torch } from '../../lib/index.js';

describe('smoke', () => {
  it('adds', () => {
    expect(
      Array.from(
        torch
          .tensor([1, 2])
          .add(torch.tensor([3, 4]))
          .toArray() as BigInt64Array,
      ),
    ).toEqual([4n, 6n]);
  });
});
