/** Promise forms of the `node-zookeeper-client` calls the recipes use (the library is callback-only). */
import { type Client, CreateMode, type Event, Exception } from 'node-zookeeper-client';

function isCode(err: unknown, code: number): boolean {
  return err instanceof Exception && err.getCode() === code;
}

export function createNode(zk: Client, path: string, data: Buffer, mode: number): Promise<string> {
  return new Promise((resolve, reject) => {
    zk.create(path, data, mode, (err, created) => (err ? reject(err) : resolve(created)));
  });
}

export function isNoNode(err: unknown): boolean {
  return isCode(err, Exception.NO_NODE);
}

function exists(zk: Client, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    zk.exists(path, (err, stat) => (err ? reject(err) : resolve(Boolean(stat))));
  });
}

function createPersistent(zk: Client, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    zk.create(path, CreateMode.PERSISTENT, (err) =>
      err && !isCode(err, Exception.NODE_EXISTS) ? reject(err) : resolve(),
    );
  });
}

/**
 * Creates the missing persistent nodes of `path`, as Curator's ZKPaths.mkdirs does: an exists
 * check (a read, served locally) before each create. The library's own mkdirp tries a create for
 * every component, and on ZooKeeper a failed create is still a write through the leader.
 */
export async function ensurePath(zk: Client, path: string): Promise<void> {
  let current = '';
  for (const part of path.split('/').slice(1)) {
    current += `/${part}`;
    if (!(await exists(zk, current))) await createPersistent(zk, current);
  }
}

export function children(zk: Client, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    zk.getChildren(path, (err, names) => {
      if (err && isCode(err, Exception.NO_NODE)) resolve([]);
      else if (err) reject(err);
      else resolve(names);
    });
  });
}

/** Deletes `path`; one already gone is fine (a retried release). */
export function removeNode(zk: Client, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    zk.remove(path, -1, (err) => (err && !isCode(err, Exception.NO_NODE) ? reject(err) : resolve()));
  });
}

/**
 * Sets a watch on `path` and resolves when it is deleted (or changes in any way: the recipe
 * re-reads the children after every event). Resolves at once when the node is already gone.
 */
export function waitGone(zk: Client, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (): void => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    zk.exists(
      path,
      (_event: Event) => done(),
      (err, stat) => {
        if (err) {
          settled = true;
          reject(err);
        } else if (!stat) done();
      },
    );
  });
}
