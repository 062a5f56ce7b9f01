import { executionAsyncId } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";

const t = useTestWard();

/** Inside a promise reaction, Node reports a non-zero async id only while an async hook is enabled. */
const asyncHookEnabled = async () => (await Promise.resolve().then(() => executionAsyncId())) !== 0;

describe("rendering a hosted page", () => {
  it("leaves no async hook enabled, so no request pays for one afterwards", async () => {
    // Without a cookie jar the account page answers with the hosted page that explains the missing cookie.
    const response = await fetch(`${t.publicUrl}/account`);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).toContain("<title>Browser did not send the session cookie · Ward</title>");
    expect(html).toContain("Error code <code>session_cookie_missing</code>");
    expect(await asyncHookEnabled()).toBe(false);
  });
});
