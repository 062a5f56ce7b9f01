/** What the browser brought back to the callback for one login. */
export interface CallbackResult {
  code?: string;
  iss?: string;
  error?: string;
  error_description?: string;
}

export type LoginStatus = "pending" | "received" | "collected" | "expired" | "cancelled";

interface Login {
  status: LoginStatus;
  expiresAt: number;
  result?: CallbackResult;
  /** A callback with a state no login sent arrived while this one waited. */
  mismatch?: string;
}

/** What a callback's state means. */
export type CallbackVerdict =
  | { kind: "accepted" }
  | { kind: "mismatch"; received: string }
  | { kind: "stale"; received: string; outcome: string };

const OUTCOME: Record<Exclude<LoginStatus, "pending">, string> = {
  received: "received its callback",
  collected: "finished",
  expired: "timed out",
  cancelled: "was cancelled",
};

/** How long a finished login's state is remembered, so a late tab gets "stale" rather than "mismatch". */
const REMEMBER_MS = 24 * 60 * 60 * 1000;

/** The logins the daemon waits for, keyed by their OAuth state. */
export class PendingLogins {
  private readonly logins = new Map<string, Login>();

  constructor(private readonly now: () => number = Date.now) {}

  register(state: string, ttlMs: number): void {
    this.sweep();
    this.logins.set(state, { status: "pending", expiresAt: this.now() + ttlMs });
  }

  /** Checks a callback's state against the logins in progress and records its result. */
  callback(state: string | undefined, result: CallbackResult): CallbackVerdict {
    this.sweep();
    const login = state === undefined ? undefined : this.logins.get(state);
    if (!login || state === undefined) {
      const received = state ?? "(none)";
      for (const waiting of this.logins.values()) if (waiting.status === "pending") waiting.mismatch = received;
      return { kind: "mismatch", received };
    }
    if (login.status !== "pending") return { kind: "stale", received: state, outcome: OUTCOME[login.status] };
    login.status = "received";
    login.result = result;
    return { kind: "accepted" };
  }

  /** The CLI's poll: the result once (then the login is finished), or where it stands. */
  collect(state: string): { status: LoginStatus | "unknown"; result?: CallbackResult; mismatch?: string } {
    this.sweep();
    const login = this.logins.get(state);
    if (!login) return { status: "unknown" };
    if (login.status === "received") {
      login.status = "collected";
      const result = login.result;
      login.result = undefined;
      return { status: "received", result };
    }
    return { status: login.status, mismatch: login.mismatch };
  }

  cancel(state: string): void {
    const login = this.logins.get(state);
    if (login?.status === "pending") login.status = "cancelled";
  }

  /** Logins still waiting for their callback (the daemon is not replaced while one waits). */
  waiting(): number {
    this.sweep();
    return [...this.logins.values()].filter((login) => login.status === "pending" || login.status === "received").length;
  }

  private sweep(): void {
    const now = this.now();
    for (const [state, login] of this.logins) {
      if (login.status === "pending" && now > login.expiresAt) login.status = "expired";
      if (now > login.expiresAt + REMEMBER_MS) this.logins.delete(state);
    }
  }
}
