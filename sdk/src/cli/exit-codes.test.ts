import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CliContext, interruptible } from './context.js';
import { EXIT, exitCodeForError, UsageError } from './exit-codes.js';
import { BatonError } from './sdk.js';
import { Interrupted, Interrupts } from './signals.js';

describe('exitCodeForError', () => {
  it.each([
    [new UsageError('x'), EXIT.usage],
    [new BatonError('TIMEOUT', 'x'), EXIT.busy],
    [new BatonError('UNAVAILABLE', 'x'), EXIT.unavailable],
    [new BatonError('SESSION_EXPIRED', 'x'), EXIT.unavailable],
    [new BatonError('UNAUTHENTICATED', 'x'), EXIT.refused],
    [new BatonError('PERMISSION_DENIED', 'x'), EXIT.refused],
    [new BatonError('INVALID_ARGUMENT', 'x'), EXIT.usage],
    [new BatonError('INTERNAL', 'x'), EXIT.failure],
    [new Error('x'), EXIT.failure],
    [new Interrupted('SIGINT'), 130],
    [new Interrupted('SIGTERM'), 143],
  ])('%s → %d', (err, code) => {
    expect(exitCodeForError(err)).toBe(code);
  });
});

describe('interruptible', () => {
  function context(): { ctx: CliContext; proc: EventEmitter } {
    const proc = new EventEmitter();
    const interrupts = new Interrupts(proc as unknown as NodeJS.Process);
    return { ctx: { interrupts } as unknown as CliContext, proc };
  }

  it('rejects Interrupted at the first stop signal, without waiting for the work', async () => {
    const { ctx, proc } = context();
    const never = new Promise<never>(() => {});
    const pending = interruptible(ctx, never);
    proc.emit('SIGTERM');
    await expect(pending).rejects.toEqual(new Interrupted('SIGTERM'));
    await expect(interruptible(ctx, Promise.resolve(1))).rejects.toBeInstanceOf(Interrupted);
    ctx.interrupts.dispose();
  });

  it('passes the work through when no signal comes', async () => {
    const { ctx } = context();
    await expect(interruptible(ctx, Promise.resolve(7))).resolves.toBe(7);
    await expect(interruptible(ctx, Promise.reject(new BatonError('TIMEOUT', 'x')))).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    ctx.interrupts.dispose();
  });
});
