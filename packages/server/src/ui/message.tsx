import type { Child } from "hono/jsx";
import { CsrfField, Page } from "./layout.js";

/** A page that explains an error the user can act on, with an optional way forward. */
export function MessagePage(props: {
  title: string;
  message: string;
  code?: string | undefined;
  fix?: string | undefined;
  errorUri?: string | undefined;
  action?: { href: string; label: string } | undefined;
  children?: Child;
}) {
  return (
    <Page title={props.title}>
      <p class={props.code ? "error" : undefined} role={props.code ? "alert" : undefined}>
        {props.message}
      </p>
      {props.fix ? <p>{props.fix}</p> : null}
      {props.action ? (
        <p>
          <a href={props.action.href}>{props.action.label}</a>
        </p>
      ) : null}
      {props.children}
      {props.code ? (
        <p class="note">
          Error code <code>{props.code}</code>
          {props.errorUri ? (
            <>
              {" "}
              · <a href={props.errorUri}>what this means</a>
            </>
          ) : null}
        </p>
      ) : null}
    </Page>
  );
}

export function SignOutPage(props: { action: string; csrf: string; fields: Record<string, string>; email: string | undefined }) {
  return (
    <Page title="Sign out">
      <p>{props.email ? `Sign ${props.email} out of Ward?` : "Sign out of Ward?"}</p>
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit" name="confirm" value="yes">
          Sign out
        </button>
      </form>
    </Page>
  );
}
