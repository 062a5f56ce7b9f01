import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface Listener {
  port: number;
  host: string;
  /** Stops accepting, lets in-flight requests finish for up to `timeoutMs`, then closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

type NodeServer = ReturnType<typeof serve> & {
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
};

/** Serves a Hono app on host:port (port 0 picks a free one); rejects on EADDRINUSE and friends. */
export function listen(app: { fetch: (request: Request) => Response | Promise<Response> }, host: string, port: number): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }) as NodeServer;
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        host,
        close: (timeoutMs) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections?.(), timeoutMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections?.();
          }),
      });
    });
  });
}
