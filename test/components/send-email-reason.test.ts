import test from 'tape';
import { PATH_REMOVED, reasonOf } from '../../src/components/send-email/deliver.ts';

// A reason is stored for good (Failed, DeliveryDeferred, identity's events) and shown on pages:
// no server path in it, whichever way the error spelled one. The files a system error names
// (`path`, `dest`) go first; these are errors that name one only in their words.
test('send-email reason: a server path an error names only in its words is removed, however it is spelled', (t) => {
  const spelled: Record<string, string> = {
    'absolute (POSIX)': "cannot open '/srv/app/.data/mail/x.eml'",
    'absolute, after a colon and a space': 'spawn failed: /usr/sbin/sendmail',
    'a Windows drive path': "open 'C:\\Users\\ops\\app\\.data\\mail\\x.eml' failed",
    'a Windows drive path with forward slashes': 'cannot write D:/mail/x.eml',
    'a UNC share': 'cannot write \\\\fileserver\\mail\\x.eml',
    'a file: URL': 'cannot write file:///srv/app/.data/mail/x.eml',
  };
  for (const [what, message] of Object.entries(spelled)) {
    const reason = reasonOf(new Error(message), 'ada@example.com');
    t.ok(reason.includes(PATH_REMOVED), `${what}: ${JSON.stringify(reason)}`);
    t.doesNotMatch(reason, /srv|Users|mail\\|mail\/|fileserver|sendmail/, 'with nothing of the path left');
  }
  t.end();
});

test('send-email reason: what is not a path stays (an SMTP reply, a web address)', (t) => {
  const kept = [
    '451 4.3.0 Temporary lookup failure',
    '421 4.7.0 Try again later, see https://mail.example/help/421',
    'connect ECONNREFUSED 127.0.0.1:25',
    '550 5.7.1 Rejected: policy A:1',
  ];
  for (const message of kept)
    t.equal(reasonOf(new Error(message), 'ada@example.com'), message, JSON.stringify(message));
  t.end();
});
