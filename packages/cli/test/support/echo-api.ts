import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loopbackCertificate } from "../../../server/test/support/tls.js";

/** An https API on 127.0.0.1 (throwaway certificate) that records the Authorization header of each request. */
export async function echoApi(): Promise<{ server: Server; host: string; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const server = createServer(loopbackCertificate(), (request, response) => {
    seen.push(request.headers.authorization);
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: request.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Env for a ward process that must trust the echo API's throwaway certificate (the proxy verifies upstream TLS). */
export function trustTestApi(dir: string): Record<string, string> {
  const caFile = join(dir, "test-api-ca.pem");
  writeFileSync(caFile, loopbackCertificate().cert);
  return { NODE_EXTRA_CA_CERTS: caFile };
}
