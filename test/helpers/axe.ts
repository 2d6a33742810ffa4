import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Test } from 'tape';

// axe's own bundle, read once; evaluated in the page (not a <script> tag, which the site's CSP refuses).
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the site promises. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** Minor and moderate findings are read in review; these two levels fail the build. */
const BLOCKING = new Set(['serious', 'critical']);

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[]; readonly failureSummary?: string }>;
}

/** Runs axe over the page as it stands and returns the violations that fail the build. */
export async function blockingViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // A string, run in the page: the tests are compiled without the DOM's types.
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] }).then((result) => result.violations)`,
  )) as AxeViolation[];
  return violations.filter((violation) => violation.impact !== null && BLOCKING.has(violation.impact));
}

/** Each violation as a reader fixes it: the rule, what it asks, and where on the page. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map((violation) => {
      const nodes = violation.nodes.map(
        (node) =>
          `    ${node.target.map(String).join(' ')}${node.failureSummary ? `\n      ${node.failureSummary.replace(/\n/g, '\n      ')}` : ''}`,
      );
      return `  ${violation.id} (${violation.impact}): ${violation.help}\n${nodes.join('\n')}`;
    })
    .join('\n');
}

/**
 * One assertion: axe finds no serious or critical WCAG 2 A/AA violation on the page as it is
 * now. On failure the message lists each violation's id, help and target nodes.
 */
export async function expectAccessible(t: Test, page: Page, label: string): Promise<void> {
  const violations = await blockingViolations(page);
  const width = page.viewportSize()?.width;
  const where = `${label}${width === undefined ? '' : ` at ${width} px`}`;
  if (violations.length === 0) t.pass(`${where}: no serious or critical accessibility violation`);
  else
    t.fail(
      `${where}: ${violations.length} serious or critical accessibility violation(s)\n${describeViolations(violations)}`,
    );
}
