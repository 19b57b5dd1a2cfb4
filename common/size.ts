/**
 * Sizes as people read them, the same on both sides: "2.3 MB", "512 KB", "87 bytes" (powers of
 * 1024, one decimal for megabytes).
 */
const MB = 1024 * 1024;

export function humanSize(n: number): string {
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} byte${n === 1 ? '' : 's'}`;
}
