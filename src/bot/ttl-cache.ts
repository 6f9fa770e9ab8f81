/** A bounded map whose entries expire (the directory's caches). */
/** A bounded map whose entries expire; reading an entry makes it the most recently used. */
export class TtlCache<K, V> {
  readonly #map = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    if (hit.expires <= this.now()) return undefined;
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.#map.delete(key);
    this.#map.set(key, { value, expires: this.now() + ttlMs });
    while (this.#map.size > this.max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }

  values(): V[] {
    const now = this.now();
    return [...this.#map.values()].filter((e) => e.expires > now).map((e) => e.value);
  }
}
