import { expect } from "vitest";

/**
 * A minimal scripted browser over fetch: a cookie jar (path-scoped, as Ward scopes its interaction
 * cookie), manual redirects, and form helpers for Ward's hosted pages. It never follows a redirect
 * off the server: the client's redirect_uri is returned for the test to read.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(readonly origin: string) {}

  private cookieHeader(url: URL): string {
    return [...this.cookies.entries()]
      .filter(
        ([, cookie]) =>
          url.pathname === cookie.path ||
          url.pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`) ||
          cookie.path === "/",
      )
      .map(([key, cookie]) => `${key.split("|")[0]}=${cookie.value}`)
      .join("; ");
  }

  private store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";").map((part) => part.trim());
      const [name, ...rest] = (pair as string).split("=");
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const maxAge = attributes.find((a) => a.toLowerCase().startsWith("max-age="));
      const key = `${name}|${path}`;
      if (maxAge?.toLowerCase() === "max-age=0" || rest.join("=") === "") this.cookies.delete(key);
      else this.cookies.set(key, { value: rest.join("="), path });
    }
  }

  cookie(name: string): string | undefined {
    return [...this.cookies.entries()].find(([key]) => key.split("|")[0] === name)?.[1].value;
  }

  forget(name: string): void {
    for (const key of [...this.cookies.keys()]) if (key.split("|")[0] === name) this.cookies.delete(key);
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    this.store(response);
    return response;
  }

  /**
   * Follows redirects on this server; stops at a page (200/4xx) or at a redirect leaving the server
   * (returned as `left`, the URL the browser would go to).
   */
  async navigate(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let response = await this.request(url, init);
    let current = new URL(url, this.origin);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get("location") as string, current);
      if (location.origin !== this.origin || !/^\/(authorize|interaction|end_session|account|dev|device)/.test(location.pathname)) {
        return new Page(response, await response.text(), location.toString(), current.toString());
      }
      current = location;
      response = await this.request(location.toString());
    }
    return new Page(response, await response.text(), undefined, current.toString());
  }

  /** Submits the form of `page` whose submit button has `button` as its text. */
  async submit(page: Page, fields: Record<string, string>, button?: string): Promise<Page> {
    const form = page.form(button);
    return this.navigate(new URL(form.action, page.url).toString(), { form: { ...form.fields, ...fields } });
  }
}

export class Page {
  constructor(
    readonly response: Response,
    readonly html: string,
    /** Set when the server redirected off itself (to the client). */
    readonly left: string | undefined,
    readonly url: string,
  ) {}

  get status(): number {
    return this.response.status;
  }

  get title(): string {
    return /<h1>([\s\S]*?)<\/h1>/.exec(this.html)?.[1] ?? "";
  }

  /** The (first) form containing a button whose text includes `button` (or the first form). */
  form(button?: string): { action: string; fields: Record<string, string> } {
    const forms = [...this.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const match = forms.find((f) => button === undefined || new RegExp(`<button[^>]*>\\s*${button}\\s*</button>`).test(f[2] as string));
    expect(match, `a form with button ${button} on ${this.url}:\n${this.html.slice(0, 2000)}`).toBeDefined();
    const fields: Record<string, string> = {};
    for (const input of (match?.[2] ?? "").matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? "";
      if (name) fields[name] = value.replace(/&quot;/g, '"').replace(/&amp;/g, "&");
    }
    if (button) {
      const buttonTag = new RegExp(`<button([^>]*)>\\s*${button}\\s*</button>`).exec(match?.[2] ?? "")?.[1] ?? "";
      const name = /name="([^"]*)"/.exec(buttonTag)?.[1];
      const value = /value="([^"]*)"/.exec(buttonTag)?.[1];
      if (name && value) fields[name] = value;
    }
    return { action: (match?.[1] ?? "").replace(/&amp;/g, "&"), fields };
  }

  /** The parameters of the client redirect this page ended in. */
  get redirectParams(): URLSearchParams {
    expect(this.left, `expected a redirect to the client, got ${this.status} ${this.title} at ${this.url}`).toBeDefined();
    return new URL(this.left as string).searchParams;
  }
}
