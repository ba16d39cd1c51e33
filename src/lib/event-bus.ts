export type Listener<T> = (event: T) => void;

/**
 * Synchronous fan-out to subscribers. Subscribers must be cheap (queue and return); one that
 * throws is isolated so a broken subscriber never fails a request.
 */
export class EventBus<T> {
  private listeners: Array<Listener<T>> = [];
  private readonly onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.onListenerError = onListenerError;
  }

  subscribe(listener: Listener<T>): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((item) => item !== listener);
    };
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
