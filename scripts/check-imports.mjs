// Checks src/ against the import rules in .dependency-cruiser.cjs (no circles, layers point one way);
// part of `npm run lint`. It calls dependency-cruiser's API because its command line refuses to start
// on Node 20 (its engines say ^22), though the analysis runs fine here.
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const transpile = { tsConfig: extractTSConfig(options.tsConfig.fileName) };

// Every rule, on every import including `import type`.
const all = await cruise(['src'], { ...options, outputType: 'err' }, {}, transpile);

// The runtime cycle rule again, on the imports that survive compilation alone: dependency-cruiser records
// one cycle per import, found through type-only imports too, so the first pass may see a runtime circle
// only through a type-only detour (and let it pass); here every cycle it finds exists at run time.
const atRunTime = options.ruleSet.forbidden.filter((rule) => rule.name === 'no-circular-at-run-time');
const runtime = await cruise(
  ['src'],
  { ...options, tsPreCompilationDeps: false, ruleSet: { forbidden: atRunTime }, outputType: 'err' },
  {},
  transpile,
);

const failures = all.exitCode + runtime.exitCode;
if (failures > 0) {
  process.stderr.write(`${all.output}${runtime.exitCode > 0 ? `\nCircles at run time (compiled imports only):\n${runtime.output}` : ''}`);
  process.exit(1);
}
console.log(`imports: no circles, layers point one way (${all.output.trim() || 'dependency-cruiser found no violations'})`);
