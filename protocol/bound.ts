// Bounds what a worker can make the UI show (a permission request's input, a notice): long
// strings, long lists and deep nesting are cut, each cut with a note saying so, so a hostile or
// broken worker cannot freeze the panel or hide what it asks behind megabytes of padding.

export interface Bounds {
  /** Longest string kept whole (characters). */
  maxString: number;
  /** Most items kept of one array, or keys of one object. */
  maxItems: number;
  /** Deepest nesting kept. */
  maxDepth: number;
  /** Characters of string content kept over the whole value. */
  maxTotal: number;
}

export const DISPLAY_BOUNDS: Bounds = {
  maxString: 20_000,
  maxItems: 200,
  maxDepth: 12,
  maxTotal: 200_000,
};

export const cutNote = (what: string): string => `[cut by Tavern: ${what}]`;

/** A copy of `value` within `bounds`, and whether anything was cut. */
export function bound(
  value: unknown,
  bounds: Bounds = DISPLAY_BOUNDS,
): { value: unknown; cut: boolean } {
  let budget = bounds.maxTotal;
  let cut = false;
  const text = (s: string): string => {
    const keep = Math.max(0, Math.min(s.length, bounds.maxString, budget));
    budget -= keep;
    if (keep === s.length) return s;
    cut = true;
    return `${s.slice(0, keep)}… ${cutNote(`${s.length - keep} more characters`)}`;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth >= bounds.maxDepth) {
      cut = true;
      return cutNote('nested too deep');
    }
    if (Array.isArray(v)) {
      const items = v.slice(0, bounds.maxItems).map((item) => walk(item, depth + 1));
      if (v.length > bounds.maxItems) {
        cut = true;
        items.push(cutNote(`${v.length - bounds.maxItems} more items`));
      }
      return items;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [k, item] of entries.slice(0, bounds.maxItems)) out[text(k)] = walk(item, depth + 1);
    if (entries.length > bounds.maxItems) {
      cut = true;
      out[cutNote('keys')] = `${entries.length - bounds.maxItems} more keys`;
    }
    return out;
  };
  const value2 = walk(value, 0);
  return { value: value2, cut };
}

/** A string within `max` characters, cut with a note. */
export function boundText(s: string, max: number): string {
  return s.length <= max
    ? s
    : `${s.slice(0, max)}… ${cutNote(`${s.length - max} more characters`)}`;
}
