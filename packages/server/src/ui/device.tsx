import { CsrfField, ErrorNote, Page } from "./layout.js";

export interface DeviceCodePageProps {
  action: string;
  csrf: string;
  /** The code from verification_uri_complete, shown for the user to check and confirm. */
  code?: string | undefined;
  error?: string | undefined;
}

/** /device: the user types (or checks) the code their device shows; nothing happens before Continue. */
export function DeviceCodePage(props: DeviceCodePageProps) {
  return (
    <Page title="Connect a device">
      <p>Enter the code shown on your device. Only continue if you started signing in on that device yourself.</p>
      <ErrorNote message={props.error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <label for="user_code">Code</label>
        <input
          id="user_code"
          name="user_code"
          type="text"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          required
          maxlength={32}
          placeholder="XXXX-XXXX"
          value={props.code ?? ""}
        />
        <button type="submit">Continue</button>
      </form>
    </Page>
  );
}

/** After the user's decision: the device can continue, or will be told it was denied. */
export function DeviceResultPage({ approved }: { approved: boolean }) {
  return approved ? (
    <Page title="Device connected">
      <p role="status">You can now continue on your device; it will finish signing in by itself. You may close this page.</p>
    </Page>
  ) : (
    <Page title="Device not connected">
      <p role="status">You denied the request: the device will be told it has no access. You may close this page.</p>
    </Page>
  );
}
