/** A binary min-heap ordered by (time, seq): events at the same time keep their insertion order. */
export class EventHeap<T> {
  private readonly items: { time: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(time: number, value: T): void {
    const item = { time, seq: this.seq++, value };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(item, a[p] as typeof item)) break;
      a[i] = a[p] as typeof item;
      i = p;
    }
    a[i] = item;
  }

  peekTime(): number {
    return this.items.length > 0 ? (this.items[0] as { time: number }).time : Number.POSITIVE_INFINITY;
  }

  pop(): { time: number; value: T } | undefined {
    const a = this.items;
    const top = a[0];
    if (top === undefined) return undefined;
    const last = a.pop() as typeof top;
    if (a.length > 0) {
      const n = a.length;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = -1;
        let best = last;
        if (l < n && less(a[l] as typeof top, best)) {
          m = l;
          best = a[l] as typeof top;
        }
        if (r < n && less(a[r] as typeof top, best)) {
          m = r;
          best = a[r] as typeof top;
        }
        if (m < 0) break;
        a[i] = best;
        i = m;
      }
      a[i] = last;
    }
    return { time: top.time, value: top.value };
  }

  /** Keeps only the items whose time satisfies `keep`. */
  filterTimed(keep: (time: number) => boolean): void {
    const kept = this.items.filter((it) => keep(it.time));
    this.items.length = 0;
    for (const it of kept.sort((x, y) => (less(x, y) ? -1 : 1))) this.items.push(it);
  }

  /** Keeps only the items for which `keep` is true. */
  filter(keep: (v: T) => boolean): void {
    const kept = this.items.filter((it) => keep(it.value));
    this.items.length = 0;
    for (const it of kept.sort((x, y) => (less(x, y) ? -1 : 1))) this.items.push(it);
  }
}

function less(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
