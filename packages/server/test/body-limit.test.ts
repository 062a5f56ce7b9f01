import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWard, type TestWard } from "./support/ward.js";

/** POSTs a form to /token in `chunks` (Transfer-Encoding: chunked unless a Content-Length is given). */
function post(t: TestWard, chunks: string[], contentLength?: number): Promise<{ status: number; body: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": "application/x-www-form-urlencoded" };
    if (contentLength !== undefined) headers["content-length"] = contentLength;
    const req = request(`${t.publicUrl}/token`, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string } }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const auditCount = async (t: TestWard) =>
  ((await (await t.admin("/admin/v1/audit-events?limit=1000")).json()) as { audit_events: unknown[] }).audit_events.length;

describe("public request body limit (64 KiB), declared or streamed", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard();
  });
  afterAll(() => t.stop());

  it("a chunked body over the limit is body_too_large and changes nothing", async () => {
    const before = await auditCount(t);
    const pad = "a".repeat(16 * 1024);
    const answer = await post(t, ["grant_type=refresh_token&refresh_token=x&client_id=cli-app&pad=", pad, pad, pad, pad, pad]);
    expect(answer).toEqual({ status: 413, body: expect.objectContaining({ code: "body_too_large" }) });
    expect(await auditCount(t)).toBe(before);
  });

  it("a declared Content-Length over the limit is body_too_large before the body is read", async () => {
    const body = `grant_type=refresh_token&pad=${"a".repeat(70 * 1024)}`;
    const answer = await post(t, [body], Buffer.byteLength(body));
    expect(answer).toEqual({ status: 413, body: expect.objectContaining({ code: "body_too_large" }) });
  });

  it("a small chunked form is read whole and checked like any other", async () => {
    const answer = await post(t, ["grant_type=", "authorization_code&code=x&redirect_uri=", "x&client_id=no-such-client"]);
    expect(answer.body.code).toBe("client_unknown");
  });

  it("a form with a declared length is read straight from the request and checked like any other", async () => {
    const body = "grant_type=authorization_code&code=x&redirect_uri=x&client_id=no-such-client";
    const answer = await post(t, [body], Buffer.byteLength(body));
    expect(answer.body.code).toBe("client_unknown");
  });
});
