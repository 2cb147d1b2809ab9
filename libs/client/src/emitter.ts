/** A listener map: event name -> the listener's argument. */
export type EventMap = Record<string, unknown>;

/**
 * A small typed event emitter that runs in browsers and Node (no `node:events`). A listener
 * that throws is reported to `onListenerError` and does not stop the others.
 */
export class Emitter<M extends EventMap> {
  private readonly listeners = new Map<keyof M, Set<(arg: never) => void>>();

  constructor(private readonly onListenerError: (err: unknown) => void = (err) => console.error(err)) {}

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof M>(event: E, listener: (arg: M[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (arg: never) => void);
    return () => this.off(event, listener);
  }

  once<E extends keyof M>(event: E, listener: (arg: M[E]) => void): () => void {
    const off = this.on(event, (arg) => {
      off();
      listener(arg);
    });
    return off;
  }

  off<E extends keyof M>(event: E, listener: (arg: M[E]) => void): void {
    this.listeners.get(event)?.delete(listener as (arg: never) => void);
  }

  protected emit<E extends keyof M>(event: E, arg: M[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (arg: M[E]) => void)(arg);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
