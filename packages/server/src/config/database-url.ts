/**
 * Which database a `database.url` names, or undefined when Ward does not understand it: the one test
 * that `openDatabase` and `ward config check` share, so a URL the check accepts is one the server opens.
 */
export function databaseKindOf(url: string): "sqlite" | "postgres" | undefined {
  if (/^sqlite:./.test(url)) return "sqlite";
  if (/^postgres(ql)?:\/\/./.test(url) && URL.canParse(url)) return "postgres";
  return undefined;
}
