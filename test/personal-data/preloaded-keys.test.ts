import { randomUUID } from 'node:crypto';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'personal data: keys preloaded in one statement open what they sealed; an erased or unknown user, and an id that is no uuid, open nothing',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = openProjectionDb(scope, databaseUrl);
    const sealing = createPersonalData(db);
    const [kept, erased, unknown] = [randomUUID(), randomUUID(), randomUUID()];
    const keptSeal = await sealing.seal(kept, 'kept value');
    const erasedSeal = await sealing.seal(erased, 'erased value');
    await sealing.erase(erased);

    const keys = createPersonalData(db, { remember: true });
    let sent = 0;
    db.on('query', () => (sent += 1));
    await keys.preload([kept, erased, unknown, 'not-a-uuid', kept.toUpperCase()]);
    t.equal(sent, 1, 'one statement for all of them');
    t.equal(await keys.open(kept, keptSeal), 'kept value', 'a held key opens its seal');
    t.equal(await keys.open(kept.toUpperCase(), keptSeal), 'kept value', 'asked in capitals too');
    t.equal(await keys.open(erased, erasedSeal), undefined, 'an erased key opens nothing');
    t.ok(await keys.isErased(erased), 'and says it is erased');
    t.notOk(await keys.isErased(unknown), 'a user with no key is not erased');
    t.equal(sent, 1, 'every answer from what was preloaded');
    await keys.preload([kept]);
    t.equal(sent, 1, 'a key already read is not read again');
  },
);
