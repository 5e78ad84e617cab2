// The anthropic engine's path guard on its own: a dangling symlink that points outside the
// cwd is where a write through it would land, so it is refused like any other escape.
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confine, PathEscapeError } from '../../runtime/engines/anthropic/pathGuard';

describe('confine', () => {
  it('refuses a dangling symlink that points outside, and allows one that points inside', () => {
    const root = mkdtempSync(join(tmpdir(), 'tavern-guard-'));
    const cwd = join(root, 'work');
    mkdirSync(cwd);
    const outside = join(root, 'outside', 'secret.txt'); // does not exist yet
    symlinkSync(outside, join(cwd, 'escape'));
    expect(existsSync(join(cwd, 'escape'))).toBe(false); // dangling
    expect(() => confine(cwd, 'escape')).toThrow(PathEscapeError);
    symlinkSync(join(cwd, 'later.txt'), join(cwd, 'fine'));
    expect(confine(cwd, 'fine')).toBe(join(cwd, 'fine'));
    expect(confine(cwd, 'new/file.txt')).toBe(join(cwd, 'new/file.txt'));
    expect(() => confine(cwd, '../outside/x')).toThrow(PathEscapeError);
  });
});
