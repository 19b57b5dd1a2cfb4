/**
 * Sizes as people read them, the same on both sides: "2.3 MiB", "512 KiB", "87 bytes". Powers of
 * 1024, as the server's size options count ("10M" is 10 MiB), and labelled so: a 3,000,000-byte
 * file is 2.9 MiB, and calling that "2.9 MB" would be wrong by 5%.
 */
const UNITS = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
] as const;

export function humanSize(n: number): string {
  for (const [unit, size] of UNITS) if (n >= size) return `${(n / size).toFixed(1)} ${unit}`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} byte${n === 1 ? '' : 's'}`;
}
