/** Pure: decides whether a dump shrank too much against the last verified one. */
export interface SizeGuardVerdict {
  readonly ok: boolean;
  readonly message?: string;
}

export function checkSize(
  bytes: number,
  previous: { bytes: number; key: string } | undefined,
  maxShrink: number,
): SizeGuardVerdict {
  if (!previous || previous.bytes === 0) return { ok: true };
  const floor = (1 - maxShrink) * previous.bytes;
  if (bytes >= floor) return { ok: true };
  const shrink = ((1 - bytes / previous.bytes) * 100).toFixed(1);
  return {
    ok: false,
    message:
      `the dump is ${bytes} bytes, ${shrink}% smaller than the last verified backup (${previous.bytes} bytes, ` +
      `${previous.key}); the size guard allows at most ${(maxShrink * 100).toFixed(0)}% shrink. If the data really ` +
      `shrank (a big delete, a table dropped), raise sizeGuard.maxShrink for one run or accept it by verifying ` +
      `this backup by hand; otherwise look for a wrong database, a wrong pg_dump, or lost data. The dump and its ` +
      `manifest were kept.`,
  };
}
