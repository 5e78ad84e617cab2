// Reads a JSONL file of event envelopes line by line (worker journals and .tavern/
// transcripts share the format). A torn last line after a crash is skipped, not fatal.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AgentEventEnvelope } from './agentEvents';

export async function* readEnvelopes(file: string): AsyncGenerator<AgentEventEnvelope> {
  if (!existsSync(file)) return;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line) continue;
      let envelope: AgentEventEnvelope;
      try {
        envelope = JSON.parse(line) as AgentEventEnvelope;
      } catch {
        continue;
      }
      yield envelope;
    }
  } finally {
    lines.close();
  }
}
