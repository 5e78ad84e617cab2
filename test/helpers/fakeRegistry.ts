// A local npm registry for the Claude Code install tests: it serves one package version's
// manifest and a tarball generated here (a `package/claude` script that prints a version,
// plus padding so the download comes in many chunks). Modes make it lie about integrity,
// answer 404, or hold the download half-way until the test has cancelled it.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';

export type RegistryMode = 'good' | 'bad-integrity' | 'missing' | 'hold' | 'no-binary';

export interface FakeRegistry {
  readonly url: string;
  readonly tarballBytes: number;
  /** Requests seen, as paths. */
  readonly requests: string[];
  mode: RegistryMode;
  close(): Promise<void>;
}

/** A tarball like the SDK's platform packages: package/claude, package.json, padding. */
export async function makePackageTarball(options: {
  name: string;
  version: string;
  withBinary?: boolean;
}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'tavern-fake-pkg-'));
  const pkg = join(dir, 'package');
  mkdirSync(pkg);
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: options.name, version: options.version }),
  );
  if (options.withBinary !== false) {
    writeFileSync(join(pkg, 'claude'), `#!/bin/sh\necho "${options.version} (Claude Code)"\n`);
    chmodSync(join(pkg, 'claude'), 0o644); // the installer must set the executable bit
  }
  // Incompressible padding: about 2 MB on the wire, so progress comes in many chunks.
  writeFileSync(join(pkg, 'README.md'), createHash('sha512').update('seed').digest('hex'));
  const padding = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < padding.length; i += 64)
    createHash('sha512').update(String(i)).digest().copy(padding, i);
  writeFileSync(join(pkg, 'padding.bin'), padding);
  const file = join(dir, 'package.tgz');
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, ['package']);
  return readFileSync(file);
}

export async function startFakeRegistry(options: {
  name: string;
  version: string;
  mode?: RegistryMode;
}): Promise<FakeRegistry> {
  const good = await makePackageTarball(options);
  const noBinary = await makePackageTarball({ ...options, withBinary: false });
  const requests: string[] = [];
  const held: ServerResponse[] = [];
  const state = { mode: options.mode ?? ('good' as RegistryMode) };
  const tarballFor = (): Buffer => (state.mode === 'no-binary' ? noBinary : good);
  const integrity = (data: Buffer): string =>
    `sha512-${createHash('sha512').update(data).digest('base64')}`;

  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '/');
    requests.push(path);
    if (path === `/${options.name}/${options.version}`) {
      if (state.mode === 'missing') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Not found' }));
        return;
      }
      const data = tarballFor();
      const dist = {
        tarball: `${url}/tarballs/package-${options.version}.tgz`,
        integrity:
          state.mode === 'bad-integrity'
            ? integrity(Buffer.from('something else'))
            : integrity(data),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: options.name, version: options.version, dist }));
      return;
    }
    if (path === `/tarballs/package-${options.version}.tgz`) {
      const data = tarballFor();
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(data.length),
      });
      if (state.mode === 'hold') {
        // Half the file, then nothing until the client goes away.
        res.write(data.subarray(0, data.length >> 1));
        held.push(res);
        return;
      }
      res.end(data);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tarballBytes: good.length,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(mode: RegistryMode) {
      state.mode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
