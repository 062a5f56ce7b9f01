import { CsrfField, ErrorNote, Page } from "./layout.js";

export interface GrantedApp {
  client_id: string;
  client_name: string;
  scopes: string[];
  resources: string[];
  last_used_at: number;
}

export interface AccountPageProps {
  csrf: string;
  email: string;
  name: string | null;
  twoFactor: boolean;
  recoveryCodesLeft: number;
  apps: GrantedApp[];
  otherSessions: number;
  notice?: string | undefined;
  error?: string | undefined;
}

function Action({
  action,
  csrf,
  label,
  name,
  value,
  secondary,
}: {
  action: string;
  csrf: string;
  label: string;
  name?: string;
  value?: string;
  secondary?: boolean;
}) {
  return (
    <form method="post" action={action}>
      <CsrfField token={csrf} />
      {name && value ? <input type="hidden" name={name} value={value} /> : null}
      <button type="submit" class={secondary ? "secondary" : undefined}>
        {label}
      </button>
    </form>
  );
}

export function AccountPage(props: AccountPageProps) {
  return (
    <Page title="Your account">
      <p>
        Signed in as <strong>{props.email}</strong>
        {props.name ? ` (${props.name})` : ""}.
      </p>
      {props.notice ? (
        <p class="note" role="status">
          {props.notice}
        </p>
      ) : null}
      <ErrorNote message={props.error} />

      <h2>Two-factor authentication</h2>
      {props.twoFactor ? (
        <>
          <p>On: signing in asks for a code from your authenticator app. {props.recoveryCodesLeft} recovery codes left.</p>
          <form method="post" action="/account/two-factor/reset">
            <CsrfField token={props.csrf} />
            <label for="reset_password">Current password</label>
            <input id="reset_password" name="current_password" type="password" autocomplete="current-password" required maxlength={1024} />
            <button type="submit" class="secondary">
              Reset two-factor authentication
            </button>
          </form>
        </>
      ) : (
        <>
          <p>Off.</p>
          <Action action="/account/two-factor/start" csrf={props.csrf} label="Set up two-factor authentication" />
        </>
      )}

      <h2>Password</h2>
      <form method="post" action="/account/password">
        <CsrfField token={props.csrf} />
        <label for="current_password">Current password</label>
        <input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength={1024} />
        <label for="new_password">New password</label>
        <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength={8} maxlength={1024} />
        <button type="submit">Change password</button>
      </form>

      <h2>Apps you allowed</h2>
      {props.apps.length === 0 ? <p>None.</p> : null}
      <ul class="scopes" id="apps">
        {props.apps.map((app) => (
          <li>
            <strong>{app.client_name}</strong> (<code>{app.client_id}</code>): <code>{app.scopes.join(" ")}</code>
            {app.resources.length ? <> on {app.resources.join(", ")}</> : null}; last used {new Date(app.last_used_at).toISOString()}
            <Action
              action="/account/apps/revoke"
              csrf={props.csrf}
              label={`Revoke ${app.client_name}`}
              name="client_id"
              value={app.client_id}
              secondary
            />
          </li>
        ))}
      </ul>

      <h2>Sessions</h2>
      <p>
        {props.otherSessions === 0
          ? "This is your only signed-in browser."
          : `You are also signed in on ${props.otherSessions} other browser(s).`}
      </p>
      <Action action="/account/logout" csrf={props.csrf} label="Sign out" />
      <Action action="/account/logout-everywhere" csrf={props.csrf} label="Sign out everywhere" secondary />
    </Page>
  );
}
