import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { JobContent } from '../core/index.js';
import type { Clock } from '../lib/index.js';

const metaSchema = z.object({ contentType: z.string(), length: z.number().int().min(0), expiresAt: z.number() });

/**
 * Finished videos kept on local disk for `jobs.assets.ttl_ms` (`jobs.assets.directory`), so a
 * download no longer depends on the provider keeping the file. Each asset is `<job id>.bin` and
 * its `<job id>.json` (content type, size, expiry). An expired asset is never served, whether or
 * not the sweep has removed it yet. Without a directory (the default) content streams through.
 */
export class JobAssets {
  private readonly directory: string;

  constructor(directory: string, private readonly ttlMs: number, private readonly clock: Pick<Clock, 'now'>) {
    this.directory = resolve(directory);
  }

  /** Writes the content (at most maxBytes); the asset appears only once it is complete. */
  async save(jobId: string, content: JobContent, maxBytes: number): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const partial = join(this.directory, `${safe(jobId)}.partial`);
    let length = 0;
    const counted = async function* (): AsyncGenerator<Buffer> {
      for await (const piece of content.body) {
        length += piece.length;
        if (length > maxBytes) throw new Error(`the content is over the ${maxBytes} bytes allowed`);
        yield piece;
      }
    };
    try {
      await pipeline(Readable.from(counted()), createWriteStream(partial));
      await rename(partial, this.binary(jobId));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await writeFile(this.meta(jobId), JSON.stringify({ contentType: content.contentType, length, expiresAt: this.clock.now() + this.ttlMs }));
  }

  /** The kept asset, or null when there is none or it expired (then it is deleted). */
  async open(jobId: string): Promise<JobContent | null> {
    let meta: z.infer<typeof metaSchema>;
    try {
      meta = metaSchema.parse(JSON.parse(await readFile(this.meta(jobId), 'utf8')));
    } catch {
      return null;
    }
    if (meta.expiresAt <= this.clock.now()) {
      await this.remove(jobId);
      return null;
    }
    const size = await stat(this.binary(jobId)).then((info) => info.size, () => null);
    if (size === null) return null;
    return { contentType: meta.contentType, length: size, body: createReadStream(this.binary(jobId)) };
  }

  /** Deletes every expired asset; resolves with how many. */
  async sweep(): Promise<number> {
    const names = await readdir(this.directory).catch(() => []);
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const jobId = name.slice(0, -'.json'.length);
      const expiresAt = await readFile(join(this.directory, name), 'utf8')
        .then((text) => metaSchema.parse(JSON.parse(text)).expiresAt, () => Number.NEGATIVE_INFINITY);
      if (expiresAt > this.clock.now()) continue;
      await this.remove(jobId);
      removed += 1;
    }
    return removed;
  }

  async remove(jobId: string): Promise<void> {
    await rm(this.meta(jobId), { force: true });
    await rm(this.binary(jobId), { force: true });
  }

  private binary(jobId: string): string {
    return join(this.directory, `${safe(jobId)}.bin`);
  }

  private meta(jobId: string): string {
    return join(this.directory, `${safe(jobId)}.json`);
  }
}

/** Job ids are opaque tokens we made; still, never let one name a path outside the directory. */
function safe(jobId: string): string {
  return jobId.replace(/[^A-Za-z0-9_-]/g, '_');
}
