/**
 * A protocol client without the SDK's manners: the test decides what the hello carries (a token,
 * a wrong one, none), sends any frame, and sees every answer as it comes.
 */
import { WebSocket } from 'ws';

export interface Answer {
  readonly id: string | null;
  readonly ok: boolean;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: string; message: string; retryAfterMs?: number };
}

const MUTATING = new Set([
  'session.open',
  'session.close',
  'lock.acquire',
  'lock.release',
  'election.campaign',
  'election.proclaim',
  'election.resign',
]);

export class RawClient {
  private readonly pending = new Map<string, (a: Answer) => void>();
  private nextId = 0;
  private nextSeq = 0;
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Answer & { type: string };
      if (frame.type !== 'response' || frame.id === null) return;
      const resolve = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      resolve?.(frame);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  static open(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Opens a connection and says hello with `token` (none when undefined); rejects if the hello fails. */
  static async hello(url: string, token: string | undefined): Promise<RawClient> {
    const c = await RawClient.open(url);
    const answer = await c.request('hello', {
      clientId: `raw-${Math.random().toString(36).slice(2)}`,
      ...(token === undefined ? {} : { token }),
    });
    if (!answer.ok) {
      c.close();
      throw Object.assign(new Error(`hello failed: ${answer.error?.code}`), { code: answer.error?.code });
    }
    return c;
  }

  /** One request; mutating ones get the next seq. Answered within `timeoutMs` or rejected. */
  request(type: string, fields: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<Answer> {
    const id = `r${++this.nextId}`;
    const seq = MUTATING.has(type) && !('seq' in fields) ? { seq: ++this.nextSeq } : {};
    return this.send(id, { v: 1, id, type, ...seq, ...fields }, timeoutMs);
  }

  /** Sends a frame now and resolves with its answer (the frame's id must be unique). */
  send(id: string, frame: Record<string, unknown>, timeoutMs = 15_000): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${JSON.stringify(frame).slice(0, 200)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.ws.send(JSON.stringify(frame));
    });
  }

  close(): void {
    this.ws.close();
  }
}
