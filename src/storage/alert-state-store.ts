/**
 * The state of windowed alerts (error rate, p95 latency, health score), kept where every instance
 * can read it: the instance that leads evaluation writes each transition, and the next leader
 * (after a failover or a restart) carries on the same episodes instead of starting new ones, so a
 * firing alert is not announced twice.
 */
export interface AlertStateRow {
  rule: string;
  scopeKey: string;
  state: 'pending' | 'firing';
  value: number | null;
  /** Epoch ms when the condition started to hold: names the episode in every message's dedupe key. */
  episodeStart: number;
  /** Epoch ms when the current state began. */
  since: number;
  /** Epoch ms when the alert started firing; null while pending. */
  firingSince: number | null;
  /** Epoch ms of the last notification of this episode; null while pending. */
  notifiedAt: number | null;
  /** Repeat notifications sent so far. */
  repeats: number;
}

export interface AlertStateStore {
  list(): Promise<AlertStateRow[]>;
  /** Inserts or replaces the row of (rule, scopeKey). */
  put(row: AlertStateRow): Promise<void>;
  /** Forgets an alert that resolved (or recovered while pending). */
  remove(rule: string, scopeKey: string): Promise<void>;
}
