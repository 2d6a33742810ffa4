import test from 'tape';
import { decideDescription } from '../../src/contracts/video-publishing-text-rules.ts';
import { descriptionProblem, nameProblem, REJECTION_REASONS } from '../../src/contracts/video-publishing.ts';

// Characters that change how text is shown without being seen: each could make a name read
// backwards (the overrides, embeddings and isolates) or look like another name (the zero-width ones).
const INVISIBLE = {
  'left-to-right embedding': '\u202A',
  'right-to-left embedding': '\u202B',
  'pop directional formatting': '\u202C',
  'left-to-right override': '\u202D',
  'right-to-left override': '\u202E',
  'left-to-right isolate': '\u2066',
  'right-to-left isolate': '\u2067',
  'first strong isolate': '\u2068',
  'pop directional isolate': '\u2069',
  'zero width space': '\u200B',
  'left-to-right mark': '\u200E',
  'right-to-left mark': '\u200F',
  'arabic letter mark': '\u061C',
  'word joiner': '\u2060',
  'byte order mark': '\uFEFF',
  'soft hyphen': '\u00AD',
};

test('text rules: invisible formatting characters are refused in names and descriptions, wherever they sit', (t) => {
  for (const [what, character] of Object.entries(INVISIBLE)) {
    for (const text of [`Knots${character}knots`, `${character}Knots`, `Knots ${character} knots`]) {
      // Trimming takes a byte order mark off either end, as it takes spaces: what is kept has none.
      if (text.trim() !== text) continue;
      t.equal(nameProblem(text), REJECTION_REASONS.nameInvisible, `a name with a ${what} (${JSON.stringify(text)})`);
      t.equal(
        descriptionProblem(`Line one\n${text}`),
        REJECTION_REASONS.descriptionInvisible,
        `a description with a ${what}`,
      );
    }
  }
  for (const stray of ['\u200DKnots', 'Knots\u200C', 'Knots \u200D knots', 'Kn\u200D\u200Dots']) {
    t.equal(
      nameProblem(stray),
      REJECTION_REASONS.nameInvisible,
      `a joiner that joins nothing: ${JSON.stringify(stray)}`,
    );
  }
  t.end();
});

test('text rules: joiners inside emoji and words, and flag tags, are part of the text and allowed', (t) => {
  for (const text of [
    'Knots for 👩‍💻 coders', // woman technologist: ZWJ between two emoji
    'Fire ❤️‍🔥 heart', // variation selector, then ZWJ
    'Family 👨🏽‍👩🏽‍👧🏽', // skin tones, then ZWJ
    'می‌خواهم یاد بگیرم', // Persian: ZWNJ between letters
    'Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿 knots', // a subdivision flag: tag characters
    'עברית ו-English', // mixed directions with no control at all
  ]) {
    t.equal(nameProblem(text), undefined, `name ${JSON.stringify(text)}`);
    t.equal(descriptionProblem(text), undefined, `description ${JSON.stringify(text)}`);
  }
  t.end();
});

test('text rules: a line break counts as one character, as the form’s own limit counts it, though browsers send it as two', (t) => {
  // A textarea with maxlength 5,000 lets a creator type 4,900 letters and 100 line breaks, and
  // sends each line break as CR LF: 5,100 characters arrive.
  const typed = `${'x'.repeat(4_900)}${'\r\n'.repeat(99)}y`;
  t.equal(descriptionProblem(typed), undefined, 'a description that filled the form is within the limit');
  const decided = decideDescription(typed, '');
  t.ok(
    decided.ok && !decided.value.includes('\r') && [...decided.value].length === 5_000,
    'and is kept with its line breaks as one character each',
  );
  t.equal(
    descriptionProblem(`${'x'.repeat(4_900)}${'\r\n'.repeat(100)}y`),
    REJECTION_REASONS.descriptionTooLong,
    'one more than the form allows is still refused',
  );
  t.end();
});

test('text rules: tag characters hide text unless they spell a flag, and a name of nothing visible is blank', (t) => {
  // Tag characters are invisible: outside a flag they carry hidden text ("ignore" here).
  const hidden = 'Knots\u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}';
  t.equal(nameProblem(hidden), REJECTION_REASONS.nameInvisible, 'a name with tag characters after a word');
  t.equal(descriptionProblem(`Line one\n${hidden}`), REJECTION_REASONS.descriptionInvisible, 'a description with them');
  t.equal(nameProblem('\u{E0041}\u{E0042}'), REJECTION_REASONS.nameInvisible, 'a name of nothing but tag characters');
  t.equal(
    nameProblem('Scotland \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}'),
    REJECTION_REASONS.nameInvisible,
    'a flag whose tags are never ended',
  );
  t.equal(
    nameProblem(
      'Scotland \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} and England \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}',
    ),
    undefined,
    'two flags are fine',
  );
  // Hangul fillers are letters that show nothing: a name of them looks blank in every list.
  for (const blank of ['\u3164', '\u115F\u1160', '\uFFA0 \u3164', '\u3164\u034F']) {
    t.equal(nameProblem(blank), REJECTION_REASONS.blankName, `a name that shows nothing: ${JSON.stringify(blank)}`);
  }
  t.equal(nameProblem('Knots \u3164 knots'), undefined, 'a filler between words is a wide space, nothing worse');
  t.end();
});
