import { ErrorCode } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { importOptionalPeer } from '../src/optional-peer.js';

describe('optional peer dependencies', () => {
  it('a missing one says which packages to install, not a bare "Cannot find package"', async () => {
    const missing = ['@tradenova', 'no-such-package'].join('/');
    const error = await importOptionalPeer(
      'the dxFeed market data source',
      [missing],
      () => import(missing),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.AdapterIncompatible });
    expect(String((error as Error).message)).toContain(`npm install ${missing}`);
  });

  it('other errors pass through unchanged', async () => {
    const boom = new Error('boom');
    await expect(importOptionalPeer('x', ['y'], () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
