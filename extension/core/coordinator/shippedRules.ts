// A rules file found in the project folder (`.tavern/permissions.json`: older Tavern versions
// kept rules there, and anyone can commit one to a repository). It is never applied: the host
// shows its content once and lets the user adopt it, and asks again only if the file changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export interface ShippedRules {
  readonly file: string;
  /** The tool patterns it asks to always allow. */
  readonly tools: string[];
  /** sha256 of the file: the user's answer is kept for this content only. */
  readonly hash: string;
}

const FileSchema = z.object({ alwaysAllow: z.array(z.string().min(1).max(200)).max(500) });

/** The folder's shipped rules, if it has a readable, non-empty file of them. */
export function readShippedRules(folder: string): ShippedRules | undefined {
  const file = join(folder, '.tavern', 'permissions.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success || parsed.data.alwaysAllow.length === 0) return undefined;
  return {
    file,
    tools: [...new Set(parsed.data.alwaysAllow)],
    hash: createHash('sha256').update(text).digest('hex'),
  };
}
