import type { SchemaDifference } from './compare.js';

/** The human report: differences grouped by table, each with what the migrations expect and what was found. */
export function renderDifferences(differences: SchemaDifference[], opts: { dir: string; target: string }): string {
  if (differences.length === 0) return `no differences: ${opts.target} is what the migrations in ${opts.dir} create`;
  const byTable = new Map<string, SchemaDifference[]>();
  for (const d of differences) byTable.set(d.table, [...(byTable.get(d.table) ?? []), d]);
  const lines = [`${differences.length} difference${differences.length === 1 ? '' : 's'} between the migrations in ${opts.dir} (expected) and ${opts.target} (found):`];
  for (const [table, list] of [...byTable].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push('', table);
    for (const d of list) {
      const head = `  ${d.kind.padEnd(7)}  ${d.object} ${d.name}`;
      if (d.kind === 'missing') lines.push(`${head}: ${d.expected ?? ''}`);
      else if (d.kind === 'extra') lines.push(`${head}: ${d.found ?? ''}`);
      else lines.push(head, `             expected: ${d.expected ?? ''}`, `             found:    ${d.found ?? ''}`);
    }
  }
  return lines.join('\n');
}
