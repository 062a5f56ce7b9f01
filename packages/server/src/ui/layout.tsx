import type { Child } from "hono/jsx";

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.55rem;font:inherit;border:1px solid #9aa3b2;border-radius:4px}
button{margin-top:1rem;padding:.55rem 1.2rem;font:inherit;border-radius:4px;border:1px solid #1f4fd1;background:#1f4fd1;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f4fd1}
.error{background:#fdecec;border:1px solid #e5a5a5;padding:.6rem;border-radius:4px}
.note{color:#5a6270;font-size:.9rem}
code,pre{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-all;white-space:pre-wrap}
ul.scopes li{margin:.3rem 0}
.codes{columns:2}
`;

export interface PageProps {
  title: string;
  /** Milliseconds left in the authorization session, shown to the user. */
  timeLeftMs?: number | undefined;
  children: Child;
}

export function TimeLeft({ ms }: { ms: number }) {
  const minutes = Math.max(0, Math.ceil(ms / 60000));
  return (
    <p class="note" id="time-left">
      Time left to finish signing in: {minutes} {minutes === 1 ? "minute" : "minutes"}.
    </p>
  );
}

/** The frame of every hosted page: no scripts, inline styles only (the CSP allows nothing else). */
export function Page({ title, timeLeftMs, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{title} · Ward</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>
          <h1>{title}</h1>
          {children}
          {timeLeftMs !== undefined ? <TimeLeft ms={timeLeftMs} /> : null}
        </main>
      </body>
    </html>
  );
}

export function ErrorNote({ message }: { message: string | undefined }) {
  return message ? (
    <p class="error" role="alert">
      {message}
    </p>
  ) : null;
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="csrf" value={token} />;
}
