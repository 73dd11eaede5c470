/** `baton describe <name>`: holders, waiters, limit and lock-delay, as a table or JSON. */
import type { GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect, interruptible } from '../context.js';
import { formatDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { ElectionLeader, Holder, LockDescribeResult, Metadata } from '../sdk.js';
import { formatFields, formatTable } from '../table.js';

export async function runDescribe(ctx: CliContext, globals: GlobalOptions, name: string): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const described = await interruptible(ctx, client.describe(name));
    // the describe answer has no election values: the leader read adds the value
    const leader = described.kind === 'election' ? await interruptible(ctx, client.leader(name)) : undefined;
    if (globals.json) {
      ctx.stdout.write(`${JSON.stringify(leader === undefined ? described : { ...described, leader })}\n`);
    } else {
      ctx.stdout.write(`${formatDescribe(described, leader)}\n`);
    }
    return EXIT.ok;
  } finally {
    await closeClient(client);
  }
}

export function formatDescribe(d: LockDescribeResult, leader?: ElectionLeader | null): string {
  if (d.kind === 'none') return `${d.name}: free (no holder, no waiter, no lock-delay)`;
  const election = d.kind === 'election';
  const fields: [string, string][] = [
    ['name', d.name],
    ['kind', d.kind === 'semaphore' ? `semaphore (limit ${d.limit})` : d.kind],
    ['generation', String(d.generation)],
  ];
  if (election) {
    fields.push(['leader', leader == null ? 'none' : `${JSON.stringify(leader.value)} (term ${leader.term})`]);
  }
  if (!election)
    fields.push(['lock-delay', d.lockDelayRemainingMs > 0 ? formatDuration(d.lockDelayRemainingMs) : 'none']);
  const sections = [formatFields(fields)];
  const tokenHeader = election ? 'TERM' : 'TOKEN';
  sections.push(
    d.holders.length === 0
      ? `${election ? 'leader' : 'holders'}: none`
      : `${election ? 'leader' : `holders (${d.holders.length}/${d.limit})`}:\n${indent(
          formatTable(
            [tokenHeader, 'GENERATION', 'SESSION', 'FOR', 'OWNER'],
            d.holders.map((h: Holder) => [
              String(h.token),
              String(h.generation),
              h.sessionId,
              formatDuration(h.sinceMs),
              owner(h.metadata),
            ]),
          ),
        )}`,
  );
  sections.push(
    d.waiters.length === 0
      ? `${election ? 'candidates' : 'waiters'}: none`
      : `${election ? 'candidates' : 'waiters'} (${d.waiters.length}, first is next):\n${indent(
          formatTable(
            ['#', 'SESSION', 'WAITING', 'OWNER'],
            d.waiters.map((w, i) => [String(i + 1), w.sessionId, formatDuration(w.sinceMs), owner(w.metadata)]),
          ),
        )}`,
  );
  return sections.join('\n\n');
}

function owner(metadata: Metadata | undefined): string {
  if (metadata === undefined) return '-';
  const parts = [metadata.owner, metadata.pid === undefined ? undefined : `pid ${metadata.pid}`, metadata.host];
  const shown = parts.filter((p): p is string => p !== undefined);
  return shown.length === 0 ? '-' : shown.join(' · ');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
