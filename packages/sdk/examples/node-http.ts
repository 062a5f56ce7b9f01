import { createServer, type Server } from "node:http";
import { createVerifier, protectNode, requireScope } from "@ward/sdk";

/** A notes API on node:http that accepts only Ward tokens issued for it. */
export function startNotesApi(options: { issuer: string; resource: string; port: number; allowInsecureLoopback?: boolean }): Server {
  const verifier = createVerifier({
    issuer: options.issuer, // exactly as the issuer publishes itself
    resource: options.resource, // exactly as registered: `ward admin resources create --uri …`
    allowInsecureLoopback: options.allowInsecureLoopback, // only for an http://127.0.0.1 dev issuer
  });
  const handler = protectNode({ verifier, scopes: ["notes:read"] }, (req, res) => {
    if (req.method === "POST") requireScope(req.auth.extra.claims, "notes:write"); // 403 + step-up challenge otherwise
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ user: req.auth.extra.claims.sub, client: req.auth.clientId }));
  });
  return createServer(handler).listen(options.port, "127.0.0.1");
}
