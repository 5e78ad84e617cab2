// TLS material: the user's cert/key, or a self-signed certificate kept in the state dir so
// its fingerprint (pinned by clients through the URL) survives restarts.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** sha256 of the certificate DER, lowercase hex without colons. */
  fingerprint: string;
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export function loadTls(certFile: string, keyFile: string): TlsMaterial {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  return { cert, key, fingerprint: fingerprintOf(cert) };
}

export async function selfSignedTls(stateDir: string, host: string): Promise<TlsMaterial> {
  const dir = join(stateDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return loadTls(certFile, keyFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    /^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host },
  ];
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'tavern-worker' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  writeFileSync(certFile, pems.cert, { mode: 0o600 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  return { cert: pems.cert, key: pems.private, fingerprint: fingerprintOf(pems.cert) };
}
