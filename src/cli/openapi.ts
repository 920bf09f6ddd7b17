import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateOpenApiYaml } from '../openapi.js';

const target = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
writeFileSync(target, await generateOpenApiYaml());
console.error(`wrote ${target}`);
