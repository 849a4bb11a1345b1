/** `text` as one POSIX shell word, for a command the CLI prints to be pasted: as it is when plain, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w./:@%+,=-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
