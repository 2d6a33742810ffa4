import request from 'supertest';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';

scopedTest(
  'profiles: /@<anything> that is no handle answers 404 without repeating characters that turn text around or hide',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    // A link someone crafted: an override that shows what follows reversed, and a zero-width space.
    const page = await request(system.app).get('/@%E2%80%AEevil%E2%80%8Bx').expect(404);
    t.notOk(page.text.includes('\u202E'), 'no right-to-left override from the address on the page');
    t.notOk(page.text.includes('\u200B'), 'no zero-width space from the address on the page');
    t.match(page.text, /Nobody on this site has/, 'still says nobody has it');
    const fine = await request(system.app).get('/@nobody-here').expect(404);
    t.match(fine.text, /@nobody-here/, 'a well-formed handle nobody has is still named');
  },
);
