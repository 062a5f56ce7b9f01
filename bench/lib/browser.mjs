// Just enough of a browser to go through Ward's hosted sign-in: a cookie jar (by name), manual
// redirects, and the hidden fields of a form (its CSRF token). Used only to mint codes, untimed.
export class Browser {
  cookies = new Map();

  constructor(origin) {
    this.origin = origin;
  }

  async request(url, { form } = {}) {
    const headers = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    if (form) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(new URL(url, this.origin), {
      method: form ? "POST" : "GET",
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: "manual",
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";").map((part) => part.trim());
      const [name, ...rest] = pair.split("=");
      const value = rest.join("=");
      if (value === "" || attributes.some((a) => a.toLowerCase() === "max-age=0")) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects on this server; returns { location } when one leaves it, else { html, url } of the page. */
  async navigate(url, init) {
    let current = new URL(url, this.origin);
    let response = await this.request(current, init);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      current = new URL(response.headers.get("location"), current);
      if (current.origin !== this.origin) {
        await response.body?.cancel();
        return { location: current };
      }
      response = await this.request(current);
    }
    return { html: await response.text(), url: current, status: response.status };
  }

  /** Submits the form holding the button labelled `button`, with its hidden fields plus `fields`. */
  submit(page, button, fields = {}) {
    const form = [...page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find((f) =>
      new RegExp(`<button[^>]*>\\s*${button}\\s*</button>`).test(f[2]),
    );
    if (!form) throw new Error(`no form with a ${button} button at ${page.url} (status ${page.status}):\n${page.html.slice(0, 800)}`);
    const values = {};
    for (const [input] of form[2].matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input)?.[1];
      if (name) values[name] = (/value="([^"]*)"/.exec(input)?.[1] ?? "").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
    }
    const tag = new RegExp(`<button([^>]*)>\\s*${button}\\s*</button>`).exec(form[2])[1];
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (name) values[name] = /value="([^"]*)"/.exec(tag)?.[1] ?? "";
    return this.navigate(new URL(form[1].replace(/&amp;/g, "&"), page.url), { form: { ...values, ...fields } });
  }
}
