import type { PromptChange, PromptChangeFeed } from '../prompt-change-feed.js';

/** One instance (no storage.redis_url): its own writes invalidate its cache; nobody else to tell. */
export class DisabledPromptChangeFeed implements PromptChangeFeed {
  readonly kind = 'disabled';

  async publish(_change: PromptChange): Promise<void> {}

  async subscribe(_onChange: (change: PromptChange) => void, _onReset: () => void): Promise<void> {}

  status(): 'not_configured' {
    return 'not_configured';
  }

  async close(): Promise<void> {}
}
