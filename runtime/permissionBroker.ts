// Relays permission requests to coordinators. Every attached coordinator is asked; the
// first answer wins and the others are told it was settled. With no coordinator attached a
// request waits (and is re-sent to whoever attaches) until the timeout denies it.
import { nanoid } from 'nanoid';
import type {
  ParamsOf,
  PermissionDecision,
  PermissionRequestParams,
  PermissionSettled,
} from '../protocol/wire';
import type { Logger } from './log';

/** Whoever answers permission requests: a coordinator connection, or the extension host's UI. */
export interface PermissionPeer {
  readonly id: string;
  requestPermission(params: PermissionRequestParams): Promise<PermissionDecision>;
  notifyPermissionSettled(params: ParamsOf<typeof PermissionSettled>): void;
}

interface Pending {
  readonly params: PermissionRequestParams;
  readonly resolve: (decision: PermissionDecision) => void;
  readonly timer: NodeJS.Timeout;
  readonly asked: Set<PermissionPeer>;
}

export class PermissionBroker {
  private readonly peers = new Set<PermissionPeer>();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  attach(peer: PermissionPeer): void {
    this.peers.add(peer);
    for (const [requestId, entry] of this.pending) this.ask(requestId, entry, peer);
  }

  detach(peer: PermissionPeer): void {
    this.peers.delete(peer);
    for (const entry of this.pending.values()) entry.asked.delete(peer);
  }

  pendingFor(agentId: string): number {
    let count = 0;
    for (const entry of this.pending.values()) if (entry.params.agentId === agentId) count++;
    return count;
  }

  /** Asks the coordinators; resolves with their first answer, or a deny on timeout/abort. */
  request(
    ask: Omit<PermissionRequestParams, 'requestId'>,
    signal?: AbortSignal,
  ): { requestId: string; decision: Promise<PermissionDecision> } {
    const requestId = nanoid(12);
    const params: PermissionRequestParams = { ...ask, requestId };
    const decision = new Promise<PermissionDecision>((resolve) => {
      const seconds = Math.round(this.timeoutMs / 1000);
      const timer = setTimeout(
        () =>
          this.settle(requestId, {
            decision: 'deny',
            message: `No decision arrived within ${seconds} s, so the request was denied. Ask again when someone is at the Tavern panel, or raise the worker's --permission-timeout.`,
          }),
        this.timeoutMs,
      );
      timer.unref();
      const entry: Pending = { params, resolve, timer, asked: new Set() };
      this.pending.set(requestId, entry);
      if (signal) {
        if (signal.aborted)
          this.settle(requestId, { decision: 'deny', message: 'The agent was interrupted.' });
        else
          signal.addEventListener(
            'abort',
            () =>
              this.settle(requestId, { decision: 'deny', message: 'The agent was interrupted.' }),
            { once: true },
          );
      }
      for (const peer of this.peers) this.ask(requestId, entry, peer);
    });
    return { requestId, decision };
  }

  /** Denies every pending request of an agent (interrupt, dismiss). */
  cancelAgent(agentId: string, message: string): void {
    for (const [requestId, entry] of this.pending) {
      if (entry.params.agentId === agentId) this.settle(requestId, { decision: 'deny', message });
    }
  }

  dispose(): void {
    for (const requestId of [...this.pending.keys()]) {
      this.settle(requestId, { decision: 'deny', message: 'The worker is shutting down.' });
    }
  }

  private ask(requestId: string, entry: Pending, peer: PermissionPeer): void {
    if (entry.asked.has(peer)) return;
    entry.asked.add(peer);
    peer.requestPermission(entry.params).then(
      (decision) => this.settle(requestId, decision, peer),
      // A coordinator that disconnects or errors does not settle the request: another one
      // (or the same one after it reconnects) is asked.
      (error: unknown) => {
        entry.asked.delete(peer);
        this.log.debug(
          `permission ${requestId}: coordinator ${peer.id} gave no answer (${String(error)})`,
        );
      },
    );
  }

  private settle(
    requestId: string,
    decision: PermissionDecision,
    answeredBy?: PermissionPeer,
  ): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    this.pending.delete(requestId);
    clearTimeout(entry.timer);
    entry.resolve(decision);
    for (const peer of this.peers) {
      if (peer === answeredBy) continue;
      peer.notifyPermissionSettled({
        agentId: entry.params.agentId,
        requestId,
        decision: decision.decision,
        ...(decision.message !== undefined ? { message: decision.message } : {}),
      });
    }
  }
}
