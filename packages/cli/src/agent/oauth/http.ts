import { isLoopbackUrl, WardError } from "@ward/core";

/** Endpoints must be https, except on loopback (a local Ward or MCP server in development). */
export function assertSecureEndpoint(url: string): void {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol === "https:" || (parsed?.protocol === "http:" && isLoopbackUrl(url))) return;
  throw new WardError("agent_discovery_failed", { url, reason: "only https URLs (or http on 127.0.0.1/localhost) are allowed" });
}

/** GET JSON with a time limit and no redirects; failures become agent_discovery_failed naming the URL. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  assertSecureEndpoint(url);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", ...headers },
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new WardError("agent_discovery_failed", { url, reason: cause ?? (error as Error).message });
  }
  if (!response.ok) throw new WardError("agent_discovery_failed", { url, reason: `HTTP ${response.status}` });
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch {
    throw new WardError("agent_discovery_failed", { url, reason: "the body is not JSON" });
  }
}

/** POST a form (token, revocation, device endpoints); returns status and parsed JSON body. */
export async function postForm(
  url: string,
  form: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  assertSecureEndpoint(url);
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.set(name, value);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new WardError("agent_discovery_failed", { url, reason: cause ?? (error as Error).message });
  }
  const text = await response.text();
  try {
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    // A success answer in another format (e.g. form-encoded tokens) would put credentials in the message and the audit log.
    const shown = response.ok
      ? `the answer is not JSON (content-type ${response.headers.get("content-type") ?? "none"}, ${text.length} characters not shown: they may hold credentials)`
      : text.slice(0, 200);
    return { status: response.status, body: { error: `HTTP ${response.status}`, error_description: shown } };
  }
}
