// One owner per lifetime (rust-analyzer's pushCleanup pattern): whatever is created for a
// lifetime is added here as it is made, and disposed with it, newest first. A failing
// dispose is reported and never stops the rest.
import { errorMessage } from '../../protocol/errors';

export interface Disposable {
  dispose(): unknown;
}

export class Disposables implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  constructor(private readonly onError: (message: string) => void = () => undefined) {}

  /** Adds one and returns it, so it can be made and owned in one expression. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) void item.dispose();
    else this.items.push(item);
    return item;
  }

  push(...items: Disposable[]): void {
    for (const item of items) this.add(item);
  }

  dispose(): void {
    this.disposed = true;
    for (const item of this.items.splice(0).reverse()) {
      try {
        const result = item.dispose();
        if (result instanceof Promise)
          result.catch((error: unknown) => this.onError(`dispose: ${errorMessage(error)}`));
      } catch (error) {
        this.onError(`dispose: ${errorMessage(error)}`);
      }
    }
  }
}
