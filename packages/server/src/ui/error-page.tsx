import { errorUri, type WardError } from "@ward/core";
import type { Context } from "hono";
import type { WardEnv } from "../http/context.js";
import { MessagePage } from "./message.js";
import { renderPage } from "./render.js";

/**
 * An error shown to the person in the browser (never redirected): what happened, the fix, the code
 * and its explanation page; an expired sign-in offers to start again.
 */
export function renderErrorPage(
  c: Context<WardEnv>,
  errorsBaseUrl: string,
  error: WardError,
  headers: Record<string, string> = {},
): Response {
  const restart = (error.details as { restart?: string } | undefined)?.restart;
  return renderPage(
    c,
    <MessagePage
      title={error.definition.title}
      message={error.message}
      code={error.code}
      fix={error.definition.fix}
      errorUri={errorUri(errorsBaseUrl, error.code)}
      action={restart ? { href: restart, label: "Start signing in again" } : undefined}
    />,
    { status: error.status, headers },
  );
}
