import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { Envtest } from '@kubekit/envtest';

/** The fields of objects and Status that tests look at. */
export interface Loose {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly uid?: string;
    readonly annotations?: Record<string, string>;
    readonly deletionTimestamp?: string;
  };
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly data?: Record<string, string>;
}

/** One event of a watch stream. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Loose;
}

/** A raw HTTP answer. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

export interface RawOptions {
  readonly body?: unknown;
  /** Sent as is (not JSON-encoded). */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Bearer token; default the admin's; `null` sends none. */
  readonly token?: string | null;
}

/** The CA and admin token of an envtest, read from its KubeConfig. */
export function credentials(env: Envtest, user?: string): { ca: string | undefined; token: string } {
  const kubeConfig = user === undefined ? env.kubeConfig : env.kubeConfigFor(user);
  const caData = kubeConfig.getCurrentCluster()?.caData;
  return {
    ca: caData === undefined ? undefined : Buffer.from(caData, 'base64').toString('utf8'),
    token: kubeConfig.getCurrentUser()?.token ?? '',
  };
}

/** One request with Node's https client, no keep-alive. */
export function raw(
  env: Envtest,
  method: string,
  path: string,
  options: RawOptions = {},
): Promise<RawResponse> {
  const { ca, token } = credentials(env);
  const url = new URL(path, env.url);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(payload === undefined
      ? {}
      : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
    ...options.headers,
  };
  const bearer = options.token === undefined ? token : options.token;
  if (bearer !== null) headers['Authorization'] = `Bearer ${bearer}`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, ...(ca === undefined ? {} : { ca }), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Opens a watch with the raw client and collects its JSON lines until `close()` or the end. */
export function rawWatch(
  env: Envtest,
  path: string,
  user?: string,
  headers: Record<string, string> = {},
): {
  events: WatchEvent[];
  /** Every line as received, those that are not JSON included (they are left out of `events`). */
  lines: string[];
  /** What arrived after the last newline (an incomplete line). */
  partial: () => string;
  /** True once the response ended normally (false while open, or after a cut connection). */
  endedCleanly: () => boolean;
  status: Promise<number>;
  ended: Promise<void>;
  close: () => void;
} {
  const { ca, token } = credentials(env, user);
  const url = new URL(path, env.url);
  const events: WatchEvent[] = [];
  const lines: string[] = [];
  let pending = '';
  let endedCleanly = false;
  let close: () => void = () => undefined;
  let resolveStatus: (status: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => {
    resolveStatus = resolve;
  });
  const ended = new Promise<void>((resolve) => {
    const req = httpsRequest(
      url,
      {
        method: 'GET',
        headers: { ...headers, Authorization: `Bearer ${token}` },
        ...(ca === undefined ? {} : { ca }),
        agent: false,
      },
      (res) => {
        resolveStatus(res.statusCode ?? 0);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let newline;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            lines.push(line);
            try {
              events.push(JSON.parse(line) as WatchEvent);
            } catch {
              // kept in `lines` only
            }
          }
        });
        res.on('end', () => {
          endedCleanly = true;
          resolve();
        });
        res.on('error', () => {
          resolve();
        });
        res.on('close', resolve);
      },
    );
    req.on('error', () => {
      resolveStatus(0);
      resolve();
    });
    req.end();
    close = () => req.destroy();
  });
  return { events, lines, partial: () => pending, endedCleanly: () => endedCleanly, status, ended, close };
}

/** Polls `condition` every 5 ms until it holds or `timeoutMs` passes. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
