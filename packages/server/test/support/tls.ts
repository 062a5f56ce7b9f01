import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { globalAgent, createServer as httpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

let credentials: { key: string; cert: string } | undefined;

/** A self-signed certificate for 127.0.0.1 and localhost, made once per test process with openssl. */
export function loopbackCertificate(): { key: string; cert: string } {
  if (credentials) return credentials;
  const dir = mkdtempSync(join(tmpdir(), "ward-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    credentials = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return credentials;
}

export interface LoopbackHttps {
  origin: string;
  /** Requests received, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

type Route = { status?: number; headers?: Record<string, string>; body: string };

/**
 * An https server on 127.0.0.1 serving fixed answers by path, whose certificate this process trusts
 * (added to the default https agent's CAs: Ward's outbound fetch runs in-process and uses that agent,
 * so no verification is switched off anywhere).
 */
export async function startLoopbackHttps(routes: (path: string) => Route | undefined): Promise<LoopbackHttps> {
  const { key, cert } = loopbackCertificate();
  const existing = globalAgent.options.ca;
  const cas = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  if (!cas.includes(cert)) globalAgent.options.ca = [...cas, cert];
  const hits = new Map<string, number>();
  const server: Server = httpsServer({ key, cert }, (request, response) => {
    const path = request.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes(path);
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(route.status ?? 200, { "content-type": "application/json", ...route.headers }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
