import { CsrfField, ErrorNote, Page } from "./layout.js";

export interface LoginPageProps {
  action: string;
  csrf: string;
  clientName: string;
  email?: string | undefined;
  error?: string | undefined;
  timeLeftMs: number;
}

export function LoginPage(props: LoginPageProps) {
  return (
    <Page title="Sign in" timeLeftMs={props.timeLeftMs}>
      <p>
        to continue to <strong>{props.clientName}</strong>
      </p>
      <ErrorNote message={props.error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={props.email ?? ""} maxlength={320} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={1024} />
        <button type="submit">Sign in</button>
      </form>
    </Page>
  );
}
