import { CsrfField, ErrorNote, Page } from "./layout.js";

/** The "Authentication code" form (contract label) of both the verification and the enrolment page. */
function CodeForm({ action, csrf }: { action: string; csrf: string }) {
  return (
    <form method="post" action={action}>
      <CsrfField token={csrf} />
      <label for="code">Authentication code</label>
      <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required maxlength={7} />
      <button type="submit">Verify</button>
    </form>
  );
}

export interface TwoFactorPageProps {
  action: string;
  csrf: string;
  error?: string | undefined;
  timeLeftMs?: number | undefined;
}

export function TwoFactorPage(props: TwoFactorPageProps) {
  return (
    <Page title="Two-factor authentication" timeLeftMs={props.timeLeftMs}>
      <p>Enter the 6-digit code from your authenticator app.</p>
      <ErrorNote message={props.error} />
      <CodeForm action={props.action} csrf={props.csrf} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <label for="recovery_code">Recovery code</label>
        <input id="recovery_code" name="recovery_code" autocomplete="off" required maxlength={64} />
        <button type="submit" class="secondary">
          Use recovery code
        </button>
      </form>
    </Page>
  );
}

export interface EnrolPageProps {
  action: string;
  csrf: string;
  /** data: URL of the QR code image of the otpauth:// URI. */
  qrCode: string;
  secret: string;
  recoveryCodes: readonly string[];
  error?: string | undefined;
  timeLeftMs?: number | undefined;
}

export function EnrolPage(props: EnrolPageProps) {
  return (
    <Page title="Set up two-factor authentication" timeLeftMs={props.timeLeftMs}>
      <p>Scan this QR code with an authenticator app, then enter the code it shows.</p>
      <img src={props.qrCode} alt="QR code of your authenticator setup key" width={200} height={200} />
      <p>
        Or type this setup key: <code id="setup-key">{props.secret}</code>
      </p>
      <p>Keep these recovery codes somewhere safe; each one signs you in once if you lose your authenticator:</p>
      <ul class="codes" id="recovery-codes">
        {props.recoveryCodes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <ErrorNote message={props.error} />
      <CodeForm action={props.action} csrf={props.csrf} />
    </Page>
  );
}
