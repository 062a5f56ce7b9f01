import type { Server } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createVerifier } from "@ward/sdk";
import { serveProtectedResourceMetadata, type WardAuthInfo, wardExpress } from "@ward/sdk/express";
import express from "express";

/** A notes MCP server (official SDK, streamable HTTP, stateless) that accepts only Ward tokens issued for it. */
export function startNotesMcp(options: { issuer: string; resource: string; port: number; allowInsecureLoopback?: boolean }): Server {
  const verifier = createVerifier(options);
  const protection = {
    verifier,
    scopes: ["notes:read"], // every call
    toolScopes: { "notes.write": ["notes:write"] }, // 403 insufficient_scope + step-up challenge otherwise
  };
  const app = express();
  serveProtectedResourceMetadata(app, protection); // MCP clients discover the issuer here
  app.post("/mcp", express.json(), wardExpress(protection), async (req, res) => {
    const mcp = new McpServer({ name: "notes", version: "1.0.0" });
    mcp.registerTool("notes.list", { description: "List notes" }, async (extra) => {
      const user = (extra.authInfo as WardAuthInfo).extra.claims.sub;
      return { content: [{ type: "text", text: `notes of ${user}` }] };
    });
    mcp.registerTool("notes.write", { description: "Write a note" }, async () => ({ content: [{ type: "text", text: "written" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void Promise.all([transport.close(), mcp.close()]));
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  return app.listen(options.port, "127.0.0.1");
}
