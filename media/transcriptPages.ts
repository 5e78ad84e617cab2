// Shows a transcript page newest first: the newest events are checked and drawn at once, so a
// long transcript paints in milliseconds; older ones follow in chunks, one per frame, each
// put before what is shown (the view stays where the reader is).
import type { AgentEventEnvelope } from '../protocol/agentEvents';
import { parseEnvelopes, type TranscriptPage } from '../protocol/webview';

/** Events checked and drawn before the first paint (a screenful is ~30 blocks). */
const FIRST_CHUNK = 500;
/** Events per later chunk: each rebuilds the model once, so fewer, larger chunks. */
const LATER_CHUNK = 2_500;

export interface PageTarget {
  /**
   * Shows `events`: `reset` replaces what is shown, otherwise they go before it. `more` says
   * whether anything older exists (still loading here, or on the host).
   */
  show(agentId: string, events: AgentEventEnvelope[], reset: boolean, more: boolean): void;
  /** Whether `agentId` is still the one shown (the user may have moved on). */
  isShown(agentId: string): boolean;
  /** Some events could not be read and were left out. */
  rejected(count: number): void;
  /** Busy until the last chunk of a page is shown. */
  busy(loading: boolean): void;
}

export class TranscriptPages {
  private generation = 0;
  private loading = false;

  constructor(private readonly target: PageTarget) {}

  get isLoading(): boolean {
    return this.loading;
  }

  /** Drops whatever is still to come of the page being loaded. */
  cancel(): void {
    this.generation++;
    this.setLoading(false);
  }

  load(page: TranscriptPage, measure?: (validateMs: number, drawMs: number) => void): void {
    // A late page for someone no longer shown must not cancel the page being loaded.
    if (!this.target.isShown(page.agentId)) return;
    const generation = ++this.generation;
    const chunks = chunksFromNewest(page.events);
    let first = true;
    const step = (): void => {
      if (generation !== this.generation || !this.target.isShown(page.agentId)) {
        if (generation === this.generation) this.setLoading(false);
        return;
      }
      const chunk = chunks.shift() ?? [];
      const t0 = performance.now();
      const { events, rejected } = parseEnvelopes(chunk);
      const t1 = performance.now();
      if (rejected > 0) this.target.rejected(rejected);
      const last = chunks.length === 0;
      this.setLoading(!last);
      this.target.show(page.agentId, events, page.reset && first, last ? page.more : true);
      if (first) measure?.(t1 - t0, performance.now() - t1);
      first = false;
      // After the next frame: the chunk just shown is painted before more work starts.
      if (!last) requestAnimationFrame(() => setTimeout(step, 0));
    };
    step();
  }

  private setLoading(loading: boolean): void {
    if (loading === this.loading) return;
    this.loading = loading;
    this.target.busy(loading);
  }
}

/** The page's events cut into chunks, newest chunk first, each in its original order. */
function chunksFromNewest(events: readonly unknown[]): unknown[][] {
  const chunks: unknown[][] = [];
  let end = events.length;
  let size = FIRST_CHUNK;
  do {
    const start = Math.max(0, end - size);
    chunks.push(events.slice(start, end));
    end = start;
    size = LATER_CHUNK;
  } while (end > 0);
  return chunks;
}
