/** `baton elect <name> <value> [-- <cmd>]`: campaign, then run the command (or hold) while leader. */
import type { ElectArgs, GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect, interruptible, say } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { Leadership } from '../sdk.js';
import { runUnderHold, waitForHold } from './hold.js';

export async function runElect(ctx: CliContext, globals: GlobalOptions, args: ElectArgs): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const session = await interruptible(ctx, client.session({ ttlMs: args.ttlMs, label: 'baton elect' }));
    const outcome = await waitForHold(ctx, {
      verb: 'lead',
      name: args.name,
      sessionId: session.id,
      timeoutMs: args.timeoutMs,
      notDone: args.command.length > 0 ? `not running ${JSON.stringify(args.command[0])}` : 'giving up',
      describe: () => client.describe(args.name),
      wait: (signal) =>
        session.campaign(args.name, args.value, {
          signal,
          ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
        }),
      giveBack: (held) => held.resign(),
    });
    if ('exitCode' in outcome) return outcome.exitCode;
    const lead = outcome.held;
    const what = `leadership of ${args.name} (term ${lead.term})`;
    if (args.command.length === 0) return await holdUntilStopped(ctx, globals, lead, what);
    if (ctx.stderr.isTTY === true)
      say(ctx, `leading ${args.name} as ${JSON.stringify(args.value)} (term ${lead.term})`);
    return await runUnderHold(ctx, {
      what,
      signal: lead.signal,
      command: args.command,
      env: {
        BATON_ELECTION_NAME: args.name,
        BATON_ELECTION_VALUE: args.value,
        BATON_LEADER_TERM: String(lead.term),
        BATON_FENCING_TOKEN: String(lead.term),
      },
      killGraceMs: args.killGraceMs,
      giveBack: () => lead.resign(),
    });
  } finally {
    await closeClient(client);
  }
}

/** No command: say we lead (stdout), then wait for Ctrl-C (resign, exit 0) or loss (exit 70). */
async function holdUntilStopped(
  ctx: CliContext,
  globals: GlobalOptions,
  lead: Leadership,
  what: string,
): Promise<number> {
  ctx.stdout.write(
    globals.json
      ? `${JSON.stringify({ name: lead.name, leader: { sessionId: lead.sessionId, value: lead.value, term: lead.term } })}\n`
      : `leading ${lead.name} as ${JSON.stringify(lead.value)} (term ${lead.term}); Ctrl-C resigns\n`,
  );
  const stop = ctx.interrupts.signal;
  await new Promise<void>((resolve) => {
    if (stop.aborted || lead.signal.aborted) return resolve();
    stop.addEventListener('abort', () => resolve(), { once: true });
    lead.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (lead.signal.aborted) {
    const reason = lead.signal.reason;
    say(ctx, `LOST ${what}: ${reason instanceof Error ? reason.message : String(reason)} (exit ${EXIT.lost})`);
    return EXIT.lost;
  }
  await lead.resign();
  return EXIT.ok;
}
