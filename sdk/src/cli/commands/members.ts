/** `baton members list|add|promote|remove`: membership changes without downtime. */
import type { AdminArgs } from '../admin-args.js';
import type { GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect, interruptible, say } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { AdminMember, AdminMembersListResult } from '../sdk.js';
import { formatTable } from '../table.js';

type MembersArgs = Extract<AdminArgs, { action: `members.${string}` }>;

export async function runMembers(ctx: CliContext, globals: GlobalOptions, args: MembersArgs): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    switch (args.action) {
      case 'members.list': {
        const list = await interruptible(ctx, client.members());
        ctx.stdout.write(`${globals.json ? JSON.stringify(list) : formatMembers(list)}\n`);
        return EXIT.ok;
      }
      case 'members.add': {
        if (!args.learner) say(ctx, `adding ${args.id} as a learner; it becomes a voter once it caught up`);
        const member = await interruptible(
          ctx,
          client.addMember(args.id, args.peerUrl, {
            voter: !args.learner,
            ...(args.clientUrl === undefined ? {} : { clientUrl: args.clientUrl }),
            ...(args.timeoutMs === undefined ? {} : { catchUpTimeoutMs: args.timeoutMs }),
          }),
        );
        printMember(ctx, globals, member, `added ${member.id} as a ${member.role}`);
        return EXIT.ok;
      }
      case 'members.promote': {
        const member = await interruptible(
          ctx,
          client.promoteMember(args.id, args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
        );
        printMember(ctx, globals, member, `promoted ${member.id} to voter`);
        return EXIT.ok;
      }
      case 'members.remove':
        await interruptible(ctx, client.removeMember(args.id));
        ctx.stdout.write(globals.json ? `${JSON.stringify({ removed: args.id })}\n` : `removed ${args.id}\n`);
        return EXIT.ok;
    }
  } finally {
    await closeClient(client);
  }
}

function printMember(ctx: CliContext, globals: GlobalOptions, member: AdminMember, text: string): void {
  ctx.stdout.write(globals.json ? `${JSON.stringify(member)}\n` : `${text} (${member.peerUrl})\n`);
}

export function formatMembers(list: AdminMembersListResult): string {
  const table = formatTable(
    ['MEMBER', 'ROLE', '', 'MATCH', 'LAG', 'REACHABLE', 'PEER URL', 'CLIENT URL'],
    list.members.map((m) => [
      m.id,
      m.role,
      m.isLeader ? 'leader' : '',
      String(m.matchIndex),
      String(m.lagEntries),
      m.reachable ? 'yes' : 'NO',
      m.peerUrl,
      m.clientUrl,
    ]),
  );
  return `leader ${list.leaderId}, raft term ${list.term}, commit index ${list.commitIndex}\n${table}`;
}
