import { Page } from "./layout.js";

export interface DecodedToken {
  label: string;
  header: unknown;
  claims: unknown;
}

export function DevCallbackPage(props: { tokens: DecodedToken[]; response: Record<string, unknown>; signOutUrl: string | undefined }) {
  return (
    <Page title="It worked: tokens from Ward">
      <p>
        The browser came back to the demo client's callback with a code, which this page exchanged at <code>/token</code> with its PKCE
        verifier. This page exists only on a loopback issuer (<code>dev.callback</code>).
      </p>
      <h2>Token response</h2>
      <pre id="token-response">{JSON.stringify(props.response, null, 2)}</pre>
      {props.tokens.map((token) => (
        <>
          <h2>{token.label}</h2>
          <pre>{JSON.stringify({ header: token.header, claims: token.claims }, null, 2)}</pre>
        </>
      ))}
      <p>
        <a href="/dev/start">Run the flow again</a> · <a href="/account">Your account</a>
        {props.signOutUrl ? (
          <>
            {" "}
            · <a href={props.signOutUrl}>Sign out</a>
          </>
        ) : null}
      </p>
    </Page>
  );
}
