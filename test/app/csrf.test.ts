import cookieSession from 'cookie-session';
import express from 'express';
import request from 'supertest';
import test from 'tape';
import { usePugViews } from '../../src/web/create-app.ts';
import { csrfProtection } from '../../src/web/csrf.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { silentLogger } from '../helpers/databases.ts';

/** A site where /sign-in gives the visitor a session token, as logging in will. */
function site() {
  const app = express();
  usePugViews(app, []);
  app.use(cookieSession({ name: 'session', keys: ['k'.repeat(40)] }));
  app.use(express.urlencoded({ extended: false }));
  app.use(csrfProtection());
  app.post('/sign-in', (req, res) => {
    req.session!.csrfToken = 'token-of-this-session';
    res.send('ok');
  });
  app.get('/form', (_req, res) => res.send(String(res.locals.csrfToken ?? 'none')));
  app.post('/act', (_req, res) => res.send('done'));
  app.use(errorHandler({ logger: silentLogger }));
  return app;
}

test("CSRF: the page's own origin is required, and a session's token when it has one", async (t) => {
  const agent = request.agent(site());
  t.equal((await agent.get('/form')).text, 'none', 'a visitor with no session is given no token');
  t.equal(
    (await agent.post('/act').set('Sec-Fetch-Site', 'same-origin')).status,
    200,
    'a post from our own page is taken',
  );
  t.equal((await agent.post('/act').set('Sec-Fetch-Site', 'same-site')).status, 403, 'not one from a sibling site');
  const foreign = await agent.post('/act').set('Origin', 'http://evil.example');
  t.equal(foreign.status, 403, 'nor one from another origin');
  // The site's own error page, not Express's fallback with a Pug error (a page that could not render).
  t.match(
    foreign.text,
    /<main[^>]*>[\s\S]*This form has expired or did not come from this site\. Go back, reload the page and try again\./,
    'the refusal is a page of the site saying what to do',
  );

  await agent.post('/sign-in').set('Sec-Fetch-Site', 'same-origin').expect(200);
  t.equal((await agent.get('/form')).text, 'token-of-this-session', 'with a session, its token is offered to forms');
  t.equal(
    (await agent.post('/act').set('Sec-Fetch-Site', 'same-origin')).status,
    403,
    'and a post without it is refused',
  );
  t.equal(
    (await agent.post('/act').set('Sec-Fetch-Site', 'same-origin').type('form').send({ _csrf: 'forged' })).status,
    403,
    'as is a forged one',
  );
  t.equal(
    (
      await agent
        .post('/act')
        .set('Sec-Fetch-Site', 'same-origin')
        .type('form')
        .send({ _csrf: 'token-of-this-session' })
    ).status,
    200,
    'the right one is taken',
  );
  t.equal(
    (await agent.post('/act').set('Sec-Fetch-Site', 'cross-site').type('form').send({ _csrf: 'token-of-this-session' }))
      .status,
    403,
    'even the right token from another site is refused',
  );
});
