import { ApiError } from '#lib/api/api-error.js';

/** The `ApiError` that `fn` throws; fails the test when it throws nothing or something else. */
export function thrownApiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('did not throw');
}
