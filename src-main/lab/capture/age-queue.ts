// A keyed map with arrival order for expiry and eviction, O(1) amortized at any churn.
//
// V8's Map keeps deleted entries as holes until it rehashes, so iterating a Map from its start
// after many deletions at the front (a Map used as a queue) walks every hole: with 40k entries
// turning over, each expiry pass cost milliseconds. This keeps the order in a separate array.
export class AgeQueue<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();
  private order: { key: K; value: V; at: number }[] = [];
  private head = 0;

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Adds or replaces (a replaced entry counts from `at`). */
  set(key: K, value: V, at: number): void {
    this.map.set(key, { value, at });
    this.order.push({ key, value, at });
    this.compact();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The oldest live entry, without removing it. */
  peek(): { key: K; value: V; at: number } | undefined {
    while (this.head < this.order.length) {
      const e = this.order[this.head];
      const live = this.map.get(e.key);
      if (live && live.value === e.value && live.at === e.at) return e;
      this.head++;
    }
    this.order = [];
    this.head = 0;
    return undefined;
  }

  /** Removes and returns the oldest live entry. */
  shift(): { key: K; value: V; at: number } | undefined {
    const e = this.peek();
    if (e) {
      this.map.delete(e.key);
      this.head++;
    }
    return e;
  }

  values(): IterableIterator<V> {
    return [...this.map.values()].map((e) => e.value)[Symbol.iterator]();
  }

  private compact(): void {
    const queued = this.order.length - this.head;
    const consumed = this.head > 1024 && this.head > this.order.length / 2;
    if (!consumed && (queued < 1024 || queued < 2 * this.map.size)) return;
    // Stale entries (deleted or replaced) outnumber live ones: rebuild from the live ones in order.
    const live: { key: K; value: V; at: number }[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const e = this.order[i];
      const m = this.map.get(e.key);
      if (m && m.value === e.value && m.at === e.at) live.push(e);
    }
    this.order = live;
    this.head = 0;
  }
}
