/** JSON columns are text on both engines (portable, and read back byte for byte). */
export const toJson = (value: unknown): string => JSON.stringify(value);

export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Nullable bigint columns: numbers on both engines (pg's int8 parser is set per pool). */
export const numberOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));
