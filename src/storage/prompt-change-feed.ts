/** A prompt's label moved or it got a version: every instance drops what it cached for it. */
export interface PromptChange {
  tenantId: string | null;
  name: string;
}

/** How instances tell each other that a prompt changed. */
export interface PromptChangeFeed {
  readonly kind: 'redis' | 'disabled';
  /** Best effort: a lost message is covered by the registry's cache TTL. */
  publish(change: PromptChange): Promise<void>;
  /**
   * `onChange` hears every change published by any instance (this one included); `onReset` is
   * called when changes may have been missed (the connection came back), so caches start over.
   */
  subscribe(onChange: (change: PromptChange) => void, onReset: () => void): Promise<void>;
  status(): 'ok' | 'unreachable' | 'not_configured';
  close(): Promise<void>;
}
