import * as client from "openid-client";
import { expect } from "vitest";

/** The wire error, catalog code and description of a request openid-client rejected (it throws ResponseBodyError). */
export async function refused(promise: Promise<unknown>): Promise<{ error: string; code: string; description: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the request should have failed").toBeInstanceOf(client.ResponseBodyError);
  const body = (error as client.ResponseBodyError).cause as Record<string, string>;
  return { error: body.error as string, code: body.code as string, description: body.error_description as string };
}

/** {@link refused}, and `issued()` (a count of what was stored) is the same after as before. */
export async function refusedWithoutIssuing(promise: Promise<unknown>, issued: () => Promise<unknown>) {
  const before = await issued();
  const result = await refused(promise);
  expect(await issued()).toEqual(before);
  return result;
}
