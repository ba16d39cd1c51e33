/** One stored Responses API object with the context it answered, for GET and `previous_response_id`. */
export interface StoredResponse {
  /** `resp_…`, minted by Sluice. */
  id: string;
  /** Who may read it: `tenant:<id>`, else `key:<id>`, else the principal (see the responses use case). */
  owner: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms after which it is gone; null = kept until deleted. */
  expiresAt: number | null;
  /** The Response object exactly as the client received it (JSON). */
  response: Record<string, unknown>;
  /**
   * Every input item the model saw, in order: the earlier turns' inputs and outputs, then this
   * request's input. A follow-up appends this response's output, so one read rebuilds a chain.
   */
  inputItems: Array<Record<string, unknown>>;
}

/**
 * Stored Responses API objects. Reads are owner-scoped: another owner's id, like an expired
 * one, is simply not found.
 */
export interface ResponseStore {
  /** Inserts the record; resolves once it is durable (a follow-up on any instance finds it). */
  put(record: StoredResponse): Promise<void>;
  /** The record if it exists, belongs to `owner` and has not expired at `now` (epoch ms). */
  get(id: string, owner: string, now: number): Promise<StoredResponse | null>;
  /** Deletes it; false when there was nothing of this owner's to delete. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Deletes every record expired at `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** `responses.store: false`: nothing is kept, so every lookup misses. */
export class DisabledResponseStore implements ResponseStore {
  async put(): Promise<void> {}
  async get(): Promise<StoredResponse | null> {
    return null;
  }
  async delete(): Promise<boolean> {
    return false;
  }
  async deleteExpired(): Promise<number> {
    return 0;
  }
}
