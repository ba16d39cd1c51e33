import { GatewayError, convertWireUsage } from '../core/index.js';
import type { ChatResult, ChatStream, StreamChunk } from '../core/index.js';
import type { CachedChatResult } from './cached-result.js';
import { StreamResultAccumulator, fromCompletion } from './cached-result.js';
import type { ReplayIdentity } from './replay.js';
import { fromArray, toChunks, toCompletion } from './replay.js';

export type FlightMode = 'json' | 'stream';

/** How a finished flight ended, for the one cache write it makes. */
export interface FlightOutcome {
  /** Null when a JSON answer's body could not be read as a completion (it is then served, never stored). */
  cached: CachedChatResult | null;
  /** The upstream answer as a ChatResult (JSON flights) or the stream's provider (stream flights). */
  provider: string;
  model: string;
  staticFallback: boolean;
}

/**
 * One upstream call shared by every request that joins it (single flight). The call runs under
 * the flight's own AbortSignal, not any client's: it is cancelled only when every participant
 * has gone. A stream flight is pumped by the flight itself into an event log, so each streaming
 * participant reads the log from the start and then live, and a participant that leaves does not
 * stop the others. A JSON flight shares its ChatResult (the same bytes for everyone).
 *
 * Participants that want the other mode get the finished answer replayed: a JSON caller of a
 * stream flight gets the completion rebuilt from the stream; a streaming caller of a JSON flight
 * gets the completion cut into chunks. Both carry the upstream answer's id and created time.
 */
export class Flight {
  readonly mode: FlightMode;
  private readonly controller = new AbortController();
  private participants = 0;
  private readonly events: StreamChunk[] = [];
  private readonly accumulator = new StreamResultAccumulator();
  private started: Promise<ChatResult | ChatStream>;
  private finished: Promise<FlightOutcome>;
  private settled = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;
  private identity: ReplayIdentity | null = null;

  constructor(mode: FlightMode, start: (signal: AbortSignal) => Promise<ChatResult | ChatStream>) {
    this.mode = mode;
    this.started = start(this.controller.signal);
    this.finished = this.run();
    // Nobody may be waiting when a flight fails (every participant gone): that is no crash.
    this.started.catch(() => {});
    this.finished.catch(() => {});
  }

  /** Participants attached and not yet gone. */
  get size(): number {
    return this.participants;
  }

  /** Resolves with the flight's outcome (for the cache write); rejects when it failed. */
  outcome(): Promise<FlightOutcome> {
    return this.finished;
  }

  get done(): boolean {
    return this.settled;
  }

  /**
   * Joins the flight in the mode the caller wants. The participant counts until its signal
   * aborts, its stream ends or is returned, or its JSON answer is delivered.
   */
  async join(signal: AbortSignal, wants: FlightMode): Promise<ChatResult | ChatStream> {
    const release = this.attach(signal);
    try {
      if (wants === 'stream' && this.mode === 'stream') {
        const upstream = await abortable(this.started, signal);
        if (!('chunks' in upstream)) throw new Error('a stream flight started without a stream');
        return { provider: upstream.provider, model: upstream.model, staticFallback: upstream.staticFallback, chunks: this.subscribe(signal, release) };
      }
      const outcome = await abortable(this.finished, signal);
      const identity = this.identity ?? { id: 'chatcmpl-sluice', created: 0 };
      release();
      const upstream = await this.started;
      if (wants === 'json' && !('chunks' in upstream)) return upstream;
      const cached = outcome.cached;
      if (cached === null) {
        // Rethrows why the JSON answer could not be read: a streaming participant needs it.
        if (!('chunks' in upstream)) upstream.readCompletion();
        throw new GatewayError('provider_error', 'the upstream answer could not be read');
      }
      if (wants === 'json') {
        const completion = toCompletion(cached, identity);
        const usage = completion.usage ? convertWireUsage(completion.usage) : null;
        return { readCompletion: () => completion, usage, provider: outcome.provider, model: outcome.model };
      }
      const chunks = toChunks(cached, identity, true);
      return { provider: outcome.provider, model: outcome.model, chunks: fromArray(chunks) };
    } catch (error) {
      release();
      throw error;
    }
  }

  private attach(signal: AbortSignal): () => void {
    this.participants += 1;
    let attached = true;
    const release = (): void => {
      if (!attached) return;
      attached = false;
      signal.removeEventListener('abort', release);
      this.participants -= 1;
      if (this.participants === 0 && !this.settled) this.controller.abort(signal.reason ?? new Error('every client went away'));
      this.notify();
    };
    if (signal.aborted) queueMicrotask(release);
    else signal.addEventListener('abort', release, { once: true });
    return release;
  }

  private async run(): Promise<FlightOutcome> {
    try {
      const upstream = await this.started;
      if (!('chunks' in upstream)) {
        let cached: CachedChatResult | null = null;
        try {
          const completion = upstream.readCompletion();
          this.identity = { id: completion.id, created: completion.created };
          cached = fromCompletion(completion, upstream.provider, upstream.model);
        } catch {
          // A malformed body still goes to JSON participants as it came; it is just not cached.
        }
        return { cached, provider: upstream.provider, model: upstream.model, staticFallback: upstream.staticFallback !== undefined };
      }
      const iterator = upstream.chunks[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) break;
          const chunk = next.value.chunk;
          if (this.identity === null) this.identity = { id: chunk.id, created: chunk.created };
          this.accumulator.push(chunk);
          this.events.push(next.value);
          this.notify();
        }
      } catch (error) {
        await iterator.return?.().catch(() => {});
        throw error;
      }
      if (this.controller.signal.aborted) throw this.controller.signal.reason;
      return {
        cached: this.accumulator.result(upstream.provider, upstream.model),
        provider: upstream.provider, model: upstream.model, staticFallback: upstream.staticFallback !== undefined,
      };
    } catch (error) {
      this.failure = { error };
      throw error;
    } finally {
      this.settled = true;
      this.notify();
    }
  }

  /** The event log from the start, then live; ends (or throws) as the upstream stream did. */
  private async *subscribe(signal: AbortSignal, release: () => void): AsyncGenerator<StreamChunk> {
    let index = 0;
    try {
      for (;;) {
        while (index < this.events.length) {
          const event = this.events[index++];
          if (event !== undefined) yield event;
        }
        if (signal.aborted) return;
        if (this.failure !== null) throw this.failure.error;
        if (this.settled) return;
        await new Promise<void>((resolve) => {
          const previous = this.wake;
          this.wake = () => {
            previous?.();
            resolve();
          };
        });
      }
    } finally {
      release();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Single-flight by cache key on one instance. */
export class Coalescer {
  private readonly flights = new Map<string, Flight>();
  private readonly maxParticipants: number;

  constructor(options: { maxWaiters: number }) {
    this.maxParticipants = options.maxWaiters + 1;
  }

  /** The flight for this key that still has room, if any (running, or finished and not yet forgotten). */
  find(key: string): Flight | undefined {
    const flight = this.flights.get(key);
    if (flight === undefined || flight.size >= this.maxParticipants) return undefined;
    return flight;
  }

  /**
   * Starts a flight others may join. A failed flight is forgotten at once (the next request tries
   * again); a successful one stays joinable until `forget`, which the cache calls once the answer
   * is stored, so no request falls into the gap between the answer and its cache entry.
   */
  lead(key: string, mode: FlightMode, start: (signal: AbortSignal) => Promise<ChatResult | ChatStream>): Flight {
    const flight = new Flight(mode, start);
    this.flights.set(key, flight);
    flight.outcome().catch(() => this.forget(key, flight));
    return flight;
  }

  forget(key: string, flight: Flight): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  /** A flight nobody else may join (no-cache requests, or coalescing off): same accounting, no sharing. */
  solo(mode: FlightMode, start: (signal: AbortSignal) => Promise<ChatResult | ChatStream>): Flight {
    return new Flight(mode, start);
  }

  /** Flights in progress (tests, metrics). */
  get size(): number {
    return this.flights.size;
  }
}

/** Rejects with the signal's reason when it aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
