/**
 * Properties (fast-check, fixed seed):
 * - a history recorded from a real sequential run, with random overlapping call/return windows
 *   and some lost answers, is always linearizable;
 * - one wrong answer in a history with no concurrency is always illegal.
 * For the lock model the "real run" is an independent reference implementation, so these also
 * check the model against a second reading of Baton's rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOperations } from './check.js';
import { type KvInput, type KvOutput, kvModel } from './models/kv.js';
import { lockModel } from './models/lock.js';
import type { LockInput, LockOutput } from './models/lock-types.js';
import { type RegisterInput, type RegisterOutput, type RegisterValue, registerModel } from './models/register.js';
import { type LockCommand, runLockWorkload } from './testing/lock-workload.js';
import { placeOnTimeline, type SequentialStep, sequentialHistory } from './testing/timeline.js';
import type { Model } from './types.js';

// BATON_CHECK_SEED / BATON_CHECK_RUNS explore further; the defaults keep CI fixed and quick
const SEED = Number(process.env.BATON_CHECK_SEED ?? 20_251_127);
const RUNS = Number(process.env.BATON_CHECK_RUNS ?? 200);
const MAX_OPS = 40;
/** Windows reach up to three instants either way, so up to ~6 operations overlap. */
const MAX_REACH = 30;

const recordArb = fc
  .integer({ min: 0, max: 19 })
  .map((r): SequentialStep<unknown, unknown>['record'] =>
    r === 0 ? 'unknown-applied' : r === 1 ? 'unknown-skipped' : 'known',
  );
const windowArb = fc.record({
  callBefore: fc.integer({ min: 0, max: MAX_REACH }),
  returnAfter: fc.integer({ min: 0, max: MAX_REACH }),
  record: recordArb,
});

// --- the real sequential objects ---

const registerCommandArb = fc.oneof(
  fc.constant<RegisterInput>({ f: 'read' }),
  fc.integer({ min: 0, max: 4 }).map((value): RegisterInput => ({ f: 'write', value })),
  fc
    .record({ from: fc.integer({ min: 0, max: 4 }), to: fc.integer({ min: 0, max: 4 }) })
    .map(({ from, to }): RegisterInput => ({ f: 'cas', from, to })),
);

function runRegister(input: RegisterInput, cell: { value: RegisterValue }): RegisterOutput {
  switch (input.f) {
    case 'read':
      return cell.value;
    case 'write':
      cell.value = input.value;
      return null;
    case 'cas': {
      const swapped = cell.value === input.from;
      if (swapped) cell.value = input.to;
      return swapped;
    }
  }
}

const kvCommandArb = fc
  .record({
    f: fc.constantFrom('get', 'put', 'append'),
    key: fc.constantFrom('k0', 'k1', 'k2'),
    value: fc.constantFrom('a', 'b', 'cd'),
  })
  .map(({ f, key, value }): KvInput => (f === 'get' ? { f, key } : { f, key, value }));

function runKv(input: KvInput, store: Map<string, string>): KvOutput {
  const current = store.get(input.key) ?? '';
  if (input.f === 'get') return current;
  store.set(input.key, input.f === 'put' ? input.value : current + input.value);
  return null;
}

const lockCommandArb: fc.Arbitrary<LockCommand> = fc.record({
  kind: fc.nat(1000),
  session: fc.nat(1000),
  pick: fc.nat(1000),
});

// --- histories with windows ---

function windowed<I, O>(
  commands: readonly { input: I; window: Omit<SequentialStep<I, O>, 'input' | 'output'> }[],
  run: (input: I) => O,
): SequentialStep<I, O>[] {
  return commands.map(({ input, window }) => ({
    input,
    window,
    ...window,
    // an operation that never took effect is not run on the real object
    output: (window.record === 'unknown-skipped' ? undefined : run(input)) as O,
  }));
}

function expectOk<S, I, O>(model: Model<S, I, O>, steps: SequentialStep<I, O>[]): void {
  const checked = checkOperations(model, placeOnTimeline(steps));
  expect(checked.result).toBe('ok');
}

describe('generated linearizable histories always pass', () => {
  it('register', () => {
    const arb = fc.array(fc.record({ input: registerCommandArb, window: windowArb }), {
      minLength: 1,
      maxLength: MAX_OPS,
    });
    fc.assert(
      fc.property(arb, (commands) => {
        const cell = { value: null as RegisterValue };
        expectOk(
          registerModel,
          windowed<RegisterInput, RegisterOutput>(commands, (i) => runRegister(i, cell)),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('kv', () => {
    const arb = fc.array(fc.record({ input: kvCommandArb, window: windowArb }), { minLength: 1, maxLength: MAX_OPS });
    fc.assert(
      fc.property(arb, (commands) => {
        const store = new Map<string, string>();
        expectOk(
          kvModel,
          windowed<KvInput, KvOutput>(commands, (i) => runKv(i, store)),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('lock (against the reference implementation)', () => {
    const arb = fc.array(fc.record({ command: lockCommandArb, window: windowArb }), {
      minLength: 1,
      maxLength: MAX_OPS,
    });
    fc.assert(
      fc.property(arb, (items) => {
        // a never-applied operation is still issued (and recorded, without an answer)
        const run = runLockWorkload(
          items.map((item) => item.command),
          (i) => items[i]!.window.record !== 'unknown-skipped',
        );
        expectOk(
          lockModel,
          items.map((item, i) => ({ ...item.window, ...run[i]! })),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// --- one wrong answer ---

function mutateRegister(input: RegisterInput, output: RegisterOutput): RegisterOutput | undefined {
  if (input.f === 'read') return output === null ? 0 : (output as number) + 1;
  if (input.f === 'cas') return !output;
  return undefined;
}

function mutateKv(input: KvInput, output: KvOutput): KvOutput | undefined {
  return input.f === 'get' ? `${output}q` : undefined;
}

/** A different answer that no state could give at that point of a sequential run. */
function mutateLock(input: LockInput, output: LockOutput): LockOutput | undefined {
  switch (output.kind) {
    case 'granted':
      return { kind: 'notAcquired' };
    case 'notAcquired':
      return { kind: 'granted', token: 1_000_000_000 };
    case 'done':
      return input.f === 'expire' || input.f === 'close' ? undefined : { kind: 'error', code: 'NOT_HOLDER' };
    case 'error':
      return output.code === 'NOT_HOLDER' ? { kind: 'done' } : undefined;
    case 'fence':
      return { ...output, current: !output.current };
    case 'holders':
      return {
        kind: 'holders',
        holders: output.holders.length > 0 ? output.holders.slice(1) : [{ session: 'ghost', token: 1 }],
      };
    case 'leader':
      return {
        kind: 'leader',
        leader:
          output.leader === null
            ? { session: 'ghost', value: 'v', term: 1 }
            : { ...output.leader, value: `${output.leader.value}!` },
      };
    case 'write':
      return { kind: 'write', accepted: !output.accepted };
    case 'read':
      return { kind: 'read', value: output.value === null ? 'zz' : `${output.value}!` };
  }
}

function expectMutationIllegal<S, I, O>(
  model: Model<S, I, O>,
  steps: { input: I; output: O }[],
  mutate: (input: I, output: O) => O | undefined,
  pick: number,
): void {
  const mutable = steps.flatMap((step, i) => (mutate(step.input, step.output) === undefined ? [] : [i]));
  fc.pre(mutable.length > 0);
  const target = mutable[pick % mutable.length]!;
  const mutated = steps.map((step, i) => (i === target ? { ...step, output: mutate(step.input, step.output)! } : step));
  // the unmutated history is fine, the mutated one is not
  expect(checkOperations(model, sequentialHistory(steps)).result).toBe('ok');
  expect(checkOperations(model, sequentialHistory(mutated)).result).toBe('illegal');
}

describe('one wrong answer in a history without concurrency is illegal', () => {
  it('register', () => {
    fc.assert(
      fc.property(fc.array(registerCommandArb, { minLength: 1, maxLength: MAX_OPS }), fc.nat(), (inputs, pick) => {
        const cell = { value: null as RegisterValue };
        const steps = inputs.map((input) => ({ input, output: runRegister(input, cell) }));
        expectMutationIllegal(registerModel, steps, mutateRegister, pick);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('kv', () => {
    fc.assert(
      fc.property(fc.array(kvCommandArb, { minLength: 1, maxLength: MAX_OPS }), fc.nat(), (inputs, pick) => {
        const store = new Map<string, string>();
        const steps = inputs.map((input) => ({ input, output: runKv(input, store) }));
        expectMutationIllegal(kvModel, steps, mutateKv, pick);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('lock', () => {
    fc.assert(
      fc.property(fc.array(lockCommandArb, { minLength: 1, maxLength: MAX_OPS }), fc.nat(), (commands, pick) => {
        expectMutationIllegal(lockModel, runLockWorkload(commands), mutateLock, pick);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
