// Exponential backoff with full jitter, so many coordinators do not reconnect in lockstep.
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(this.minMs / 2 + this.random() * (ceiling - this.minMs / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
