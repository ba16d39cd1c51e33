import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { JobAssets } from './job-assets.js';

async function* bytes(...pieces: string[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield Buffer.from(piece);
}

async function read(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('JobAssets', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });
  const setUp = () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-job-assets-'));
    directories.push(directory);
    const clock = new ManualClock();
    return { directory, clock, assets: new JobAssets(directory, 60_000, clock) };
  };

  it('serves a kept asset until its TTL, then never again, and the sweep deletes it', async () => {
    const { directory, clock, assets } = setUp();
    await assets.save('video_a', { contentType: 'video/mp4', length: null, body: bytes('abc', 'def') }, 1000);
    const kept = await assets.open('video_a');
    expect(kept).toMatchObject({ contentType: 'video/mp4', length: 6 });
    expect(await read(kept?.body ?? bytes())).toBe('abcdef');
    await clock.advance(59_999);
    expect(await assets.sweep()).toBe(0);
    expect(await assets.open('video_a')).not.toBeNull();
    await clock.advance(1);
    expect(await assets.open('video_a')).toBeNull();
    await assets.save('video_b', { contentType: 'video/mp4', length: null, body: bytes('x') }, 1000);
    await clock.advance(60_000);
    expect(await assets.sweep()).toBe(1);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('keeps nothing when the content is over the limit or its download fails', async () => {
    const { directory, assets } = setUp();
    await expect(assets.save('video_big', { contentType: 'video/mp4', length: null, body: bytes('12345', '67890') }, 8)).rejects.toThrow(/over the 8 bytes/);
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('part');
      throw new Error('connection reset');
    }
    await expect(assets.save('video_cut', { contentType: 'video/mp4', length: null, body: broken() }, 1000)).rejects.toThrow('connection reset');
    expect(readdirSync(directory)).toEqual([]);
    expect(await assets.open('video_big')).toBeNull();
  });
});
