import { randomBytes } from "node:crypto";

/** What the user is asked for on a bridge page. */
export type BridgeKind = "client" | "api_key";

export interface BridgeRequest {
  kind: BridgeKind;
  provider: string;
  /** The redirect URI to register at the provider (kind "client"). */
  redirect_uri?: string;
  /** Where the user creates the app or key. */
  setup_url?: string;
}

/** What the user pasted. */
export type BridgeAnswer = { client_id: string; client_secret?: string } | { api_key: string };

type Status = "pending" | "submitted" | "collected" | "expired" | "cancelled";

interface Bridge extends BridgeRequest {
  csrf: string;
  expiresAt: number;
  status: Status;
  answer?: BridgeAnswer;
}

/** Why a page cannot be used: an unknown id is treated as expired (ids are never reused). */
export type BridgeRefusal = "expired" | "used";

/**
 * One-time pages where the user pastes a client_id/secret or API key into the daemon instead of the
 * terminal. Each has an unguessable id (the URL), a CSRF token (form field and cookie), an expiry,
 * and accepts one submission; the answer is handed to the CLI once and then forgotten.
 */
export class Bridges {
  private readonly bridges = new Map<string, Bridge>();

  constructor(private readonly now: () => number = Date.now) {}

  open(request: BridgeRequest, ttlMs: number): string {
    this.sweep();
    const id = randomBytes(32).toString("base64url");
    this.bridges.set(id, { ...request, csrf: randomBytes(32).toString("base64url"), expiresAt: this.now() + ttlMs, status: "pending" });
    return id;
  }

  /** The page's data while it can be used, else why not. */
  page(id: string): (BridgeRequest & { csrf: string }) | BridgeRefusal {
    this.sweep();
    const bridge = this.bridges.get(id);
    if (!bridge || bridge.status === "expired" || bridge.status === "cancelled") return "expired";
    if (bridge.status !== "pending") return "used";
    return bridge;
  }

  submit(id: string, answer: BridgeAnswer): void {
    const bridge = this.bridges.get(id);
    if (bridge?.status !== "pending") return;
    bridge.status = "submitted";
    bridge.answer = answer;
  }

  /** The CLI's poll: the answer once, or where it stands. */
  collect(id: string): { status: Status | "unknown"; answer?: BridgeAnswer } {
    this.sweep();
    const bridge = this.bridges.get(id);
    if (!bridge) return { status: "unknown" };
    if (bridge.status !== "submitted") return { status: bridge.status };
    bridge.status = "collected";
    const answer = bridge.answer;
    bridge.answer = undefined;
    return { status: "submitted", answer };
  }

  cancel(id: string): void {
    const bridge = this.bridges.get(id);
    if (bridge?.status === "pending") bridge.status = "cancelled";
    if (bridge) bridge.answer = undefined;
  }

  /** Pages still open or answered but not yet collected by their `ward login`. */
  waiting(): number {
    this.sweep();
    return [...this.bridges.values()].filter((bridge) => bridge.status === "pending" || bridge.status === "submitted").length;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, bridge] of this.bridges) {
      if (bridge.status === "pending" && now > bridge.expiresAt) bridge.status = "expired";
      if (bridge.status === "submitted" && now > bridge.expiresAt) bridge.answer = undefined;
      if (now > bridge.expiresAt + 3600_000) this.bridges.delete(id);
    }
  }
}
