import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BertftError } from '../errors.js';
import type { ClassificationServer } from './server.js';

/** `http://host:port` for a listening server, with IPv6 hosts in brackets. */
export function serverUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts listening and resolves with the URL; address problems (port taken, no permission, unknown
 * host) become BertftErrors that say which flag to change.
 */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = `${host}:${port}`;
      if (e.code === 'EADDRINUSE') reject(new BertftError(`${where} is already in use; choose another --port`));
      else if (e.code === 'EACCES') reject(new BertftError(`no permission to listen on ${where}; use a --port above 1023`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')
        reject(new BertftError(`cannot listen on --host ${host}: not an address of this machine`));
      else reject(new BertftError(`cannot listen on ${where}: ${e.message}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(serverUrl(server, host));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Resolves with the first of `signals` the process receives, then stops listening for them. */
export function waitForSignal(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, handler);
      resolve(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}

export interface ServeUntilSignalOptions {
  port: number;
  host: string;
  /** Where the "listening on" and "shutting down" lines go (default stderr). */
  write?: (line: string) => void;
}

/**
 * Runs a classification server until SIGTERM or SIGINT, then drains it: in-flight requests finish
 * before this resolves. A second signal while draining cuts the remaining connections.
 */
export async function serveUntilSignal(served: ClassificationServer, options: ServeUntilSignalOptions): Promise<void> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const url = await listen(served.server, options.port, options.host);
  write(`listening on ${url}`);
  const signal = await waitForSignal();
  write(`${signal}: finishing in-flight requests, then exiting`);
  const cut = () => served.server.closeAllConnections();
  process.once('SIGTERM', cut).once('SIGINT', cut);
  try {
    await served.close();
  } finally {
    process.off('SIGTERM', cut).off('SIGINT', cut);
  }
}
