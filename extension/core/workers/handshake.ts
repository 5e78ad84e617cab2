// The hello a coordinator opens every connection with: protocol version, who it is, what it
// can take (event batches). A failure comes back as a WorkerConnectError that says what to
// do; a different worker answering where another was is refused, never merged.
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCode, errorMessage } from '../../../protocol/errors';
import { PROTOCOL_VERSION, WorkerHello, type HelloResult } from '../../../protocol/wire';
import { WorkerConnectError } from './connectErrors';

export async function handshake(
  connection: MessageConnection,
  client: { name: string; version: string },
  /** The last hello at this URL, if any: the worker must be the same one. */
  previous: HelloResult | undefined,
  where: string,
): Promise<HelloResult> {
  let hello: HelloResult;
  try {
    hello = WorkerHello.result.parse(
      await connection.sendRequest(WorkerHello.method, {
        protocolVersion: PROTOCOL_VERSION,
        client,
        capabilities: { eventBatches: true },
      }),
    );
  } catch (error) {
    if (error instanceof ResponseError && error.code === ErrorCode.ProtocolVersion)
      throw new WorkerConnectError('protocol', error.message);
    throw error instanceof WorkerConnectError
      ? error
      : new WorkerConnectError('closed', `Handshake with ${where} failed: ${errorMessage(error)}`);
  }
  if (previous && hello.workerId !== previous.workerId)
    // Its agents are not this worker's: never merge two machines into one.
    throw new WorkerConnectError(
      'identity',
      `A different worker (id ${hello.workerId}, "${hello.name}") now answers at ${where}, where worker ${previous.workerId} ("${previous.name}") was. Detach it and attach it again if that is intended.`,
    );
  return hello;
}
