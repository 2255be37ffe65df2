// One HTTP exchange over node:http/https, to an address already checked: the
// connection goes to `address` (a lookup hook that answers it alone), while the
// Host header and TLS SNI keep the URL's name. The response body is counted as
// it arrives and cut once it passes `limit`: never read whole first.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface Exchange {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
  signal: AbortSignal;
  /** The most body bytes accepted; past it `tooLarge` is thrown. */
  limit: number;
  tooLarge(size: number | undefined): Error;
  /** Whether to read the body (not for a redirect about to be followed). */
  readBody(status: number, headers: IncomingHttpHeaders): boolean;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

export function exchange(x: Exchange): Promise<Answer> {
  const lookup: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: x.address, family: x.family }]);
    else cb(null, x.address, x.family);
  };
  const transport = x.url.protocol === 'https:' ? https : http;
  return new Promise<Answer>((resolve, reject) => {
    const req = transport.request(
      {
        protocol: x.url.protocol,
        // URL keeps an IPv6 host in brackets; node wants it bare (it adds them to Host itself).
        hostname: x.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: x.url.port || undefined,
        path: `${x.url.pathname}${x.url.search}`,
        method: x.method,
        headers: x.headers,
        lookup,
        // No pooled connection: each request connects to the address checked for it.
        agent: false,
        signal: x.signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (!x.readBody(status, res.headers)) {
          res.destroy();
          resolve({ status, headers: res.headers, body: new Uint8Array() });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > x.limit) {
          reject(x.tooLarge(declared));
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > x.limit) {
            // Settled first: destroying the response makes it emit its own errors.
            reject(x.tooLarge(undefined));
            res.destroy();
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks, size)) }));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('the response was cut off'), { code: 'ECONNRESET' })));
      },
    );
    req.on('error', reject);
    req.end(x.body && x.body.length ? Buffer.from(x.body.buffer, x.body.byteOffset, x.body.byteLength) : undefined);
  });
}
