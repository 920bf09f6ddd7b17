/**
 * Import rules for src/, checked by `npm run lint` (scripts/check-imports.mjs runs them).
 *
 * Dependencies point one way, bottom to top: domain ← schemas ← services ← routes/plugins (with
 * app.ts, server.ts and cli/ on top). A circle, or an import against that direction, is a design
 * question, not a lint warning: move the shared piece down a floor.
 *
 * One exception, by design: the domain may `import type` the types the schemas infer from their zod
 * definitions (PlatformDocument, Source, …) while the schemas value-import the domain's vocabularies
 * (EvidenceLevels, regions, account types). Type-only imports are erased at build, so this ties
 * nothing together at run time, and the types keep one source of truth (the zod schema). Everywhere
 * else type-only imports count like any other: a schema or a service has no reason to know a layer
 * above it, or to be known by a module it knows, even by type.
 */
const layer = (...names) => `^src/(${names.join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules that import each other, even by type only. Break the circle by moving what both sides need into a module below both (a domain constant, a shared helper). Circles through the domain are left to no-circular-at-run-time: they are the domain importing the types the schemas infer (see above).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { pathNot: '^src/domain/' } },
    },
    {
      name: 'no-circular-at-run-time',
      severity: 'error',
      comment: 'Modules that import each other at run time (`import type` is erased at build), anywhere in src/, the domain included.',
      from: { path: '^src/' },
      // dependency-cruiser records one cycle per import, found depth-first through all imports, so here it
      // may see a runtime circle only through a type-only detour and let it pass: scripts/check-imports.mjs
      // runs this rule once more on the compiled imports alone, where every cycle exists at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'domain-imports-no-schema-values',
      severity: 'error',
      comment:
        'The domain is pure logic under the schemas: it may `import type` what the schemas infer, never a zod schema itself. Code that validates with a schema is a service.',
      from: { path: layer('domain') },
      to: { path: layer('schemas'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-imports-nothing-above-schemas',
      severity: 'error',
      comment: 'The domain knows nothing of services, storage, routes or plugins, not even their types.',
      from: { path: layer('domain') },
      to: { path: layer('services', 'routes', 'plugins', 'db', 'mcp', 'static', 'cli') },
    },
    {
      name: 'schemas-import-nothing-above',
      severity: 'error',
      comment: 'Schemas describe the API on top of the domain; they know nothing of services, storage, routes or plugins.',
      from: { path: layer('schemas') },
      to: { path: layer('services', 'routes', 'plugins', 'db', 'mcp', 'static', 'cli') },
    },
    {
      name: 'services-import-no-routes-or-plugins',
      severity: 'error',
      comment: 'Services are called by routes, plugins, the CLI and MCP; they never call back up into HTTP code.',
      from: { path: layer('services') },
      to: { path: layer('routes', 'plugins', 'mcp', 'static', 'cli') },
    },
    {
      name: 'storage-imports-no-services-routes-or-plugins',
      severity: 'error',
      comment: 'Repositories (src/db) sit under the services that use them.',
      from: { path: layer('db') },
      to: { path: layer('services', 'routes', 'plugins', 'mcp', 'static', 'cli') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // See type-only imports, so the layer rules can tell them from value imports.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
