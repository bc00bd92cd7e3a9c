import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { ClusterControl, ConnectionStats, RequestMatch } from '../envtest.js';
import { EnvtestError } from '../envtest-error.js';
import type { FaultTable } from '../faults/fault-table.js';
import type { RequestCounterTable } from '../faults/request-counter-table.js';
import { parseJson, readBody, sendJson } from './http-util.js';

/** What the admin endpoint controls. */
export interface AdminContext {
  readonly faults: FaultTable;
  readonly counters: RequestCounterTable;
  readonly cluster: ClusterControl;
  addUser(user: string): string;
  connectionStats(): ConnectionStats;
}

const MATCH_FIELDS = ['user', 'verb', 'resource', 'subresource', 'namespace', 'name'] as const;

function matchFrom(source: (field: string) => unknown): RequestMatch {
  const match: Record<string, string> = {};
  for (const field of MATCH_FIELDS) {
    const value = source(field);
    if (typeof value === 'string') match[field] = value;
  }
  return match;
}

async function jsonBody(request: ApiRequest, response: ApiResponse): Promise<Record<string, unknown>> {
  const raw = await readBody(request, response);
  if (raw.length === 0) return {};
  const body = parseJson(raw);
  if (!isRecord(body)) throw ApiError.badRequest('the body must be a JSON object');
  return body;
}

/**
 * `/_envtest/…`, the admin-only control endpoint (see README): faults, watch drops, counters,
 * users and cluster control, over HTTP for tools outside the test process.
 */
export async function serveAdmin(
  context: AdminContext,
  path: string,
  request: ApiRequest,
  response: ApiResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const segments = path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const route = `${method} ${segments.map((s, i) => (i === 0 ? s : i === 1 && segments[0] === 'faults' ? ':id' : s)).join('/')}`;
  try {
    switch (route) {
      case 'GET faults':
        sendJson(response, 200, { faults: context.faults.list() });
        return;
      case 'POST faults': {
        const fault = context.faults.add(await jsonBody(request, response));
        sendJson(response, 201, { id: fault.id });
        return;
      }
      case 'DELETE faults':
        context.faults.clear();
        sendJson(response, 200, {});
        return;
      case 'DELETE faults/:id':
        if (!context.faults.remove(Number(segments[1])))
          throw new ApiError(404, 'NotFound', `fault ${segments[1] ?? ''} not found`);
        sendJson(response, 200, {});
        return;
      case 'POST watches/drop': {
        const body = await jsonBody(request, response);
        sendJson(response, 200, { dropped: context.faults.dropWatches(matchFrom((field) => body[field])) });
        return;
      }
      case 'POST watches/stall': {
        const body = await jsonBody(request, response);
        sendJson(response, 200, { stalled: context.faults.stallWatches(matchFrom((field) => body[field])) });
        return;
      }
      case 'POST watches/cut-mid-event': {
        const body = await jsonBody(request, response);
        sendJson(response, 200, {
          armed: context.faults.cutWatchesMidEvent(matchFrom((field) => body[field])),
        });
        return;
      }
      case 'POST watches/corrupt': {
        const body = await jsonBody(request, response);
        const line = body['line'];
        if (line !== undefined && typeof line !== 'string')
          throw ApiError.badRequest('line must be a string');
        sendJson(response, 200, {
          corrupted: context.faults.corruptWatches(
            matchFrom((field) => body[field]),
            line,
          ),
        });
        return;
      }
      case 'GET counters': {
        const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
        const match = matchFrom((field) => query.get(field) ?? undefined);
        sendJson(response, 200, {
          count: context.counters.count(match),
          counters: context.counters.snapshot(),
        });
        return;
      }
      case 'GET connections':
        sendJson(response, 200, context.connectionStats());
        return;
      case 'DELETE counters':
        context.counters.reset();
        sendJson(response, 200, {});
        return;
      case 'POST users': {
        const body = await jsonBody(request, response);
        const name = body['name'];
        if (typeof name !== 'string' || name === '')
          throw ApiError.badRequest('users: "name" must be a non-empty string');
        sendJson(response, 201, { name, token: context.addUser(name) });
        return;
      }
      case 'POST compact':
        context.cluster.compact();
        sendJson(response, 200, {});
        return;
      default:
        break;
    }
    if (method === 'POST' && segments[0] === 'pods' && segments[3] === 'status' && segments.length === 4) {
      const body = await jsonBody(request, response);
      const phase = body['phase'];
      if (typeof phase !== 'string') throw ApiError.badRequest('pods status: "phase" must be a string');
      const reason = body['reason'];
      await context.cluster.setPodStatus(segments[1] ?? '', segments[2] ?? '', {
        phase,
        ...(typeof reason === 'string' ? { reason } : {}),
      });
      sendJson(response, 200, {});
      return;
    }
    if (method === 'POST' && segments[0] === 'nodes' && segments[2] === 'ready' && segments.length === 3) {
      const body = await jsonBody(request, response);
      const status = body['status'];
      if (status !== 'True' && status !== 'False' && status !== 'Unknown') {
        throw ApiError.badRequest('nodes ready: "status" must be "True", "False" or "Unknown"');
      }
      await context.cluster.setNodeReady(segments[1] ?? '', status);
      sendJson(response, 200, {});
      return;
    }
    throw new ApiError(404, 'NotFound', `no envtest admin endpoint ${method} ${path}`);
  } catch (error) {
    if (EnvtestError.is(error)) {
      throw new ApiError(
        error.kind === 'notFound' ? 404 : 400,
        error.kind === 'notFound' ? 'NotFound' : 'BadRequest',
        error.message,
      );
    }
    throw error;
  }
}
