import type { PromptChangeFeed, PromptStore } from '../../storage/index.js';
import { loadPromptDefinitions } from './load-prompt-definitions.js';
import { PromptRegistry } from './prompt-registry.js';

export interface PromptRegistryLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface PromptRegistrySettings {
  store: PromptStore;
  /** Redis pub/sub between instances, or the disabled feed for one instance. */
  feed: PromptChangeFeed;
  cacheTtlMs: number;
  /** The config's `prompts:` list. */
  definitions: readonly unknown[];
  /** `prompts_dir`, resolved; null when unset. */
  directory: string | null;
  logger: PromptRegistryLogger;
  clock?: () => number;
}

/** How long start waits for the feed's subscription before going on (it keeps trying). */
const SUBSCRIBE_WAIT_MS = 2000;
/** How long start waits for the sync; a database that is down lets the gateway start without it. */
const SYNC_WAIT_MS = 5000;

/**
 * The registry and its start: the prompts as code are read and checked now (a mistake stops
 * the gateway from starting, naming the file and field); `start` subscribes to changes and
 * syncs them into the database once it is migrated.
 */
export function createPromptRegistry(settings: PromptRegistrySettings): { registry: PromptRegistry; start: (migrated?: Promise<void>) => Promise<void> } {
  const definitions = loadPromptDefinitions(settings.definitions, settings.directory);
  const registry = new PromptRegistry({
    store: settings.store,
    feed: settings.feed,
    cacheTtlMs: settings.cacheTtlMs,
    clock: settings.clock,
    onError: (error, context) => settings.logger.warn({ err: error }, `prompt registry: ${context} failed`),
  });
  const sync = async (): Promise<void> => {
    for (const definition of definitions) {
      try {
        const result = await registry.sync('config', definition, 'config');
        if (result.created !== null || result.moves.length > 0) {
          settings.logger.info({
            prompt: definition.name, version: result.version, created: result.created,
            labels: result.moves.map((move) => `${move.label}: ${move.fromVersion ?? '-'} → ${move.toVersion}`),
          }, 'prompt synced from config');
        }
      } catch (error) {
        settings.logger.warn({ err: error, prompt: definition.name }, 'syncing a prompt from config failed');
      }
    }
  };
  /** Subscribes, then syncs once the database is migrated; waits a bounded time for either. */
  const start = async (migrated: Promise<void> = Promise.resolve()): Promise<void> => {
    const subscribed = registry.start().catch((error: unknown) => settings.logger.warn({ err: error }, 'prompt change feed: subscribing failed'));
    await within(subscribed, SUBSCRIBE_WAIT_MS);
    await within(migrated.then(sync), SYNC_WAIT_MS);
  };
  return { registry, start };
}

async function within(work: Promise<unknown>, milliseconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => {
    timer = setTimeout(resolve, milliseconds);
    timer.unref();
  })]);
  clearTimeout(timer);
}
