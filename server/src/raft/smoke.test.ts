import { describe, expect, it } from 'vitest';
import { MemoryStorage, type Message, RawNode } from './index.js';

function rng(seed: number) {
  let s = seed;
  return { nextInt: (lo: number, hi: number) => { s = (s * 1103515245 + 12345) % 2147483648; return lo + (s % (hi - lo)); } };
}

describe('smoke', () => {
  it('3 nodes elect and commit', () => {
    const ids = [1, 2, 3];
    const stores = new Map(ids.map((id) => [id, new MemoryStorage({ confState: { voters: ids, learners: [] } })]));
    const nodes = new Map(ids.map((id) => [id, new RawNode({ id, storage: stores.get(id)!, rng: rng(id) })]));
    const applied = new Map<number, number[]>(ids.map((id) => [id, []]));
    let q: Message[] = [];
    const pump = () => {
      for (let round = 0; round < 100; round++) {
        let any = false;
        for (const id of ids) {
          const n = nodes.get(id)!;
          while (n.hasReady()) {
            any = true;
            const rd = n.ready();
            const st = stores.get(id)!;
            if (rd.snapshot) st.applySnapshot(rd.snapshot);
            st.append(rd.entries);
            if (rd.hardState) st.setHardState(rd.hardState);
            q.push(...rd.messages, ...rd.messagesAfterPersist.filter((m) => m.to !== id));
            for (const e of rd.committedEntries) applied.get(id)!.push(e.index);
            n.advance();
          }
        }
        const batch = q; q = [];
        for (const m of batch) { any = true; nodes.get(m.to)!.step(m); }
        if (!any) return;
      }
    };
    nodes.get(1)!.campaign();
    pump();
    expect(nodes.get(1)!.status().softState.role).toBe('leader');
    for (let i = 0; i < 10; i++) expect(nodes.get(1)!.propose(new Uint8Array([i])).ok).toBe(true);
    pump();
    for (const id of ids) expect(applied.get(id)!.length).toBe(11);
    for (let t = 0; t < 50; t++) { for (const n of nodes.values()) n.tick(); pump(); }
    expect(nodes.get(1)!.status().softState.role).toBe('leader');
    expect(nodes.get(1)!.status().leaseValid).toBe(true);
  });
});
