/**
 * The downstream store of fenced-store: Redis. With REDIS_URL set, every process connects to that
 * Redis itself (ioredis). Without, the store is an in-memory `ioredis-mock` living in the main
 * process, and the holder process reaches it over its IPC channel — standing in for the network
 * between an application and its Redis. The fence helper only needs `eval`, so both look the
 * same to it.
 */

/** The store in the main process: `{ redis, description, serve(child), close() }`. */
export async function openStore() {
  const url = redisUrl();
  if (url !== undefined && url !== '') {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    return { redis, description: `Redis at ${url}`, serve: () => {}, close: () => redis.quit() };
  }
  const { default: RedisMock } = await import('ioredis-mock');
  const redis = new RedisMock();
  return {
    redis,
    description: 'ioredis-mock (in memory; set REDIS_URL to use a real Redis)',
    /** Answers the `eval` calls a child process sends over IPC. */
    serve(child) {
      child.on('message', async (message) => {
        if (message?.type !== 'redis.eval') return;
        try {
          const result = await redis.eval(message.script, message.numKeys, ...message.args);
          child.send({ type: 'redis.result', id: message.id, result });
        } catch (err) {
          child.send({ type: 'redis.result', id: message.id, error: String(err?.message ?? err) });
        }
      });
    },
    close: async () => redis.disconnect(),
  };
}

/** The store as a child process sees it: something with `eval`, and a close(). */
export async function connectStoreFromChild() {
  const url = redisUrl();
  if (url !== undefined && url !== '') {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    return { redis, close: () => redis.quit() };
  }
  let nextId = 0;
  const pending = new Map();
  process.on('message', (message) => {
    if (message?.type !== 'redis.result') return;
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.error === undefined) call?.resolve(message.result);
    else call?.reject(new Error(message.error));
  });
  const redis = {
    eval(script, numKeys, ...args) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        process.send({ type: 'redis.eval', id, script, numKeys, args });
      });
    },
  };
  return { redis, close: async () => {} };
}

function redisUrl() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by the example only; test/examples removes it, so no turbo task depends on it
  return process.env.REDIS_URL;
}
