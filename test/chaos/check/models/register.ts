/**
 * One read/write/compare-and-set register, as in Jepsen's etcd test (and Porcupine's etcd model):
 * initially nil; a read returns the current value; a write sets it; a cas swaps iff the register
 * holds `from`, and its answer says whether it did.
 */
import { ILLEGAL, type Model } from '../types.js';

/** null = nil, never written. */
export type RegisterValue = number | null;

export type RegisterInput = { f: 'read' } | { f: 'write'; value: number } | { f: 'cas'; from: number; to: number };

/** read: the value seen; write: null (an acknowledgement); cas: whether it swapped. */
export type RegisterOutput = RegisterValue | boolean;

export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        return output === undefined || output === state ? state : ILLEGAL;
      case 'write':
        return input.value;
      case 'cas': {
        const swaps = state === input.from;
        // an unknown answer: linearized here it swapped iff it could; "never happened" is the
        // same operation linearized after everything else (its return time is ∞)
        if (output !== undefined && output !== swaps) return ILLEGAL;
        return swaps ? input.to : state;
      }
    }
  },
  key: (state) => (state === null ? 'nil' : state),
  describeOperation(input, output) {
    const answer = output === undefined ? '?' : String(output ?? 'nil');
    switch (input.f) {
      case 'read':
        return `read() -> ${answer}`;
      case 'write':
        return `write(${input.value})${output === undefined ? ' -> ?' : ''}`;
      case 'cas':
        return `cas(${input.from}, ${input.to}) -> ${answer}`;
    }
  },
  describeState: (state) => `value ${state ?? 'nil'}`,
};
