/**
 * Collects what is added in the same event-loop turn and hands it to `flush` as one batch, one
 * batch at a time (group commit). `flush` must settle every item it is given; it must not throw.
 */
export class TurnBatcher<T> {
  #pending: T[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly flush: (batch: T[]) => Promise<void>) {}

  add(item: T): void {
    this.#pending.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#flushing = this.#flushing.then(() => {
        const batch = this.#pending;
        this.#pending = [];
        this.#scheduled = false;
        return this.flush(batch);
      });
    });
  }

  /** Resolves when every item added so far has been flushed. */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.#flushing;
  }
}
