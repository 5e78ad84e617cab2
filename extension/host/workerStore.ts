// Remembers attached workers across reloads: the URL without its token in settings (safe to
// sync and show), the token and certificate fingerprint in SecretStorage.
import type * as vscode from 'vscode';
import { formatAttachUrl, parseAttachUrl } from '../core/workers/attachUrl';
import type { Config } from './config';

const secretKey = (baseUrl: string): string => `tavern.worker:${baseUrl}`;
const SECRET_READ_TIMEOUT_MS = 15_000;

export class WorkerStore {
  constructor(
    private readonly config: Config,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  async remember(attachUrl: string): Promise<void> {
    const parsed = parseAttachUrl(attachUrl);
    await this.secrets.store(
      secretKey(parsed.baseUrl),
      formatAttachUrl(parsed.baseUrl, parsed.token, parsed.fingerprint),
    );
    const urls = this.config.workers.filter((u) => u !== parsed.baseUrl);
    await this.config.setWorkers([...urls, parsed.baseUrl]);
  }

  async forget(baseUrl: string): Promise<void> {
    await this.secrets.delete(secretKey(baseUrl));
    await this.config.setWorkers(this.config.workers.filter((u) => u !== baseUrl));
  }

  /** Full attach URLs of the remembered workers; those whose token is gone are reported. */
  async load(): Promise<{ urls: string[]; missingToken: string[] }> {
    const urls: string[] = [];
    const missingToken: string[] = [];
    for (const baseUrl of this.config.workers) {
      const full = await this.readSecret(secretKey(baseUrl));
      if (full) urls.push(full);
      else missingToken.push(baseUrl);
    }
    return { urls, missingToken };
  }

  /**
   * SecretStorage answers through the window (in code-server, through the browser): if it
   * never answers, re-attaching must end with an error that says what to do, not hang.
   */
  private async readSecret(key: string): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await Promise.race([
      this.secrets.get(key).then((value) => ({ value })),
      new Promise<undefined>(
        (r) => (timer = setTimeout(() => r(undefined), SECRET_READ_TIMEOUT_MS)),
      ),
    ]);
    clearTimeout(timer);
    if (answer) return answer.value;
    throw new Error(
      `VS Code's secret storage did not answer in ${SECRET_READ_TIMEOUT_MS / 1000} s; reload the window or attach the worker again with Tavern: Attach Worker.`,
    );
  }
}
