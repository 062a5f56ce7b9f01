import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { WardError } from "@ward/core";
import { type BridgeAnswer, type BridgeRequest, Bridges } from "./bridge.js";
import { bridgeForm, bridgeHeaders, bridgeSavedPage } from "./bridge-page.js";
import { errorPage, PAGE_HEADERS } from "./pages.js";

export const BRIDGE_PREFIX = "/bridge/";
const COOKIE = "ward_bridge_csrf";
const MAX_FORM = 16_384;

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function cookie(req: IncomingMessage, name: string): string {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return "";
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM)
      throw new WardError("agent_bridge_field_invalid", { field: "the form", received: "over 16 KiB", expected: "a few short fields" });
  }
  return new URLSearchParams(body);
}

/** A pasted value: trimmed, one line, printable ASCII, not empty. */
function pasted(form: URLSearchParams, name: string, label: string, required: boolean): string | undefined {
  const value = (form.get(name) ?? "").trim();
  if (!value && !required) return undefined;
  if (!/^[\x21-\x7e]{1,4096}$/.test(value))
    throw new WardError("agent_bridge_field_invalid", {
      field: label,
      received: value ? "a value with spaces, line breaks or non-ASCII characters" : "empty",
      expected: "the value copied from the provider, on one line",
    });
  return value;
}

function answerOf(kind: BridgeRequest["kind"], form: URLSearchParams): BridgeAnswer {
  if (kind === "api_key") return { api_key: pasted(form, "api_key", "API key", true) as string };
  return {
    client_id: pasted(form, "client_id", "Client ID", true) as string,
    client_secret: pasted(form, "client_secret", "Client secret", false),
  };
}

function refuse(res: ServerResponse, error: WardError): void {
  res.writeHead(error.definition.status, PAGE_HEADERS);
  res.end(errorPage(error.code, Object.fromEntries(Object.entries(error.params).map(([k, v]) => [k, String(v)]))));
}

/** The browser side of the bridge: GET shows the form (and sets the CSRF cookie), POST accepts one answer. */
export async function handleBridgePage(req: IncomingMessage, res: ServerResponse, url: URL, bridges: Bridges, origins: string[]) {
  const id = url.pathname.slice(BRIDGE_PREFIX.length);
  const path = url.pathname;
  try {
    // DNS rebinding: a page of another site resolved to 127.0.0.1 arrives with that site's name as Host.
    const host = req.headers.host ?? "";
    if (!origins.includes(`http://${host.toLowerCase()}`))
      throw new WardError("agent_bridge_forbidden", {
        path,
        reason: `Host ${host || "(missing)"} is not ${origins.map((o) => o.slice("http://".length)).join(" or ")}`,
      });
    const found = bridges.page(id);
    if (found === "expired") throw new WardError("agent_bridge_expired", { path });
    if (found === "used") throw new WardError("agent_bridge_used", { path });
    if (req.method === "GET") {
      const nonce = randomBytes(16).toString("base64url");
      res.writeHead(200, {
        ...bridgeHeaders(nonce),
        "set-cookie": `${COOKIE}=${found.csrf}; Path=${path}; HttpOnly; SameSite=Strict`,
      });
      return res.end(bridgeForm(found, path, found.csrf, nonce));
    }
    if (req.method !== "POST")
      throw new WardError("agent_bridge_forbidden", { path, reason: `method ${req.method} (expected GET or POST)` });
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && !origins.includes(requestOrigin))
      throw new WardError("agent_bridge_forbidden", { path, reason: `Origin ${requestOrigin} is not ${origins.join(" or ")}` });
    const form = await readForm(req);
    if (!same(form.get("csrf") ?? "", found.csrf) || !same(cookie(req, COOKIE), found.csrf))
      throw new WardError("agent_bridge_forbidden", { path, reason: "the CSRF token or its cookie is missing or wrong" });
    bridges.submit(id, answerOf(found.kind, form));
    res.writeHead(200, PAGE_HEADERS);
    res.end(bridgeSavedPage(found.provider));
  } catch (error) {
    if (error instanceof WardError) return refuse(res, error);
    throw error;
  }
}

export { Bridges };
