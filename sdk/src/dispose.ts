/**
 * `await using lock = …` needs Symbol.asyncDispose. Node 20.11+ has it; older runtimes get the
 * registered symbol esbuild's and TypeScript's down-levelled `await using` look for.
 */
const symbols = Symbol as unknown as { asyncDispose?: symbol };
if (typeof symbols.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
}

export {};
