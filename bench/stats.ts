/**
 * Medians, ratios and number formatting for the results tables.
 *
 * @module
 */

/** The median of the finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** `value / base` formatted as `1.03×`, or `–` when either is missing. */
export function ratio(value: number, base: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return "–";
  return `${(value / base).toFixed(2)}×`;
}

/** A number with `digits` significant figures and thousands separators, `–` when missing. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** Bytes as MB (10^6) with three significant figures. */
export function mb(bytes: number): string {
  return fmt(bytes / 1e6);
}
