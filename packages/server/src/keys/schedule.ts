const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses keys.rotation_interval (`off`, `90d`, `12h`, `30m`, `45s`) to milliseconds; undefined for `off`. */
export function parseDuration(text: string): number | undefined {
  if (text === "off") return undefined;
  const match = /^([1-9]\d*)([smhd])$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
