/** Inline code that survives any content (backticks inside widen the fence). */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A GitHub-flavoured Markdown table; pipes and newlines inside cells are escaped. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A fenced code block. */
export function fenced(language: string, body: string): string {
  return `\`\`\`${language}\n${body.replace(/\n$/, '')}\n\`\`\``;
}

/** Joins blocks with one blank line between them and a final newline. */
export function blocks(...parts: readonly (string | readonly string[])[]): string {
  return `${parts
    .flat()
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join('\n\n')}\n`;
}
