/** The "Examples:" block every command's --help ends with. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** `--dir` of every db command and of serve: one resolution for all (src/db/migrations-dir.ts). */
export const MIGRATIONS_DIR_FLAG = '--dir <dir>';
export const MIGRATIONS_DIR_HELP = 'migrations folder (default: VELOREADY_MIGRATIONS_DIR, else ./supabase/migrations when present, else the shipped schema)';
