import { escapeHtml, findError, listErrors, WardError } from "@ward/core";
import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import { htmlError } from "../http/errors.js";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Ward</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem}code{background:#f1f1f4;padding:.1rem .3rem;border-radius:4px}</style></head><body><main>${body}</main></body></html>`;
}

/**
 * `/errors` and `/errors/<code>`: the explanation behind every `error_uri` Ward returns, served by
 * the server itself so the link works offline and matches the running version.
 */
export function mountErrorPages(app: Hono<WardEnv>, errorsBaseUrl: string): void {
  app.get("/errors", (c) => {
    const items = listErrors()
      .map((d) => `<li><a href="/errors/${encodeURIComponent(d.code)}"><code>${escapeHtml(d.code)}</code></a>: ${escapeHtml(d.title)}</li>`)
      .join("");
    return c.html(page("Errors", `<h1>Ward errors</h1><ul>${items}</ul>`));
  });
  app.get("/errors/:code", (c) => {
    const definition = findError(c.req.param("code"));
    if (!definition) {
      return htmlError(c, new WardError("endpoint_not_found", { method: "GET", path: c.req.path, metadata_url: "/errors" }), errorsBaseUrl);
    }
    const template = definition.description.replace(/\{([a-z_]+)\}/g, "<$1>");
    return c.html(
      page(
        definition.title,
        `<h1>${escapeHtml(definition.title)}</h1>
<p>Code <code>${escapeHtml(definition.code)}</code> · HTTP ${definition.status} · <code>${escapeHtml(definition.oauthError)}</code></p>
<p>${escapeHtml(template)}</p>
<h2>Cause</h2><p>${escapeHtml(definition.cause)}</p>
<h2>Fix</h2><p>${escapeHtml(definition.fix)}</p>
<p>Offline: <code>ward explain ${escapeHtml(definition.code)}</code></p>`,
      ),
    );
  });
}
