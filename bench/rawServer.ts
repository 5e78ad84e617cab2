// The baseline peer: a bare `ws` server in its own process (like a worker) that echoes each
// frame, or on "flood N SIZE" sends N agent/event-shaped frames as fast as ws allows.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const address = wss.address();
  if (address && typeof address === 'object') process.stdout.write(`PORT=${address.port}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const text = String(data);
    const flood = /^flood (\d+) (\d+)$/.exec(text);
    if (!flood) {
      ws.send(text);
      return;
    }
    const count = Number(flood[1]);
    const chunk = 'x'.repeat(Number(flood[2]));
    let seq = 0;
    // Same frame shape as a worker's agent/event notification, built per frame as a worker does.
    const pump = (): void => {
      const until = Math.min(count, seq + 256);
      while (seq < until) {
        seq++;
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'agent/event',
            params: { agentId: 'raw', seq, time: Date.now(), event: { kind: 'text', text: chunk } },
          }),
        );
      }
      if (seq < count) setImmediate(pump);
    };
    pump();
  });
});
