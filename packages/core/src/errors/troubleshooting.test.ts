import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { templateText, troubleshootingMarkdown } from "./troubleshooting.js";
import { findError, listErrors } from "./ward-error.js";

const docPath = fileURLToPath(new URL("../../../../docs/troubleshooting.md", import.meta.url));

function definition(code: string) {
  const found = findError(code);
  if (!found) throw new Error(`${code} is not in the catalog`);
  return found;
}

describe("docs/troubleshooting.md", () => {
  it("matches the catalog (run `npm run docs` when this fails)", () => {
    const generated = troubleshootingMarkdown();
    // One-off regeneration without a build: WARD_WRITE_DOCS=1 npx vitest run packages/core/src/errors/troubleshooting.test.ts
    if (process.env.WARD_WRITE_DOCS === "1") writeFileSync(docPath, generated);
    let current = "";
    try {
      current = readFileSync(docPath, "utf8");
    } catch {}
    expect(current === generated, "docs/troubleshooting.md differs from the errors catalog: run `npm run docs` and commit the result").toBe(
      true,
    );
  });

  it("is deterministic", () => {
    expect(troubleshootingMarkdown()).toBe(troubleshootingMarkdown());
  });

  it("says it is generated and must not be edited by hand", () => {
    const [title, blank, comment] = troubleshootingMarkdown().split("\n");
    expect(title).toBe("# Troubleshooting");
    expect(blank).toBe("");
    expect(comment).toContain("Generated from the errors catalog");
    expect(comment).toContain("`npm run docs`");
    expect(comment).toContain("Do not edit by hand");
  });

  it("gives every code its own heading (the anchor is the code) and a table-of-contents link", () => {
    const markdown = troubleshootingMarkdown();
    for (const d of listErrors()) {
      expect(markdown, d.code).toContain(`\n### ${d.code}\n`);
      expect(markdown, d.code).toContain(`  - [\`${d.code}\`](#${d.code}): `);
      expect(markdown, d.code).toContain(`\nOffline: \`ward explain ${d.code}\`\n`);
    }
  });

  it("groups the table of contents by area, linking each area section", () => {
    const markdown = troubleshootingMarkdown();
    expect(markdown).toContain("\n- [Authorization requests](#authorization-requests)\n");
    expect(markdown).toContain("\n## Authorization requests\n");
    expect(markdown).toContain("\n- [Configuration and boot](#configuration-and-boot)\n");
    expect(markdown).toContain("\n## Configuration and boot\n");
  });

  it("renders one section: status and OAuth error, template with <params>, cause, fix", () => {
    const d = definition("redirect_uri_mismatch");
    const markdown = troubleshootingMarkdown();
    const start = markdown.indexOf("\n### redirect_uri_mismatch\n");
    const section = markdown.slice(start, markdown.indexOf("\n### ", start + 1));
    expect(section).toContain(`\n**${d.title}** · HTTP 400 · \`error=invalid_request\`\n`);
    expect(section).toContain(
      "\n> redirect_uri `<received>` is not registered for client `<client_id>`. Closest registered: `<closest>` (`<difference>`).\n",
    );
    expect(section).toContain("\n**Cause.** ");
    expect(section).toContain("\n**Fix.** ");
    expect(section).not.toContain("sent back to the client's redirect_uri");
  });

  it("marks errors that may be redirected back to the client", () => {
    const markdown = troubleshootingMarkdown();
    const start = markdown.indexOf("\n### pkce_challenge_missing\n");
    const section = markdown.slice(start, markdown.indexOf("\n### ", start + 1));
    expect(section).toContain(
      "**PKCE code_challenge missing** · HTTP 400 · `error=invalid_request` · sent back to the client's redirect_uri once client and redirect_uri are validated",
    );
  });

  it("never leaves a bare <placeholder> that a Markdown renderer would swallow as an HTML tag", () => {
    const prose = troubleshootingMarkdown()
      .replace(/<!--[\s\S]*?-->/g, "")
      .replace(/`[^`\n]*`/g, "");
    expect(prose.match(/<[A-Za-z/][^>\n]*>/g) ?? []).toEqual([]);
  });
});

describe("templateText", () => {
  it("shows {param} as <param> for terminals", () => {
    expect(templateText(definition("redirect_uri_mismatch"))).toBe(
      "redirect_uri <received> is not registered for client <client_id>. Closest registered: <closest> (<difference>).",
    );
    expect(templateText(definition("internal_error"))).toContain("(request id <request_id>)");
  });
});
