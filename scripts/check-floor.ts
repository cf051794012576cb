/**
 * The test-count floor: a suite whose tests quietly stop being collected (an empty vector
 * list, a missing fixture turned into a skip) still looks green, so CI also counts them.
 * test/FLOOR.json holds the least number of passing tests of each suite; this reads the JSON
 * report vitest wrote for one suite, prints its counts next to the floor, and fails when any
 * test failed or fewer than the floor passed.
 *
 *   npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest-unit.json
 *   npx tsx scripts/check-floor.ts unit test-results/vitest-unit.json
 *
 * When a change adds tests, raise the floor in the same commit (the script says so); lower it
 * only with a reason in the commit message. Exit codes: 0 at or above the floor, 1 below it
 * or with failures, 2 bad usage or no report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FLOOR_FILE = fileURLToPath(new URL('../test/FLOOR.json', import.meta.url));

/** The parts of vitest's JSON report (Jest's format) read here. */
interface Report {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  success: boolean;
}

function main([suite, reportFile, ...rest]: string[]): number {
  if (!suite || !reportFile || rest.length) {
    console.error('usage: npx tsx scripts/check-floor.ts <suite> <vitest JSON report>');
    return 2;
  }
  const floors = JSON.parse(readFileSync(FLOOR_FILE, 'utf8')) as Record<string, unknown>;
  const floor = floors[suite];
  if (typeof floor !== 'number') {
    console.error(`test/FLOOR.json has no floor for "${suite}" (it has: ${Object.keys(floors).join(', ')})`);
    return 2;
  }
  if (!existsSync(reportFile)) {
    console.error(`${reportFile} not found: run vitest with --reporter=json --outputFile=${reportFile} first`);
    return 2;
  }
  const r = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(
    `test floor, ${suite}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped ` +
      `(${r.numTotalTests} collected); floor ${floor} passed`,
  );
  if (!r.success || r.numFailedTests > 0 || r.numFailedTestSuites > 0) {
    console.error(`test floor, ${suite}: the run failed (${r.numFailedTests} tests, ${r.numFailedTestSuites} suites)`);
    return 1;
  }
  if (r.numPassedTests < floor) {
    console.error(`test floor, ${suite}: ${floor - r.numPassedTests} fewer tests passed than the floor in test/FLOOR.json`);
    return 1;
  }
  if (r.numPassedTests > floor) {
    console.log(`test floor, ${suite}: ${r.numPassedTests - floor} above the floor: raise "${suite}" in test/FLOOR.json to ${r.numPassedTests}`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
