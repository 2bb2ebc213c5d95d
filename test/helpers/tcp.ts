import net from 'node:net';

/**
 * A TCP port in front of a real server, standing in for the network between Orchard and its
 * database: it can refuse, accept and say nothing, forward, or black-hole the connections it
 * already forwards (a partition), as a test tells it to.
 */
export type ProxyMode = 'refuse' | 'silent' | 'forward';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far, in any mode but 'refuse'. */
  readonly accepted: number;
  setMode(mode: ProxyMode): Promise<void>;
  /** From now on nothing passes on the connections open now, in either direction; new ones still forward. */
  partition(): void;
  /** Closes the connections open now, as a crashed server or a firewall's reset would. */
  sever(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }, mode: ProxyMode): Promise<TcpProxy> {
  let current = mode;
  let accepted = 0;
  let port = 0;
  const open = new Set<{ client: net.Socket; upstream?: net.Socket; cut: boolean }>();
  const server = net.createServer((client) => {
    accepted += 1;
    const link: { client: net.Socket; upstream?: net.Socket; cut: boolean } = { client, cut: false };
    open.add(link);
    client.on('error', () => undefined);
    client.on('close', () => {
      link.upstream?.destroy();
      open.delete(link);
    });
    if (current === 'silent') return;
    const upstream = net.connect(target);
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (data: Buffer) => {
      if (!link.cut) client.write(data);
    });
    client.on('data', (data: Buffer) => {
      if (!link.cut) upstream.write(data);
    });
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const link of open) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  if (mode === 'refuse') {
    // Take a port from the kernel, then let go of it: connecting to it is refused.
    await listen();
    await stop();
  } else {
    await listen();
  }
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    setMode: async (mode) => {
      if (mode === 'refuse') await stop();
      else if (!server.listening) await listen();
      current = mode;
    },
    partition: () => {
      for (const link of open) link.cut = true;
    },
    sever: () => {
      for (const link of open) {
        link.client.destroy();
        link.upstream?.destroy();
      }
    },
    close: stop,
  };
}
