import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import test from 'tape';
import { WRITERS } from '../../src/exports/formats.ts';
import { sendExport } from '../../src/exports/send.ts';
import type { StoredMessage } from '../../src/message-queries/stored.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const stored = (n: number): StoredMessage => ({
  globalPosition: n,
  position: n,
  streamName: 'bulk-1',
  type: 'Bulky',
  time: new Date(0),
  traceId: undefined,
  userId: undefined,
  causedBy: undefined,
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  data: { filler: 'x'.repeat(10_000) },
  metadata: {},
});

/**
 * An HTTP server whose one route runs sendExport once `ready(res)` lets it, the export's outcome
 * kept for the test; `rest` yields big batches for ever, counting those pulled.
 */
async function exportServer(ready: (res: Response) => Promise<void>) {
  const state = {
    requested: false,
    settled: false,
    outcome: undefined as number | undefined | Error,
    pulled: 0,
    completed: 0,
  };
  async function* rest(): AsyncGenerator<StoredMessage[]> {
    for (let batch = 1; ; batch += 1) {
      state.pulled += 1;
      yield Array.from({ length: 100 }, (_, n) => stored(batch * 1000 + n));
    }
  }
  const app = express();
  app.get('/export', async (_req, res) => {
    state.requested = true;
    await ready(res);
    try {
      state.outcome = await sendExport({
        res,
        writer: WRITERS.json,
        filename: 'bulk',
        about: { kind: 'test' },
        first: [stored(1)],
        rest: rest(),
        completed: async () => void (state.completed += 1),
      });
    } catch (error) {
      state.outcome = error as Error;
    }
    state.settled = true;
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/export`;
  return {
    state,
    url,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const closed = (res: Response): Promise<void> =>
  new Promise((resolve) => (res.destroyed ? resolve() : res.once('close', () => resolve())));

test('export: a client gone before the first byte — the export settles at once, reads nothing more and records nothing', async (t) => {
  let gone!: Promise<void>;
  const server = await exportServer(async (res) => {
    gone = closed(res);
    await gone;
  });
  closeAtEnd(t, () => server.close());
  const client = http.get(server.url);
  client.on('error', () => undefined);
  await waitUntil('the request at the server', () => server.state.requested);
  client.destroy();
  await waitUntil('the export to settle', () => server.state.settled, { timeoutMs: 5_000 });
  t.equal(server.state.outcome, undefined, 'it says no export was made');
  t.equal(server.state.pulled, 0, 'no batch read after the client left');
  t.equal(server.state.completed, 0, 'and none recorded');
});

test('export: a client that leaves mid-download — the export settles and stops reading', async (t) => {
  let response!: Response;
  const server = await exportServer(async (res) => void (response = res));
  closeAtEnd(t, () => server.close());
  const client = http.get(server.url);
  client.on('error', () => undefined);
  // Read the first chunk, then hang up; the server is blocked on a full socket or between writes.
  const first = await new Promise<http.IncomingMessage>((resolve) => client.on('response', resolve));
  await new Promise<void>((resolve) => first.once('data', () => resolve()));
  first.pause();
  client.destroy();
  await waitUntil('the server to see the client gone', () => response.destroyed);
  await waitUntil('the export to settle', () => server.state.settled, { timeoutMs: 5_000 });
  const pulled = server.state.pulled;
  t.equal(server.state.outcome, undefined, 'no export was made');
  t.equal(server.state.completed, 0, 'none recorded');
  t.ok(pulled < 1_000, `it stopped reading (${pulled} batches pulled)`);
});
