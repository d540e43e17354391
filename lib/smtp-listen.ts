import type { SMTPServer } from 'smtp-server';

export interface ListeningSmtp {
  readonly port: number;
  stop(): Promise<void>;
}

/** Binds an smtp-server instance (port 0: the kernel picks) and says where it listens. */
export async function listenSmtp(server: SMTPServer, host: string, port: number): Promise<ListeningSmtp> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
