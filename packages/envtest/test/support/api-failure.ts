import { ApiException } from '@kubernetes/client-node';

/** The Status of a client-node call that must fail: its code and parsed body. */
export async function apiFailure(
  call: Promise<unknown>,
): Promise<{ code: number; body: { reason?: string; message?: string; details?: unknown } }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      return { code: error.code, body: body as { reason?: string; message?: string } };
    }
    throw error;
  }
  throw new Error('the call succeeded, but it must fail');
}
