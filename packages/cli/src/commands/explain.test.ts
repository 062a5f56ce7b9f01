import { findError, listErrors, templateText } from "@ward/core";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { explainText, listJson, listText, normalizeCode, registerExplain, suggestCodes, unknownCodeText } from "./explain.js";

/** Runs `ward <args>` against a program that has only the explain command, capturing its output. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command("ward").option("--json").option("--no-color").exitOverride();
  registerExplain(program);
  let stdout = "";
  let stderr = "";
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    process.exitCode = undefined;
    await program.parseAsync(["node", "ward", ...args]);
    return { stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("explainText", () => {
  it("explains every catalog code offline: title, status, template, cause, fix and the docs anchor", () => {
    for (const d of listErrors()) {
      const text = explainText(d.code);
      expect(text, d.code).toBeDefined();
      expect(text, d.code).toContain(`${d.code}: ${d.title}\n`);
      expect(text, d.code).toContain(`HTTP ${d.status} · error=${d.oauthError}`);
      expect(text, d.code).toContain(`\n${templateText(d)}\n`);
      expect(text, d.code).toContain(`\nCause: ${d.cause}\n`);
      expect(text, d.code).toContain(`\nFix: ${d.fix}\n`);
      expect(text, d.code).toContain(`More: docs/troubleshooting.md#${d.code}`);
    }
  });

  it("prints the exact layout", () => {
    const d = findError("redirect_uri_mismatch");
    if (!d) throw new Error("redirect_uri_mismatch missing");
    expect(explainText("redirect_uri_mismatch")).toBe(
      [
        "redirect_uri_mismatch: redirect_uri is not registered for this client",
        "HTTP 400 · error=invalid_request",
        "",
        "redirect_uri <received> is not registered for client <client_id>. Closest registered: <closest> (<difference>).",
        "",
        `Cause: ${d.cause}`,
        "",
        `Fix: ${d.fix}`,
        "",
        "More: docs/troubleshooting.md#redirect_uri_mismatch (or /errors/redirect_uri_mismatch on any Ward server)",
      ].join("\n"),
    );
  });

  it("says when an error may be redirected back to the client", () => {
    expect(explainText("pkce_challenge_missing")).toContain(
      "HTTP 400 · error=invalid_request · sent back to the client's redirect_uri once client and redirect_uri are validated\n",
    );
  });

  it("accepts the code in upper case or with hyphens", () => {
    expect(normalizeCode("  REDIRECT-URI mismatch ")).toBe("redirect_uri_mismatch");
    expect(explainText("PKCE-VERIFIER-MISMATCH")).toBe(explainText("pkce_verifier_mismatch"));
  });

  it("returns undefined for an unknown code", () => {
    expect(explainText("no_such_code")).toBeUndefined();
  });
});

describe("unknown codes", () => {
  it("names the code received and suggests the closest codes by edit distance", () => {
    expect(suggestCodes("redirect_uri_mismach")[0]).toBe("redirect_uri_mismatch");
    expect(unknownCodeText("redirect_uri_mismach")).toMatch(
      /^✗ unknown error code "redirect_uri_mismach"\. Did you mean redirect_uri_mismatch(, [a-z_]+){0,2}\? `ward explain --list` lists every code\.$/,
    );
  });

  it("suggests at most three codes, falling back to codes that contain the input", () => {
    const suggestions = suggestCodes("pkce");
    expect(suggestions).toHaveLength(3);
    for (const code of suggestions) expect(code).toContain("pkce");
  });

  it("offers no suggestion for input that resembles nothing", () => {
    expect(unknownCodeText("zzzzzzzzzzzzzzzzzzzz")).toBe(
      '✗ unknown error code "zzzzzzzzzzzzzzzzzzzz". `ward explain --list` lists every code.',
    );
  });

  it("recognises an OAuth error value and lists the Ward codes sent with it", () => {
    const text = unknownCodeText("invalid_grant");
    expect(text.split("\n")[1]).toMatch(
      /^ {2}invalid_grant is an OAuth error value, not a Ward code; Ward codes sent with error=invalid_grant: /,
    );
    expect(text).toContain("authorization_code_reused");
  });
});

describe("ward explain (command)", () => {
  it("prints the explanation on stdout and exits 0", async () => {
    const result = await run(["explain", "pkce_verifier_mismatch"]);
    expect(result).toEqual({ stdout: `${explainText("pkce_verifier_mismatch")}\n`, stderr: "", exitCode: 0 });
  });

  it("--json prints the catalog definition", async () => {
    for (const args of [
      ["explain", "refresh_token_reused", "--json"],
      ["--json", "explain", "refresh_token_reused"],
    ]) {
      const result = await run(args);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(findError("refresh_token_reused"));
    }
  });

  it("exits 2 on an unknown code, with the suggestions on stderr and nothing on stdout", async () => {
    const result = await run(["explain", "authorization_code_reuse"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`${unknownCodeText("authorization_code_reuse")}\n`);
    expect(result.stderr).toContain('"authorization_code_reuse"');
    expect(result.stderr).toContain("Did you mean authorization_code_reused");
  });

  it("--list prints one line per code: code, status, title", async () => {
    const result = await run(["explain", "--list"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${listText()}\n`);
    const lines = result.stdout.trimEnd().split("\n");
    const all = listErrors();
    expect(lines).toHaveLength(all.length);
    all.forEach((d, i) => {
      expect(lines[i]).toMatch(new RegExp(`^${d.code} +${d.status} {2}`));
      expect(lines[i]?.endsWith(d.title)).toBe(true);
    });
  });

  it("--list --json prints an array in catalog order", async () => {
    const result = await run(["explain", "--list", "--json"]);
    const list = JSON.parse(result.stdout) as { code: string; status: number; error: string; title: string }[];
    expect(list).toEqual(listJson());
    expect(list.map((e) => e.code)).toEqual(listErrors().map((d) => d.code));
    expect(list[0]).toEqual({
      code: listErrors()[0]?.code,
      area: listErrors()[0]?.area,
      status: listErrors()[0]?.status,
      error: listErrors()[0]?.oauthError,
      title: listErrors()[0]?.title,
    });
  });
});
