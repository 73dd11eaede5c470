/**
 * What a run leaves behind for a person: the seed and the command that replays it, the fault
 * schedule as it happened, the history (check-history reads it), holds, sessions, store calls,
 * status samples, the summary with every violation, and the HTML timeline. Server logs are
 * already in `logs/` (written during the run).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyJsonl } from '../checks/linearizability.js';
import type { RunData } from '../checks/run-data.js';
import type { CheckedRun } from '../run/check-run.js';
import { formatSummary } from './summary.js';
import { renderTimeline } from './timeline.js';

export function saveArtifacts(dir: string, data: RunData, checked: CheckedRun, replayCommand: string): void {
  const jsonl = (rows: readonly unknown[]): string =>
    rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
  writeFileSync(join(dir, 'seed.txt'), `${data.seed}\nreplay: ${replayCommand}\n`);
  writeFileSync(join(dir, 'faults.jsonl'), jsonl(data.faults));
  writeFileSync(join(dir, 'history.jsonl'), historyJsonl(data.history));
  writeFileSync(join(dir, 'holds.jsonl'), jsonl(data.holds));
  writeFileSync(join(dir, 'sessions.jsonl'), jsonl(data.sessions));
  writeFileSync(join(dir, 'store.jsonl'), jsonl(data.storeLog));
  writeFileSync(join(dir, 'status.jsonl'), jsonl(data.statusSamples));
  writeFileSync(join(dir, 'summary.txt'), `${formatSummary(data, checked, replayCommand)}\n`);
  writeFileSync(
    join(dir, 'timeline.html'),
    renderTimeline(data, checked.violations, `Baton chaos seed ${data.seed}, ${data.nodes} nodes`),
  );
}
