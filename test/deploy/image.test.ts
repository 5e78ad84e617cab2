// The container image without a container engine: runs deploy/container/Dockerfile's own
// npm install on the packed tarball (`npm pack`) into a prefix standing for /opt/tavern, then
// its ENTRYPOINT + CMD with its ENV, as its USER (uid 10001, via setpriv), in a network
// namespace of its own (the container's), with the mounted-file layout the manifests give it
// (token and TLS certificate as Secret files readable by the fsGroup, /data a volume owned by
// the user, the install read-only). What it cannot show: the base image, apt, a real build.
import { execFileSync, execSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../package.json';
import { formatAttachUrl, parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import { podNetworks, type PodNet, type PodNetworks } from '../fleet/podNetwork';
import { readDockerfile, type DockerfileSpec } from './dockerfile';

const REPO = resolve(__dirname, '../..');
const DOCKERFILE = join(REPO, 'deploy/container/Dockerfile');
/** node:20-bookworm-slim's own PATH, which the Dockerfile's ENV extends. */
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const ROOT_DIRS = ['/opt/tavern', '/etc/tavern', '/data', '/tmp'];
const isRoot = process.getuid?.() === 0;

let root: string;
let spec: DockerfileSpec;
let networks: PodNetworks;
let net: PodNet;
let proc: ChildProcess | undefined;
let exited: Promise<number | null>;
let urlLine = '';
let stderr = '';
const notes: string[] = [];
const token = randomBytes(32).toString('base64url');
let certPem = '';

/** A path inside the image, on this machine. */
const host = (p: string): string =>
  ROOT_DIRS.some((d) => p === d || p.startsWith(`${d}/`)) ? join(root, p) : p;

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist/worker.js'))) throw new Error('Run `npm run build` first.');
  spec = readDockerfile(DOCKERFILE, BASE_ENV);
  root = mkdtempSync('/tmp/tavern-image-');
  chmodSync(root, 0o755);
  for (const d of ROOT_DIRS) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);

  // The build: `npm pack`, then the Dockerfile's own `npm install` line (not its cache clean).
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', root], {
    cwd: REPO,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1)!;
  const install = spec.runs.find((r) => r.includes('npm install'));
  if (!install) throw new Error('The Dockerfile has no `npm install` step.');
  const command = install
    .split('&&')
    .find((part) => part.includes('npm install'))!
    .trim()
    .replace(/\/tmp\/tavern-\*\.tgz/, join(root, tarball))
    .replace(/\/opt\/tavern/g, join(root, 'opt/tavern'));
  execSync(command, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  // readOnlyRootFilesystem: nothing may write into the installed package.
  execFileSync('chmod', ['-R', 'a-w', join(root, 'opt/tavern')]);

  // The mounted Secrets (fsGroup 10001, mode 0440) and the volume owned by the user.
  const [uid, gid] = (spec.user ?? '0:0').split(':').map(Number) as [number, number];
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'tavern-worker' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  });
  certPem = pems.cert;
  const secretFiles: [string, string][] = [
    ['/etc/tavern/token/token', `${token}\n`],
    ['/etc/tavern/tls/tls.crt', pems.cert],
    ['/etc/tavern/tls/tls.key', pems.private],
  ];
  for (const [path, content] of secretFiles) {
    mkdirSync(join(host(path), '..'), { recursive: true });
    writeFileSync(host(path), content, { mode: 0o440 });
    if (isRoot) chownSync(host(path), 0, gid);
  }
  if (isRoot) chownSync(join(root, 'data'), uid, gid);

  networks = podNetworks();
  net = networks.create(0);
  if (networks.kind !== 'netns') notes.push(networks.note ?? 'no network namespace');

  // ENTRYPOINT + CMD with the image's paths mapped here; as the image's USER when we can.
  let entry = [...spec.entrypoint];
  if (entry[0] === 'tini' && !commandExists('tini')) {
    notes.push('tini is not installed here: ran the worker without it (apt-get install tini)');
    entry = entry.slice(entry[1] === '--' ? 2 : 1);
  }
  const env = Object.fromEntries(
    Object.entries(spec.env).map(([k, v]) => [k, v.split(':').map(host).join(':')]),
  );
  const bin = (name: string): string =>
    env
      .PATH!.split(':')
      .map((dir) => join(dir, name))
      .find((file) => existsSync(file)) ?? name;
  entry = entry.map((part, i) => (i === entry.length - 1 ? bin(part) : part));
  let args = spec.cmd.map(host);
  if (net.listenHost !== '0.0.0.0')
    args = args.map((a, i) => (args[i - 1] === '--host' ? net.listenHost : a));
  const argv = [...entry, ...args];
  const asUser = isRoot
    ? ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--']
    : [];
  if (!isRoot) notes.push('not root: ran as this user, not uid 10001');
  const full = [...asUser, ...argv];
  proc = net.spawn(full[0]!, full.slice(1), {
    cwd: host(spec.workdir ?? '/'),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      // What the StatefulSet adds from its Secret; the base URL keeps any use on this machine.
      ANTHROPIC_API_KEY: 'sk-ant-image-test',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      // No spare Claude process in a test (it would start the real CLI).
      TAVERN_CLAUDE_PREWARM: '0',
    },
  });
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  exited = new Promise((done) => proc!.once('exit', (code) => done(code)));
  urlLine = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: proc!.stdout! }).on('line', (line) => {
      if (line.startsWith('TAVERN_WORKER_URL=')) resolveLine(line);
    });
    void exited.then((code) => reject(new Error(`the worker exited (${code}):\n${stderr}`)));
  });
  if (notes.length) console.log(`image check notes: ${notes.join('; ')}`);
}, 600_000);

afterAll(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    await exited;
  }
  net?.dispose();
  networks?.disposeAll();
  if (root) {
    execFileSync('chmod', ['-R', 'u+w', root]);
    rmSync(root, { recursive: true, force: true });
  }
});

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function healthz(): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    get({ host: net.ip, port: 7420, path: '/healthz', rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', fail);
  });
}

describe('the container image (deploy/container/Dockerfile), run as the image would', () => {
  it('prints a wss:// attach URL with the mounted token and the pinned certificate', () => {
    const fp = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
    expect(urlLine).toBe(
      `TAVERN_WORKER_URL=${formatAttachUrl(`wss://${net.listenHost}:7420/`, token, fp)}`,
    );
  });

  it('answers GET /healthz without auth, revealing nothing', async () => {
    const { status, body, headers } = await healthz();
    expect(status).toBe(200);
    expect(body).toBe('ok');
    expect(JSON.stringify(headers)).not.toMatch(/tavern|node|express|\d+\.\d+\.\d+/i);
  });

  it('serves agents over wss with the token, finds the Claude binary of its npm install', async () => {
    const attach = parseAttachUrl(urlLine.replace(`wss://${net.listenHost}:`, `wss://${net.ip}:`));
    const client = new WorkerClient(attach, { clientName: 'image-test', clientVersion: '0' });
    try {
      const worker = await client.connect();
      expect(worker.hello.version).toBe(version);
      const claude = worker.hello.engines.find((e) => e.name === 'claude');
      expect(claude?.available).toBe(true);
      // The platform package under the image's prefix, not a claude on this machine's PATH.
      expect(claude?.detail).toContain(join(root, 'opt/tavern'));
      expect(claude?.detail).toContain("the Agent SDK's platform package");
      const events: string[] = [];
      const done = new Promise<void>((resolveDone) =>
        client.onEvents((batch) => {
          for (const e of batch) {
            if (e.event.kind === 'text') events.push(e.event.text);
            if (e.event.kind === 'report') resolveDone();
          }
        }),
      );
      await client.spawn({
        name: 'img',
        engine: 'scripted',
        assignment: '[[stream 3 4]][[done ok]]',
      });
      await done;
      expect(events.length).toBeGreaterThanOrEqual(3);
    } finally {
      client.dispose();
    }
  });

  it('drains on SIGTERM and exits 0', async () => {
    proc!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: interrupting agents, flushing journals');
    // The flushed journal is on the volume, written by the image's user.
    const journals = join(root, 'data/state/journal');
    expect(readdirSync(journals).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    if (isRoot) expect(statSync(journals).uid).toBe(10001);
  });
});
