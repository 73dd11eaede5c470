const encoder = new TextEncoder();

/**
 * UTF-8 size of a string, as the wire limits count it. A UTF-16 code unit never takes fewer than one
 * UTF-8 byte, so a string with more code units than `capBytes` is over any cap of that size without
 * being encoded: the answer is then only "more than capBytes".
 */
export function utf8ByteLength(text: string, capBytes = Number.POSITIVE_INFINITY): number {
  if (text.length > capBytes) return text.length;
  return encoder.encode(text).length;
}

/** Control characters (C0, DEL, C1) and unpaired surrogates: never valid in a name. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cs}]/u;

export function hasControlOrLoneSurrogate(text: string): boolean {
  return FORBIDDEN_IN_NAME.test(text);
}
