/** `baton status`: the answering node's view of the cluster, as a table or JSON. */
import type { GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect, interruptible } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { StatusResult } from '../sdk.js';
import { formatFields, formatTable } from '../table.js';

export async function runStatus(ctx: CliContext, globals: GlobalOptions): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const status = await interruptible(ctx, client.status());
    ctx.stdout.write(`${globals.json ? JSON.stringify(status) : formatStatus(status)}\n`);
    return EXIT.ok;
  } finally {
    await closeClient(client);
  }
}

export function formatStatus(s: StatusResult): string {
  const fields = formatFields([
    ['answered by', `${s.nodeId} (${s.role})`],
    [
      'leader',
      s.leaderId === null ? 'none' : `${s.leaderId}${s.leaderClientUrl === null ? '' : `  ${s.leaderClientUrl}`}`,
    ],
    ['raft term', String(s.term)],
    ['commit index', String(s.commitIndex)],
    ['applied index', String(s.appliedIndex)],
  ]);
  const members = formatTable(
    ['MEMBER', 'ROLE', 'CLIENT URL', ''],
    s.members.map((m) => [m.id, m.role, m.clientUrl, m.id === s.leaderId ? 'leader' : '']),
  );
  return `${fields}\n\nmembers (${s.members.length}):\n${members
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`;
}
