/**
 * JSON.parse, remembered by the text, for a process that stands in for many clients (a load
 * worker). Each broadcast reaches all of them with the same header bytes, and JSON.parse is most
 * of a frame's decoding cost, so it runs once per distinct header instead of once per client.
 * Parsing is a pure function of the text, so the result is the same; the shared objects must not
 * be changed (the decoder never does). Bounded: emptied when full.
 */
import type { ParseJson } from '../common/codec.js';

export function memoJson(max = 4096): ParseJson {
  const parsed = new Map<string, unknown>();
  return (text) => {
    let value = parsed.get(text);
    if (value === undefined) {
      value = JSON.parse(text);
      if (parsed.size >= max) parsed.clear();
      parsed.set(text, value);
    }
    return value;
  };
}
