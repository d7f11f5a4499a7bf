// A one-line description of a valid config: its parameters and sampling, or its stages and how they chain.
import type { Config } from './types.js';

function describeOne(c: Config): string {
  return `${Object.keys(c.parameters).length} parameters, sampling ${c.sampling.method}`;
}

/** `3 parameters, sampling lhs`, or `2 stages: coarse (…), fine (each row of coarse x …)`. */
export function describeConfig(config: Config): string {
  if (!config.stages) return describeOne(config);
  const stages = config.stages.map((st) => {
    const after = st.stage?.after;
    if (!after) return `${st.stage?.name} (${describeOne(st)})`;
    return `${st.stage?.name} (${Object.keys(st.parameters).length === 0 ? `one task per row of ${after}` : `each row of ${after} x ${describeOne(st)}`})`;
  });
  return `${config.stages.length} stages: ${stages.join(', ')}`;
}
