/** A parsed JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON bodies
export type Json = any;

export async function json(response: Response): Promise<Json> {
  return response.json();
}
