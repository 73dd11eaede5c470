/**
 * A string key-value store (Porcupine's kv model): get returns the value ("" when missing), put
 * sets it, append concatenates. Keys are independent objects, so the history is checked per key.
 */
import { partitionBy } from '../check.js';
import { ILLEGAL, type Model } from '../types.js';

export type KvInput = { f: 'get'; key: string } | { f: 'put' | 'append'; key: string; value: string };

/** get: the value read; put/append: null (an acknowledgement). */
export type KvOutput = string | null;

export const kvModel: Model<string, KvInput, KvOutput> = {
  name: 'kv',
  init: () => '',
  step(state, input, output) {
    switch (input.f) {
      case 'get':
        return output === undefined || output === state ? state : ILLEGAL;
      case 'put':
        return input.value;
      case 'append':
        return state + input.value;
    }
  },
  key: (state) => state,
  partition: (history) => partitionBy(history, (op) => op.input.key),
  describeOperation(input, output) {
    switch (input.f) {
      case 'get':
        return `get(${JSON.stringify(input.key)}) -> ${output === undefined ? '?' : JSON.stringify(output)}`;
      case 'put':
      case 'append':
        return `${input.f}(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})${output === undefined ? ' -> ?' : ''}`;
    }
  },
  describeState: (state) => `value ${JSON.stringify(state)}`,
};
