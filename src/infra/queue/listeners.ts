// The listen() bookkeeping both queue backends share: each listen() loop stops when its own
// signal aborts or when the queue closes, and close() waits until every loop has drained
// (finished the jobs in hand), so a caller of close() knows no handler is still running.

type Loop = (signal: AbortSignal) => Promise<void>;

export class ListenLoops {
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<void>>();

  /** Runs `loop` until `signal` aborts or close() is called; its promise settles after the drain. */
  start(loop: Loop, signal?: AbortSignal): Promise<void> {
    const signals = [this.#closing.signal];
    if (signal) signals.push(signal);
    const promise = loop(AbortSignal.any(signals));
    this.#running.add(promise);
    void promise.finally(() => this.#running.delete(promise));
    return promise;
  }

  /** Stops every loop and waits for all of them to settle. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#running]);
  }
}
