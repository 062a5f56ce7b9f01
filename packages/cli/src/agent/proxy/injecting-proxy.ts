import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import { type AddressInfo, connect, isIP, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { WardError } from "@ward/core";
import type { LocalCa } from "./local-ca.js";

/** The header a request to an API host gets, computed per request so a refreshed token is used. */
export type HeaderSource = () => Promise<[name: string, value: string]>;

export interface InjectingProxy {
  /** http://ward:<secret>@127.0.0.1:<port>: the child's HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own credentials never travel on.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade"];

function forwardable(headers: IncomingMessage["headers"]): OutgoingHttpHeaders {
  const copy: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** host:port of a CONNECT target, lower-cased; undefined when it is not one. */
function connectTarget(target: string | undefined): { host: string; port: number } | undefined {
  const match = /^([a-z0-9.-]+):(\d{1,5})$/i.exec(target ?? "");
  if (!match) return undefined;
  return { host: (match[1] as string).toLowerCase(), port: Number(match[2]) };
}

/**
 * Why a request decrypted from the tunnel to `target` must not get credentials, or undefined. The
 * upstream connection goes to `target` whatever the request says, but a shared front end (CDN, load
 * balancer) routes by Host or an absolute URI: one naming another host would carry the credentials
 * to that host's origin.
 */
function misdirection(request: IncomingMessage, target: { host: string; port: number }): string | undefined {
  if (!request.url?.startsWith("/")) return "the request target is not a path (origin-form, RFC 9112 §3.2.1)";
  const host = (request.headers.host ?? "").toLowerCase();
  const allowed = [`${target.host}:${target.port}`, ...(target.port === 443 ? [target.host] : [])];
  if (!allowed.includes(host)) return `its Host header is ${host || "missing"}, expected ${allowed.join(" or ")}`;
  return undefined;
}

/**
 * A proxy on 127.0.0.1 for one `ward run --proxy` child. CONNECT to a host in `headers` is intercepted
 * (TLS terminated with a leaf from the run's CA, each request re-sent over verified TLS with the header
 * added); any other CONNECT is a plain tunnel. Every request must carry the run's proxy credentials, so
 * other local programs cannot borrow the injected credentials.
 */
export async function startInjectingProxy(options: {
  ca: LocalCa;
  /** By "host:port". */
  headers: Map<string, HeaderSource>;
  log: (line: string) => void;
}): Promise<InjectingProxy> {
  const secret = randomBytes(24).toString("hex");
  const expected = digest(`Basic ${Buffer.from(`ward:${secret}`).toString("base64")}`);
  const authorized = (request: IncomingMessage) => timingSafeEqual(digest(request.headers["proxy-authorization"] ?? ""), expected);
  const open = new Set<Socket>();
  const targets = new WeakMap<Socket, { host: string; port: number; header: HeaderSource }>();

  const failed = (response: ServerResponse, error: WardError) => {
    options.log(`✗ ${error.code}: ${error.message}`);
    if (!response.headersSent) response.writeHead(error.definition.status, { "content-type": "text/plain; charset=utf-8" });
    response.end(`${error.code}: ${error.message}\nFix: ${error.definition.fix}\n`);
  };

  // Requests decrypted from an intercepted tunnel: re-sent to the real host with the header.
  const intercepted = createServer(async (request, response) => {
    const target = targets.get(request.socket);
    if (!target) return response.destroy();
    const where = { method: request.method ?? "GET", host: `${target.host}:${target.port}`, path: request.url ?? "/" };
    const refusal = misdirection(request, target);
    if (refusal)
      return failed(
        response,
        new WardError("agent_proxy_request_refused", { method: where.method, target: where.path, host: where.host, reason: refusal }),
      );
    let header: [string, string];
    try {
      header = await target.header();
    } catch (error) {
      return failed(response, new WardError("agent_proxy_failed", { ...where, reason: (error as Error).message }));
    }
    const headers = forwardable(request.headers);
    headers[header[0].toLowerCase()] = header[1];
    let upstream: ReturnType<typeof httpsRequest>;
    try {
      upstream = httpsRequest(
        {
          host: target.host,
          port: target.port,
          method: request.method,
          path: request.url,
          headers,
          servername: isIP(target.host) ? undefined : target.host,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
          answer.pipe(response);
        },
      );
    } catch (error) {
      // Node refuses a header value it cannot send (a stored credential with a line break): never crash the run.
      return failed(response, new WardError("agent_proxy_failed", { ...where, reason: (error as Error).message }));
    }
    upstream.on("error", (error) => failed(response, new WardError("agent_proxy_failed", { ...where, reason: error.message })));
    request.pipe(upstream);
  });

  // Plain-http proxy requests (absolute URLs): forwarded as they are, never with credentials.
  const server = createServer((request, response) => {
    if (!authorized(request)) {
      response.writeHead(407, { "proxy-authenticate": 'Basic realm="ward run --proxy"' }).end();
      return;
    }
    const url = URL.canParse(request.url ?? "") ? new URL(request.url as string) : undefined;
    if (url?.protocol !== "http:") {
      response.writeHead(400, { "content-type": "text/plain" }).end("expected an absolute http:// URL or CONNECT\n");
      return;
    }
    const upstream = httpRequest(url, { method: request.method, headers: forwardable(request.headers) }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      answer.pipe(response);
    });
    upstream.on("error", (error) =>
      failed(
        response,
        new WardError("agent_proxy_failed", { method: request.method ?? "GET", host: url.host, path: url.pathname, reason: error.message }),
      ),
    );
    request.pipe(upstream);
  });

  server.on("connect", (request: IncomingMessage, socket: Socket, head: Buffer) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    if (!authorized(request)) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="ward run --proxy"\r\n\r\n');
      return;
    }
    const target = connectTarget(request.url);
    if (!target) {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const header = options.headers.get(`${target.host}:${target.port}`);
    if (!header) {
      const tunnel = connect(target.port, target.host, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length) tunnel.write(head);
        tunnel.pipe(socket).pipe(tunnel);
      });
      tunnel.on("error", () => socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) socket.unshift(head);
    const tls = new TLSSocket(socket, { isServer: true, secureContext: options.ca.contextFor(target.host), ALPNProtocols: ["http/1.1"] });
    tls.on("error", () => socket.destroy());
    targets.set(tls, { ...target, header });
    intercepted.emit("connection", tls);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://ward:${secret}@127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
