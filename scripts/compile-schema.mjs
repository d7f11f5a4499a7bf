// Part of `npm run build`: compiles the config schema's validator ahead of time (src/config/schema.ts says why).
import { writeCompiledValidator } from '../dist/config/schema.js';

writeCompiledValidator();
