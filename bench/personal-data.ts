import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { createPersonalData, type Sealed } from '../src/personal-data/seal.ts';

const USERS = 2_000;

/**
 * What a sealed personal field costs: sealing (a key made on first use) and opening (a key
 * lookup in personal_data.personal_data_keys, then AES-256-GCM), one after another as an
 * aggregator replaying Registered events opens them. Keys are not cached: an erased key must
 * stop opening at once, in every process.
 */
export async function sealedFieldFigures(db: Knex, results: Record<string, string>): Promise<void> {
  const personalData = createPersonalData(db);
  const fields: Array<{ userId: string; sealed: Sealed }> = [];
  const sealing = performance.now();
  for (let n = 0; n < USERS; n += 1) {
    const userId = randomUUID();
    fields.push({ userId, sealed: await personalData.seal(userId, `bench-${n}@example.com`) });
  }
  const sealMs = performance.now() - sealing;
  const opening = performance.now();
  for (const { userId, sealed } of fields) await personalData.open(userId, sealed);
  const openMs = performance.now() - opening;
  const each = (ms: number) => `${Math.round((ms / USERS) * 1000)} µs`;
  results['sealed field: seal (new key) / open, one at a time'] =
    `${each(sealMs)} / ${each(openMs)} each (${USERS} users; ~${Math.round(USERS / (openMs / 1000))} opens/s)`;
}
