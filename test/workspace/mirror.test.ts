// A worker's project mirror under calls that come at once, and after a crash mid-creation.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureMirror, refsOf, requireMirror } from '../../runtime/workspace/mirror';
import { cleanupMachines, machine } from './gitFixtures';

afterAll(cleanupMachines);

describe('a project mirror', () => {
  it('is created once for 20 calls that come while it is being made, each of which can list it', async () => {
    const path = join(machine('worker'), 'projects', 'p1.git');
    const listed: Promise<string[]>[] = [];
    // A call every 2 ms: some come after its folder exists and before git made it a mirror.
    for (let i = 0; i < 20; i++) {
      listed.push(
        ensureMirror(path).then((mirror) => {
          // Whole when handed out: a bare repository with its config written.
          expect(readFileSync(join(mirror, 'config'), 'utf8')).toMatch(/logallrefupdates = true/i);
          return refsOf(mirror);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(await Promise.all(listed)).toEqual(Array.from({ length: 20 }, () => []));
    expect(requireMirror(path, 'p1')).toBe(path);
  });

  it('replaces the empty folder a crash during creation left behind', async () => {
    const path = join(machine('worker'), 'projects', 'p2.git');
    mkdirSync(path, { recursive: true });
    expect(() => requireMirror(path, 'p2')).toThrow(/no mirror of project p2/);
    expect(await refsOf(await ensureMirror(path))).toEqual([]);
  });
});
