import { CsrfField, Page } from "./layout.js";

export interface ConsentPageProps {
  action: string;
  csrf: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  /** Set for a client known only by its metadata document URL: the host that published it. */
  metadataDocumentHost?: string | undefined;
  userEmail: string;
  resource: string | undefined;
  scopes: readonly { name: string; description: string }[];
  newScopes: readonly string[];
  timeLeftMs: number;
  /** A device asks (RFC 8628): there is no app to go back to, and the user must know what they approve. */
  device?: boolean;
}

export function ConsentPage(props: ConsentPageProps) {
  return (
    <Page title={`Allow ${props.clientName}?`} timeLeftMs={props.timeLeftMs}>
      <p>
        <strong>{props.clientName}</strong> (client <code>{props.clientId}</code>) asks to access your account{" "}
        <strong>{props.userEmail}</strong>.
      </p>
      {props.metadataDocumentHost ? (
        <p class="notice">
          This app is not registered with this server: it describes itself in a document published by{" "}
          <strong>{props.metadataDocumentHost}</strong>, and its name is not verified. Allow only if you trust{" "}
          <strong>{props.redirectHost}</strong>.
        </p>
      ) : null}
      {props.device ? (
        <p>
          <strong>A device is asking</strong> to be connected to your account. Allow only if you started signing in on that device yourself
          and it shows the code you entered.
        </p>
      ) : (
        <p>
          After you decide, you go back to <strong>{props.redirectHost}</strong>.
        </p>
      )}
      {props.resource ? (
        <p>
          On <code>{props.resource}</code>, it will be able to:
        </p>
      ) : (
        <p>It will be able to:</p>
      )}
      <ul class="scopes">
        {props.scopes.map((scope) => (
          <li>
            {scope.description} <code>{scope.name}</code>
            {props.newScopes.includes(scope.name) ? <strong> (new)</strong> : null}
          </li>
        ))}
      </ul>
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <button type="submit" name="decision" value="allow">
          Allow
        </button>{" "}
        <button type="submit" name="decision" value="deny" class="secondary">
          Deny
        </button>
      </form>
    </Page>
  );
}
